// The parent side of the sidecar: `SidecarGenerator` is the dispatcher's VideoGenerator. It starts the
// sidecar process (main.ts) with Bun IPC, sends it its configuration, times every request, pings it, and
// restarts it with capped exponential backoff when it dies or hangs. A submission that may have reached
// Pixverse is never reported as safe to retry: it becomes `unknown_outcome` and is reconciled.
import { fileURLToPath } from "node:url";
import type { Subprocess } from "bun";
import type { Config } from "../config.ts";
import { LRUCache } from "lru-cache";
import type {
  AccountCapacity,
  PollResult,
  ReconcileRequest,
  ReconcileResult,
  SubmitRequest,
  SubmitResult,
  VideoGenerator,
} from "../domain/generator.ts";
import type { Logger, LogLevel } from "../log.ts";
import {
  childMessageSchema,
  WIRE_ERRORS,
  type AccountStatus,
  type InitConfig,
  type Op,
  type ReplyFor,
  type Request,
  type WireError,
} from "./protocol.ts";
import { DEFAULT_API_URL, DEFAULT_WEB_URL } from "./pixverse.ts";
import { errorMessage, within } from "./waits.ts";
import { maskEmail } from "./mask.ts";
import { sessionFile } from "./session-file.ts";
import type { SessionSync } from "./session-sync.ts";

export { maskEmail };
import type { Metrics } from "../metrics.ts";

export interface SidecarTimeouts {
  /** Launching Chromium and opening the account contexts. */
  initMs: number;
  submitMs: number;
  pollMs: number;
  reconcileMs: number;
  capacityMs: number;
  pingMs: number;
  /** How often the child is pinged; a ping unanswered within `pingMs` means it hangs and is killed. */
  healthIntervalMs: number;
  shutdownMs: number;
  /**
   * `absent` is only believed this long after the submission started or its outcome became unknown,
   * whichever is later: a request already on its way when the sidecar died may still land at Pixverse.
   */
  reconcileSettleMs: number;
}

export const DEFAULT_TIMEOUTS: SidecarTimeouts = {
  initMs: 90_000,
  submitMs: 120_000,
  pollMs: 30_000,
  reconcileMs: 60_000,
  capacityMs: 5_000,
  pingMs: 10_000,
  healthIntervalMs: 5_000,
  shutdownMs: 15_000,
  reconcileSettleMs: 15_000,
};

export interface SidecarOptions {
  config: Config;
  logger: Logger;
  accounts: { email: string; password: string }[];
  /** Pixverse's web app, or the simulator's URL. Default: the real site. */
  webUrl?: string;
  /** Pixverse's JSON API, or the simulator's URL. Default: the real site. */
  apiUrl?: string;
  timeouts?: Partial<SidecarTimeouts>;
  /** Restart backoff after a crash: doubles from `initialMs` up to `maxMs`. */
  restart?: { initialMs?: number; maxMs?: number };
  /** Overrides for the account driver's timings (tests shorten cooldowns). */
  tuning?: InitConfig["tuning"];
  /** The browser's environment (tests give it a Russian locale). Default: the sidecar's own. */
  browserEnv?: Record<string, string>;
  /** The sidecar's log level. Default: config.LOG_LEVEL. */
  logLevel?: LogLevel;
  /** Restarts and the accounts' states, logins and replaced sessions (createMetrics()). Absent: none recorded. */
  metrics?: Metrics;
  /** The sidecar's entry file. Default: ./main.ts (tests start a scripted stand-in). */
  entry?: string;
  /** SESSION_STORE=postgres: the sessions kept in the database too (session-sync.ts). Absent: files only. */
  sessions?: SessionSync;
}

/** Start the sidecar and return the generator that talks to it. */
export function createSidecarGenerator(opts: SidecarOptions): SidecarGenerator {
  return new SidecarGenerator(opts);
}

