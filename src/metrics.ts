// Prometheus metrics (GET /metrics): one Registry per `createMetrics()`, never prom-client's global one, so
// tests and several apps in one process do not clash. The parts that record (request scope, dispatcher,
// sidecar client, lease keeper) take the Metrics object as an optional dependency; without it they do no
// metric work. Accounts appear only masked (maskEmail).
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import { ACTIVE_STATES, type FinalState } from "./domain/status.ts";
import type { SubmitErrorKind } from "./domain/generator.ts";
import { maskEmail } from "./sidecar/mask.ts";
import { BucketHistogram } from "./metrics-histogram.ts";

/** Request latency buckets (seconds): a cached status read is well under a millisecond. */
const HTTP_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Job buckets (seconds): a submission takes seconds to minutes, a video about a minute to the deadline. */
const JOB_BUCKETS = [1, 2, 5, 10, 20, 30, 60, 90, 120, 180, 300, 600, 900, 1800, 3600];

/** Methods kept as label values; anything a client invents is `other` (labels must stay few). */
const METHODS = new Set(["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"]);
const methodLabel = (m: string) => (METHODS.has(m) ? m : "other");

/** Records one answered request on a route: its status and how long it took. */
export type HttpRecord = (method: string, status: number, seconds: number) => void;

/** One (route, method, status) of http_requests_total and its histogram child. */
interface HttpChild {
  method: string;
  status: number;
  /** Requests answered; `flushed` of them are already in the counter. */
  count: number;
  flushed: number;
  labels: { route: string; method: string; status: string };
  seconds: { observe(v: number): void };
}

/** One account as the sidecar pushes it (a subset of sidecar/protocol.ts AccountStatus). */
export interface AccountReport {
  /** Already masked (maskEmail): metrics never carry a full address. */
  account: string;
  state: string;
  detail?: string;
  /** Credits left at Pixverse when the sidecar last read them; absent when not known (e.g. standby). */
  credits?: number | null;
}

/** One lease row (db/leases.ts LeaseRow); the account is masked here. */
export interface LeaseReport {
  account: string;
  holder: string;
  expiresAt: Date;
}

export interface Metrics {
  readonly registry: Registry;
  /** prom-client's text exposition content type. */
  readonly contentType: string;
  /** The exposition text (runs the scrape-time collectors, e.g. the queue depth query). */
  text(): Promise<string>;
  /**
   * A recorder for one route (its declared path, or "unmatched"). Counter and histogram children are made
   * once per (method, status) and kept, so a request costs a map lookup, an `inc` and an `observe`.
   */
  http(route: string): HttpRecord;
  /** Where `videos_by_state` comes from at scrape time: counts by state (missing states are 0). */
  queueDepthFrom(read: () => Promise<Record<string, number>>): void;
  /** Where `pixverse_account_lease_holder` comes from at scrape time: the lease rows (db/leases.ts list()). */
  leaseHoldersFrom(read: () => Promise<readonly LeaseReport[]>): void;
  /** A job's Pixverse id was recorded; `acceptedAt` is when the API accepted it. */
  jobSubmitted(acceptedAt: Date): void;
  /** A job reached a final state; `acceptedAt` when known (a deadline expiry only reports ids). */
  jobFinished(state: FinalState, acceptedAt?: Date): void;
  /** Pixverse (or the sidecar) refused a submission; `code` is Pixverse's ErrCode when there was one. */
  submitRefused(kind: SubmitErrorKind, code?: number): void;
  sidecarRestarted(): void;
  /** The accounts' states as the sidecar reported them (state messages, init and ping replies). */
  accounts(reports: readonly AccountReport[]): void;
  /** Which of the configured accounts (e-mails, masked here) this instance holds the lease of now. */
  leases(configured: readonly string[], held: readonly string[]): void;
  /** One webhook attempt ended: delivered (2xx), to be retried, or given up after the retry window. */
  webhookAttempt(outcome: "delivered" | "retry" | "given_up"): void;
  /** One copy of a finished video (MEDIA_STORE) ended: copied, to be retried, or given up (Pixverse's URL answered). */
  mediaCopy(outcome: "copied" | "retry" | "gave_up"): void;
}

export interface MetricsOptions {
  /** Node/Bun process metrics (CPU, memory, event loop lag) in the same registry. Default: on. */
  processMetrics?: boolean;
}