const ENTRY = fileURLToPath(new URL("./main.ts", import.meta.url));
// A child that lived this long before dying starts the backoff afresh.
const STABLE_UPTIME_MS = 60_000;
/** The longest a session's restore (before a start) or last save (at close) is waited for. */
const SESSION_SYNC_MS = 3_000;
// Jobs whose submission outcome became unknown here, remembered for the settle window of reconcile.
const UNKNOWN_MEMORY = 10_000;

/** Why a request got no reply. `sent`: the child received it and may have acted on it. */
class SidecarFailure extends Error {
  constructor(
    readonly reason: "not_ready" | "timeout" | "child_gone" | "error",
    readonly sent: boolean,
    message: string,
    readonly wire?: WireError,
  ) {
    super(message);
  }
}

interface Pending {
  op: Op;
  child: Subprocess;
  resolve: (reply: unknown) => void;
  reject: (err: SidecarFailure) => void;
  timer: ReturnType<typeof setTimeout>;
}

type RequestFields<O extends Op> = Omit<Extract<Request, { op: O }>, "op" | "id" | "timeoutMs">;

export class SidecarGenerator implements VideoGenerator {
  private readonly timeouts: SidecarTimeouts;
  private readonly log: Logger;
  private child: Subprocess | null = null;
  private childStartedAt = 0;
  private initialized = false;
  private readonly initWaiters = new Set<() => void>();
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private accounts: AccountStatus[] = [];
  /** The accounts this instance may drive (its leases): the only ones the child is asked to sign in to. */
  private active = new Set<string>();
  /** The active set the child last confirmed; null while it is not initialised. */
  private childActive: string | null = null;
  private pushing: Promise<void> | null = null;
  /** SESSION_STORE=postgres: saves on their way to the database (close() waits for them). */
  private readonly savingSessions = new Set<Promise<void>>();
  private crashes = 0;
  private restartTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly healthTimer: ReturnType<typeof setInterval>;
  private pinging = false;
  private closed = false;
  private lastExit: string | null = null;
  /**
   * When each job's submission outcome became unknown here, for the settle window of reconcile. In memory on
   * purpose: it is about requests this process's sidecar may still have on the wire. An instance that takes
   * the account over has waited out the lease's TTL, longer than the window. Which ids belong to which job
   * is the database's to say (ReconcileRequest.excludeIds), not this process's memory.
   */
  private readonly unknownSince = new LRUCache<number, number>({ max: UNKNOWN_MEMORY });

  constructor(private readonly opts: SidecarOptions) {
    this.timeouts = { ...DEFAULT_TIMEOUTS, ...opts.timeouts };
    this.log = opts.logger.child({ component: "sidecar-client" });
    this.spawn();
    this.healthTimer = setInterval(() => void this.checkHealth(), this.timeouts.healthIntervalMs);
  }

  /** The sidecar's process id (tests kill it). */
  get pid(): number | null {
    return this.child?.pid ?? null;
  }

  /** Resolves once a sidecar is up and initialised (bounded); false if not within `timeoutMs`. */
  async waitUntilStarted(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!this.initialized) {
      const left = deadline - Date.now();
      if (this.closed || left <= 0) return false;
      await within(new Promise<void>((resolve) => this.initWaiters.add(resolve)), left, undefined);
    }
    return true;
  }

  /** The accounts' last reported states. */
  accountStates(): AccountStatus[] {
    return this.accounts.map((a) => ({ ...a }));
  }

  // ── VideoGenerator ───────────────────────────────────────────────────────────────────────────────────

  activate(accounts: readonly string[]): void {
    const configured = new Set(this.opts.accounts.map((a) => a.email));
    // Effective at once on this side: nothing is sent for an account left out, whatever the child does.
    this.active = new Set(accounts.filter((a) => configured.has(a)));
    void this.pushActive();
  }

  async capacity(): Promise<AccountCapacity[]> {
    // While a sidecar (re)starts no account is known to be signed in: nothing is claimed for it.
    if (!this.initialized) return [];
    try {
      const reply = await this.request("capacity", {}, this.timeouts.capacityMs);
      return reply.accounts.filter((c) => this.active.has(c.account));
    } catch (err) {
      this.log.debug("capacity: using the last reported states", { error: errorMessage(err) });
      return this.accounts
        .filter((a) => this.active.has(a.email))
        .map((a) => ({ account: a.email, ready: a.state === "ready", slots: a.capacity, busy: null }));
    }
  }

  async submit(request: SubmitRequest): Promise<SubmitResult> {
    if (!this.active.has(request.account)) return { ok: false, kind: "unavailable", message: "the account is not driven by this instance (its lease is not held here)" };
    const image = request.image
      ? { base64: Buffer.from(request.image.bytes).toString("base64"), type: request.image.type, width: request.image.width, height: request.image.height }
      : undefined;
    try {
      const reply = await this.request(
        "submit",
        { jobId: request.jobId, account: request.account, kind: request.kind, prompt: request.prompt, settings: request.settings, ...(image ? { image } : {}) },
        this.timeouts.submitMs,
      );
      if (!reply.result.ok && reply.result.kind === "unknown_outcome") this.noteUnknown(request.jobId);
      return reply.result;
    } catch (err) {
      const failure = asFailure(err);
      const message = `sidecar ${failure.reason}: ${failure.message}`;
      // Only a request the child provably never acted on is safe to retry.
      const refusedUnread = [WIRE_ERRORS.badRequest, WIRE_ERRORS.notInitialized, WIRE_ERRORS.shuttingDown] as string[];
      const untouched = !failure.sent || (failure.wire !== undefined && refusedUnread.includes(failure.wire.code));
      if (untouched) return { ok: false, kind: "unavailable", message };
      this.log.warn("submission outcome unknown: it will be reconciled before anything is sent again", { jobId: request.jobId, reason: failure.reason });
      this.noteUnknown(request.jobId);
      return { ok: false, kind: "unknown_outcome", message };
    }
  }

  async poll(pixverseIds: string[], accountOf: ReadonlyMap<string, string>): Promise<PollResult> {
    const out: PollResult = { videos: new Map(), gone: new Set() };
    // Only ids of active accounts: another instance polls the others.
    const ids = pixverseIds.filter((id) => this.active.has(accountOf.get(id) ?? ""));
    if (ids.length === 0) return out;
    const owners = Object.fromEntries(ids.map((id) => [id, accountOf.get(id)!]));
    try {
      const reply = await this.request("poll", { ids, owners }, this.timeouts.pollMs);
      for (const video of reply.videos) out.videos.set(video.id, video);
      for (const id of reply.gone) out.gone.add(id);
    } catch (err) {
      this.log.warn("poll got no answer from the sidecar", { error: errorMessage(err) });
    }
    return out;
  }

  async reconcile(request: ReconcileRequest): Promise<ReconcileResult> {
    if (!this.active.has(request.account)) return { kind: "unknown", message: "the account is not driven by this instance (its lease is not held here)" };
    try {
      const reply = await this.request(
        "reconcile",
        {
          jobId: request.jobId,
          account: request.account,
          prompt: request.prompt,
          submittedAt: request.submittedAt.toISOString(),
          excludeIds: [...request.excludeIds],
        },
        this.timeouts.reconcileMs,
      );
      const result = reply.result;
      if (result.kind === "found") {
        this.unknownSince.delete(request.jobId);
        return result;
      }
      const settledAt = Math.max(request.submittedAt.getTime(), this.unknownSince.get(request.jobId) ?? 0) + this.timeouts.reconcileSettleMs;
      if (result.kind === "absent" && Date.now() < settledAt) {
        return { kind: "unknown", message: `not in the list yet; absent is trusted from ${new Date(settledAt).toISOString()}` };
      }
      if (result.kind === "absent") this.unknownSince.delete(request.jobId);
      return result;
    } catch (err) {
      return { kind: "unknown", message: `sidecar: ${errorMessage(err)}` };
    }
  }

  /**
   * The operator's "retry sign-in" (/admin, src/admin/controls.ts): the sidecar reopens the account from its
   * saved session and signs in now, unless it is signed in already. An account not driven here: false, nothing sent.
   */
  async signInAgain(account: string): Promise<boolean> {
    if (!this.active.has(account)) return false;
    const reply = await this.request("sign_in", { account }, this.timeouts.initMs);
    this.setAccounts(reply.accounts);
    return reply.restarted;
  }

  /** Where the account's saved session is kept: the file a person copies in after finishing a login headed. */
  sessionFileOf(email: string): string {
    return sessionFile(this.opts.config.sessionDir, email, this.opts.webUrl ?? this.opts.config.PIXVERSE_WEB_URL ?? DEFAULT_WEB_URL);
  }

  /**
   * Ready when an account driven here is ready, or when none is driven here (every account's lease is held
   * by another instance, which reports on it): an instance on standby still accepts and stores jobs.
   */
  health(): { ready: boolean; state: string; detail?: string } {
    if (this.closed) return { ready: false, state: "closed" };
    if (!this.initialized || this.accounts.length === 0) {
      return { ready: false, state: this.lastExit ? "sidecar_restarting" : "sidecar_starting", ...(this.lastExit ? { detail: this.lastExit } : {}) };
    }
    const detail = this.accounts.map((a) => `${maskEmail(a.email)}: ${a.state}${a.detail ? ` (${a.detail})` : ""}`).join("; ");
    const driven = this.accounts.filter((a) => a.state !== "standby");
    if (driven.length === 0) return { ready: true, state: "standby", detail };
    const ready = driven.some((a) => a.state === "ready");
    const state = ready ? "ready" : (driven.find((a) => a.state !== "login_failed") ?? driven[0]!).state;
    return { ready, state, detail };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // A session saved just before the stop reaches the database before the leases are released (main.ts
    // stops the generator first), so the next holder goes on with it.
    await within(Promise.all(this.savingSessions), SESSION_SYNC_MS, undefined);
    clearInterval(this.healthTimer);
    if (this.restartTimer) clearTimeout(this.restartTimer);
    const child = this.child;
    if (!child) return;
    try {
      if (this.initialized) await this.send(child, "shutdown", {}, this.timeouts.shutdownMs);
    } catch (err) {
      this.log.warn("sidecar did not shut down cleanly", { error: errorMessage(err) });
    }
    const exited = await within(child.exited.then(() => true), this.timeouts.shutdownMs, false);
    if (!exited) child.kill("SIGKILL");
    await child.exited;
  }

  // ── The child process ────────────────────────────────────────────────────────────────────────────────

  private spawn(): void {
    this.childStartedAt = Date.now();
    const child = Bun.spawn({
      cmd: [process.execPath, this.opts.entry ?? ENTRY],
      ipc: (message) => this.onMessage(child, message),
      serialization: "json",
      stdio: ["ignore", "inherit", "inherit"],
    });
    this.child = child;
    this.log.info("sidecar started", { pid: child.pid });
    void child.exited.then(() => this.onExit(child));
  }

  private onMessage(child: Subprocess, raw: unknown): void {
    if (child !== this.child) return;
    const parsed = childMessageSchema.safeParse(raw);
    if (!parsed.success) {
      this.log.error("unreadable message from the sidecar", { problems: parsed.error.issues.slice(0, 3).map((i) => i.message) });
      return;
    }
    const message = parsed.data;
    switch (message.type) {
      case "hello":
        void this.initialize(child);
        return;
      case "state":
        this.setAccounts(message.accounts);
        return;
      case "reply": {
        const pending = this.takePending(message.id);
        if (!pending) return;
        if (message.reply.op !== pending.op) {
          pending.reject(new SidecarFailure("error", true, `reply to ${pending.op} came as ${message.reply.op}`));
          return;
        }
        pending.resolve(message.reply);
        return;
      }
      case "error": {
        const pending = this.takePending(message.id);
        pending?.reject(new SidecarFailure("error", true, `${message.error.code}: ${message.error.message}`, message.error));
        return;
      }
    }
  }

  private async initialize(child: Subprocess): Promise<void> {
    const { config } = this.opts;
    const init: InitConfig = {
      accounts: this.opts.accounts,
      webUrl: this.opts.webUrl ?? config.PIXVERSE_WEB_URL ?? DEFAULT_WEB_URL,
      apiUrl: this.opts.apiUrl ?? config.PIXVERSE_API_URL ?? DEFAULT_API_URL,
      headless: config.HEADLESS,
      chromiumPath: config.CHROMIUM_PATH,
      sessionDir: config.sessionDir,
      timezone: config.BROWSER_TIMEZONE,
      humanLoginTimeoutMs: config.HUMAN_LOGIN_TIMEOUT_SECONDS * 1000,
      fallbackConcurrency: config.PIXVERSE_CONCURRENCY,
      submitMode: config.PIXVERSE_SUBMIT,
      createPath: config.PIXVERSE_CREATE_PATH,
      logLevel: this.opts.logLevel ?? config.LOG_LEVEL,
      tuning: this.opts.tuning ?? {},
      active: [...this.active],
      ...(this.opts.browserEnv ? { browserEnv: this.opts.browserEnv } : {}),
    };
    try {
      await this.restoreSessions(init.active);
      const reply = await this.send(child, "init", { config: init }, this.timeouts.initMs);
      if (child !== this.child) return;
      this.setAccounts(reply.accounts);
      this.childActive = activeKey(init.active);
      this.initialized = true;
      this.lastExit = null;
      this.log.info("sidecar initialised", { pid: child.pid, accounts: reply.accounts.length, active: init.active.length });
      for (const wake of [...this.initWaiters]) wake();
      this.initWaiters.clear();
      // The active set may have changed while the child was starting.
      void this.pushActive();
    } catch (err) {
      this.log.error("sidecar failed to initialise; restarting it", { error: errorMessage(err) });
      child.kill("SIGKILL");
    }
  }

  private onExit(child: Subprocess): void {
    if (child !== this.child) return;
    this.child = null;
    this.initialized = false;
    this.childActive = null;
    this.accounts = [];
    const how = child.signalCode ? `signal ${child.signalCode}` : `code ${child.exitCode}`;
    for (const [id, pending] of this.pending) {
      if (pending.child !== child) continue;
      this.takePending(id);
      pending.reject(new SidecarFailure("child_gone", true, `the sidecar exited (${how}) before answering`));
    }
    if (this.closed) return;
    if (Date.now() - this.childStartedAt > STABLE_UPTIME_MS) this.crashes = 0;
    const { initialMs = 500, maxMs = 30_000 } = this.opts.restart ?? {};
    const delay = Math.min(maxMs, initialMs * 2 ** this.crashes);
    this.crashes += 1;
    this.lastExit = `sidecar exited (${how}); restarting in ${delay} ms`;
    this.log.error("sidecar exited; restarting", { how, delayMs: delay, crashes: this.crashes });
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      if (this.closed) return;
      this.opts.metrics?.sidecarRestarted();
      this.spawn();
    }, delay);
  }

  /** A ping unanswered in time means the child hangs: kill it, and the exit handler starts a new one. */
  private async checkHealth(): Promise<void> {
    const child = this.child;
    if (!child || !this.initialized || this.pinging || this.closed) return;
    this.pinging = true;
    try {
      const reply = await this.send(child, "ping", {}, this.timeouts.pingMs);
      if (child === this.child) this.setAccounts(reply.accounts);
    } catch (err) {
      const failure = asFailure(err);
      if (failure.reason === "timeout" && child === this.child) {
        this.log.error("sidecar stopped answering; killing it", { pid: child.pid });
        child.kill("SIGKILL");
      }
    } finally {
      this.pinging = false;
    }
  }

  // ── Requests ─────────────────────────────────────────────────────────────────────────────────────────

  /** Send to the current child once it is initialised (waiting for that within the same timeout). */
  private async request<O extends Op>(op: O, fields: RequestFields<O>, timeoutMs: number): Promise<ReplyFor<O>> {
    const deadline = Date.now() + timeoutMs;
    if (this.closed) throw new SidecarFailure("not_ready", false, "the generator is closed");
    if (!(await this.waitUntilStarted(timeoutMs)) || !this.child) {
      throw new SidecarFailure("not_ready", false, this.lastExit ?? "the sidecar is not ready");
    }
    return this.send(this.child, op, fields, Math.max(1, deadline - Date.now()));
  }

  private send<O extends Op>(child: Subprocess, op: O, fields: RequestFields<O>, timeoutMs: number): Promise<ReplyFor<O>> {
    const id = this.nextId++;
    const timeout = Math.max(1, Math.round(timeoutMs));
    return new Promise<ReplyFor<O>>((resolve, reject) => {
      const timer = setTimeout(() => {
        if (this.takePending(id)) reject(new SidecarFailure("timeout", true, `no answer to ${op} within ${timeout} ms`));
      }, timeout);
      this.pending.set(id, { op, child, resolve: resolve as (reply: unknown) => void, reject, timer });
      try {
        child.send({ op, id, timeoutMs: timeout, ...fields });
      } catch (err) {
        this.takePending(id);
        reject(new SidecarFailure("child_gone", false, `could not send ${op}: ${errorMessage(err)}`));
      }
    });
  }

  /** The accounts as the child reported them (state message, init or ping reply); metrics see each report. */
  private setAccounts(accounts: AccountStatus[]): void {
    this.accounts = accounts;
    // A sign-in saved the session file: keep it in the database too (a file not changed since is not sent).
    const sessions = this.opts.sessions;
    if (sessions) {
      for (const a of accounts) {
        if (a.state !== "ready" || !this.active.has(a.email)) continue;
        const saving = sessions.save(a.email, this.sessionFileOf(a.email));
        this.savingSessions.add(saving);
        void saving.finally(() => this.savingSessions.delete(saving));
      }
    }
    this.opts.metrics?.accounts(accounts.map((a) => ({ account: maskEmail(a.email), state: a.state, detail: a.detail, credits: a.credits })));
  }

  /**
   * Before the child drives these accounts: their sessions from the database where newer than the files, at
   * once and bounded (a database that does not answer costs a sign-in, not a stalled start).
   */
  private async restoreSessions(accounts: readonly string[]): Promise<void> {
    const sessions = this.opts.sessions;
    if (!sessions) return;
    await Promise.all(accounts.map((email) => within(sessions.restore(email, this.sessionFileOf(email)), SESSION_SYNC_MS, undefined)));
  }

  private takePending(id: number): Pending | undefined {
    const pending = this.pending.get(id);
    if (!pending) return undefined;
    clearTimeout(pending.timer);
    this.pending.delete(id);
    return pending;
  }

  private noteUnknown(jobId: number): void {
    this.unknownSince.set(jobId, Date.now());
  }

  /**
   * Bring the child's active set to this side's, one `activate` at a time, until they agree. A child that
   * does not answer is killed by the health ping; its successor gets the set in `init`.
   */
  private pushActive(): Promise<void> {
    this.pushing ??= this.syncActive().finally(() => (this.pushing = null));
    return this.pushing;
  }

  private async syncActive(): Promise<void> {
    try {
      for (;;) {
        const child = this.child;
        const want = [...this.active];
        if (!child || !this.initialized || this.closed || this.childActive === activeKey(want)) return;
        const before: string[] = this.childActive ? JSON.parse(this.childActive) : [];
        await this.restoreSessions(want.filter((a) => !before.includes(a)));
        const reply = await this.send(child, "activate", { accounts: want }, this.timeouts.initMs);
        if (child !== this.child) return;
        this.childActive = activeKey(want);
        this.setAccounts(reply.accounts);
      }
    } catch (err) {
      this.log.warn("the sidecar did not confirm which accounts to drive", { error: errorMessage(err) });
    }
  }
}

/** An active set in a form that compares by content. */
function activeKey(accounts: readonly string[]): string {
  return JSON.stringify([...accounts].sort());
}

function asFailure(err: unknown): SidecarFailure {
  return err instanceof SidecarFailure ? err : new SidecarFailure("error", true, errorMessage(err));
}