export function createMetrics(options: MetricsOptions = {}): Metrics {
  const registry = new Registry();
  const registers = [registry];
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry });

  // ── HTTP ──────────────────────────────────────────────────────────────────────────────────────────
  const httpChildren: HttpChild[] = [];
  new Counter({
    name: "http_requests_total",
    help: "HTTP requests answered, by route (declared path, or unmatched), method and status.",
    labelNames: ["route", "method", "status"] as const,
    registers,
    collect() {
      for (const c of httpChildren) {
        const n = c.count;
        if (n > c.flushed) this.inc(c.labels, n - c.flushed);
        c.flushed = n;
      }
    },
  });
  const duration = new BucketHistogram(
    "http_request_duration_seconds",
    "Time from the request scope opening to the answer, by route and method.",
    HTTP_BUCKETS,
    registry,
  );

  // ── Queue (read at scrape time) ───────────────────────────────────────────────────────────────────
  let readQueue: (() => Promise<Record<string, number>>) | null = null;
  /** The queue query of the scrape under way: the error counter is read after it, so it counts this scrape. */
  let queueRead: Promise<void> = Promise.resolve();
  new Gauge({
    name: "videos_by_state",
    help: "Videos not yet final, by state (queued, submitting, generating), counted at scrape time; finished ones are in jobs_finished_total.",
    labelNames: ["state"] as const,
    registers,
    collect() {
      if (!readQueue) return;
      const read = readQueue;
      queueRead = (async () => {
        let counts: Record<string, number>;
        try {
          counts = await read();
        } catch {
          // Skipped silently: no values in this scrape rather than stale ones.
          this.reset();
          scrapeErrors.inc({ collector: "videos_by_state" });
          return;
        }
        for (const state of ACTIVE_STATES) this.set({ state }, counts[state] ?? 0);
      })();
      return queueRead;
    },
  });
  // ── Account leases (read at scrape time): who drives each account, as the database says ─────────────
  let readLeases: (() => Promise<readonly LeaseReport[]>) | null = null;
  let leasesRead: Promise<void> = Promise.resolve();
  new Gauge({
    name: "pixverse_account_lease_holder",
    help: "1 for each account's current lease holder (instance id) as the database says at scrape time; an expired lease is not shown.",
    labelNames: ["account", "holder"] as const,
    registers,
    collect() {
      if (!readLeases) return;
      const read = readLeases;
      leasesRead = (async () => {
        let rows: readonly LeaseReport[];
        try {
          rows = await read();
        } catch {
          this.reset();
          scrapeErrors.inc({ collector: "pixverse_account_lease_holder" });
          return;
        }
        this.reset();
        const now = Date.now();
        for (const r of rows) if (r.expiresAt.getTime() > now) this.set({ account: maskEmail(r.account), holder: r.holder }, 1);
      })();
      return leasesRead;
    },
  });
  // Registered after the gauges: the registry reads metrics in order, so this waits for the queries above.
  const scrapeErrors = new Counter({
    name: "pixverse_metrics_scrape_errors_total",
    help: "Scrape-time collectors that failed (e.g. the database did not answer); their metrics were skipped.",
    labelNames: ["collector"] as const,
    registers,
    collect: () => Promise.all([queueRead, leasesRead]).then(() => undefined),
  });
  scrapeErrors.inc({ collector: "videos_by_state" }, 0);

  // ── Jobs (dispatcher) ─────────────────────────────────────────────────────────────────────────────
  const finished = new Counter({
    name: "jobs_finished_total",
    help: "Jobs this process ended, by final state.",
    labelNames: ["state"] as const,
    registers,
  });
  const submitSeconds = new Histogram({
    name: "job_submit_seconds",
    help: "From the API accepting a job to Pixverse's id being recorded.",
    buckets: JOB_BUCKETS,
    registers,
  });
  const finishSeconds = new Histogram({
    name: "job_finish_seconds",
    help: "From the API accepting a job to its final state (deadline expiries are counted in jobs_finished_total only).",
    buckets: JOB_BUCKETS,
    registers,
  });
  const refusals = new Counter({
    name: "pixverse_submit_refusals_total",
    help: "Submissions that got no Pixverse id, by kind and Pixverse ErrCode (none: no code).",
    labelNames: ["kind", "code"] as const,
    registers,
  });

  // ── Sidecar and accounts ──────────────────────────────────────────────────────────────────────────
  const restarts = new Counter({ name: "sidecar_restarts_total", help: "Times the sidecar process was started again after it exited.", registers });
  const accountState = new Gauge({
    name: "pixverse_account_state",
    help: "1 for each account's current state as the sidecar reports it (account: masked email).",
    labelNames: ["account", "state"] as const,
    registers,
  });
  // Logins and replacements are derived from the states the sidecar pushes (not counted inside it):
  // signing_in → ready is a login; a new detail naming ErrCode 10005 is a session replaced by a login elsewhere.
  const logins = new Counter({
    name: "pixverse_logins_total",
    help: "Logins, derived from the account states the sidecar pushes (signing_in then ready).",
    labelNames: ["account"] as const,
    registers,
  });
  const replaced = new Counter({
    name: "pixverse_session_replaced_total",
    help: "Sessions replaced by a login elsewhere (ErrCode 10005), derived from the account states the sidecar pushes.",
    labelNames: ["account"] as const,
    registers,
  });
  const credits = new Gauge({
    name: "pixverse_account_credits",
    help: "Credits left on each account (daily + monthly + package) when its sidecar last read them; absent while unknown.",
    labelNames: ["account"] as const,
    registers,
  });
  const leaseHeld = new Gauge({
    name: "pixverse_account_lease_held",
    help: "1 when this instance holds the account's lease (drives it: signs in, submits, polls), 0 when another instance does or nobody.",
    labelNames: ["account"] as const,
    registers,
  });
  // ── Webhooks ──────────────────────────────────────────────────────────────────────────────────────
  const webhookAttempts = new Counter({
    name: "webhook_deliveries_total",
    help: "Webhook attempts this process made, by outcome: delivered (2xx), retry (non-2xx, time-out, network error or refused address), given_up.",
    labelNames: ["outcome"] as const,
    registers,
  });
  // ── Our copies of the videos (MEDIA_STORE) ────────────────────────────────────────────────────────
  const mediaCopies = new Counter({
    name: "media_copies_total",
    help: "Copies of finished videos this process made, by outcome: copied, retry (a failed attempt), gave_up (Pixverse's URL answered at the deadline).",
    labelNames: ["outcome"] as const,
    registers,
  });

  const lastSeen = new Map<string, { state: string; detail?: string }>();
  const REPLACED = /\bErrCode 10005\b/;

  return {
    registry,
    contentType: registry.contentType,
    text: () => registry.metrics(),

    http(route) {
      // Per (method, status): a plain count, handed to the counter at scrape time (an `inc` per request costs
      // a label hash), and the histogram child, made once. The last pair is kept: a route mostly answers one way.
      let last: HttpChild | undefined;
      const byKey = new Map<string, HttpChild>();
      return (method, status, seconds) => {
        let c = last;
        if (c === undefined || c.method !== method || c.status !== status) {
          const key = method + status;
          c = byKey.get(key);
          if (!c) {
            const m = methodLabel(method);
            c = { method, status, count: 0, flushed: 0, labels: { route, method: m, status: String(status) }, seconds: duration.child({ route, method: m }) };
            byKey.set(key, c);
            httpChildren.push(c);
          }
          last = c;
        }
        c.count++;
        c.seconds.observe(seconds);
      };
    },

    queueDepthFrom(read) {
      readQueue = read;
    },

    leaseHoldersFrom(read) {
      readLeases = read;
      scrapeErrors.inc({ collector: "pixverse_account_lease_holder" }, 0);
    },

    jobSubmitted(acceptedAt) {
      submitSeconds.observe(Math.max(0, (Date.now() - acceptedAt.getTime()) / 1000));
    },

    jobFinished(state, acceptedAt) {
      finished.inc({ state });
      if (acceptedAt) finishSeconds.observe(Math.max(0, (Date.now() - acceptedAt.getTime()) / 1000));
    },

    submitRefused(kind, code) {
      refusals.inc({ kind, code: code === undefined ? "none" : String(code) });
    },

    sidecarRestarted() {
      restarts.inc();
    },

    accounts(reports) {
      for (const r of reports) {
        const before = lastSeen.get(r.account);
        if (before?.state !== r.state) {
          if (before) accountState.set({ account: r.account, state: before.state }, 0);
          accountState.set({ account: r.account, state: r.state }, 1);
          if (before?.state === "signing_in" && r.state === "ready") logins.inc({ account: r.account });
        }
        // Counted when the detail starts naming 10005 (later reports may repeat it while signing in again).
        if (r.detail && REPLACED.test(r.detail) && !(before?.detail && REPLACED.test(before.detail))) {
          replaced.inc({ account: r.account });
        }
        lastSeen.set(r.account, { state: r.state, detail: r.detail });
        // A number only while the account is driven here: a stale count from before a standby would mislead.
        if (typeof r.credits === "number") credits.set({ account: r.account }, r.credits);
        else if (r.state === "standby") credits.remove({ account: r.account });
      }
    },

    leases(configured, held) {
      for (const account of configured) leaseHeld.set({ account: maskEmail(account) }, held.includes(account) ? 1 : 0);
    },

    webhookAttempt(outcome) {
      webhookAttempts.inc({ outcome });
    },

    mediaCopy(outcome) {
      mediaCopies.inc({ outcome });
    },
  };
}
