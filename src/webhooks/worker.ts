// The webhook worker: takes due events from the outbox (db/webhooks.ts), signs and POSTs them, records each
// attempt, and retries with capped exponential backoff and jitter until the receiver answers 2xx or the
// retry window (24 h by default) has passed. At least once: an event is marked delivered only after a 2xx,
// so a crash between the receiver's answer and the record sends it again, with the same event_id and body.
// It polls the outbox's due index (cheap when nothing is due) and is woken at once by notify() when this
// process ends a job. Every instance runs one; the outbox's leases keep them from sending an event twice
// at the same time.
import type { WebhookOutbox, ClaimedDelivery } from "../db/webhooks.ts";
import type { Logger } from "../log.ts";
import type { Metrics } from "../metrics.ts";
import { postWebhook, type PostOutcome, type PostRequest } from "./delivery.ts";
import { EVENT_ID_HEADER, SIGNATURE_HEADER, signatureHeader, webhookBody } from "./signature.ts";

export const WEBHOOK_USER_AGENT = "pixverse-video-api-webhooks/1";

export interface WebhookWorkerOptions {
  outbox: WebhookOutbox;
  /** WEBHOOK_SECRET: the HMAC key of X-Signature. */
  secret: string;
  /** This instance's id (INSTANCE_ID): the outbox lease's owner. */
  owner: string;
  logger: Logger;
  metrics?: Metrics;
  /** WEBHOOK_ALLOW_PRIVATE: deliver to private and loopback addresses too. */
  allowPrivate: boolean;
  /**
   * The URL to send for a recorded result_url, made at each attempt (MEDIA_STORE=s3 with S3_PRESIGN_SECONDS: a
   * fresh presigned URL, so the receiver gets a link that works). Absent: the recorded URL, and every attempt
   * sends the same bytes.
   */
  answerUrl?: (url: string) => string;
  /** How long one attempt may take (WEBHOOK_TIMEOUT_SECONDS); default 10 s. */
  timeoutMs?: number;
  /** How long an event is retried after it was written (WEBHOOK_RETRY_HOURS); default 24 h. */
  retryWindowMs?: number;
  /** How often the outbox is looked at when nothing woke the worker; default 1 s. */
  pollMs?: number;
  /** Attempts in flight at once in this process; default 8. */
  concurrency?: number;
  /** The first retry's delay (doubling from there); default 10 s. */
  backoffBaseMs?: number;
  /** The longest delay between attempts; default 1 h. */
  backoffMaxMs?: number;
  /** How long a shutdown waits for attempts under way before cutting them off; default 5 s. */
  stopGraceMs?: number;
  /** Seam for tests: the clock of the signature's `t` and the jitter's randomness. */
  now?: () => number;
  random?: () => number;
  /** Seam for tests: how an attempt is sent. */
  post?: (req: PostRequest) => Promise<PostOutcome>;
}

export interface WebhookWorker {
  start(): void;
  /** Look at the outbox now (a job just ended); cheap, coalesced. */
  notify(): void;
  /** Stop claiming, let attempts under way finish (within the grace), hand the rest back to the outbox. */
  stop(): Promise<void>;
}

/** The delay after the `attempt`-th failed attempt: base × 2^(attempt-1), ±25 % jitter, capped. */
export function backoffMs(attempt: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const exp = Math.min(maxMs, baseMs * 2 ** Math.min(Math.max(attempt - 1, 0), 30));
  return Math.round(Math.min(maxMs, exp * (0.75 + random() * 0.5)));
}

export function createWebhookWorker(o: WebhookWorkerOptions): WebhookWorker {
  const log = o.logger.child({ component: "webhooks" });
  const timeoutMs = o.timeoutMs ?? 10_000;
  const retryWindowMs = o.retryWindowMs ?? 24 * 3600_000;
  const pollMs = o.pollMs ?? 1_000;
  const concurrency = o.concurrency ?? 8;
  const baseMs = o.backoffBaseMs ?? 10_000;
  const maxMs = o.backoffMaxMs ?? 3600_000;
  // Longer than any attempt (time-out, then recording it): a live attempt's row is never taken by another worker.
  const lockTtlMs = timeoutMs + 30_000;
  const now = o.now ?? Date.now;
  const random = o.random ?? Math.random;
  const post = o.post ?? postWebhook;

  let running = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let ticking: Promise<void> | null = null;
  let again = false;
  let outboxDown = false;
  const inFlight = new Map<string, { abort: AbortController; done: Promise<void> }>();

  const schedule = (ms: number) => {
    if (!running) return;
    clearTimeout(timer);
    timer = setTimeout(() => void tick(), ms);
  };

  function tick(): Promise<void> {
    if (!running) return Promise.resolve();
    if (ticking) {
      again = true;
      return ticking;
    }
    ticking = claimAndLaunch().finally(() => {
      ticking = null;
      if (again) {
        again = false;
        schedule(0);
      } else schedule(pollMs);
    });
    return ticking;
  }

  async function claimAndLaunch(): Promise<void> {
    try {
      const free = concurrency - inFlight.size;
      if (free > 0) {
        const claimed = await o.outbox.claimDue(o.owner, free, lockTtlMs);
        if (outboxDown) log.info("webhook outbox reachable again");
        outboxDown = false;
        // Claimed while stopping: handed back by stop()'s releaseAll.
        if (running) for (const d of claimed) launch(d);
      }
    } catch (e) {
      // Said once per outage, not once per poll.
      if (!outboxDown) log.warn("webhook outbox unreachable; retrying", { error: e });
      outboxDown = true;
    }
  }

  function launch(d: ClaimedDelivery): void {
    const abort = new AbortController();
    const done = attempt(d, abort.signal)
      .catch((e) => log.warn("webhook attempt not recorded; it is retried when its lease ends", { event_id: d.eventId, video_id: d.videoId, error: e }))
      .finally(() => {
        inFlight.delete(d.eventId);
        if (running) schedule(0);
      });
    inFlight.set(d.eventId, { abort, done });
  }

  async function attempt(d: ClaimedDelivery, signal: AbortSignal): Promise<void> {
    const body = webhookBody(o.answerUrl && d.resultUrl ? { ...d, resultUrl: o.answerUrl(d.resultUrl) } : d);
    const started = performance.now();
    const outcome = await post({
      url: d.url,
      body,
      headers: {
        "Content-Type": "application/json",
        "User-Agent": WEBHOOK_USER_AGENT,
        [EVENT_ID_HEADER]: d.eventId,
        [SIGNATURE_HEADER]: signatureHeader(o.secret, body, now() / 1000),
      },
      timeoutMs,
      allowPrivate: o.allowPrivate,
      signal,
    });
    const n = d.attempts + 1;
    // The host only: a callback URL's path or query may carry the receiver's own token.
    const fields = { event_id: d.eventId, video_id: d.videoId, host: hostOf(d.url), attempt: n, duration_ms: Math.round(performance.now() - started) };
    if (outcome.status === null && outcome.aborted) {
      await o.outbox.release(d.eventId, o.owner);
      log.info("webhook attempt cut off by shutdown; handed back", fields);
      return;
    }
    if (outcome.status !== null && outcome.status >= 200 && outcome.status < 300) {
      const recorded = await o.outbox.delivered(d.eventId, o.owner, outcome.status);
      o.metrics?.webhookAttempt("delivered");
      log.info("webhook delivered", { ...fields, status_code: outcome.status, ...(recorded ? {} : { note: "lease lost; it may be sent again" }) });
      return;
    }
    const error = outcome.status === null ? outcome.error : `HTTP ${outcome.status}`;
    const result = await o.outbox.attemptFailed(d.eventId, o.owner, { status: outcome.status, error }, backoffMs(n, baseMs, maxMs, random), retryWindowMs);
    const status = { status_code: outcome.status, error };
    if (result?.gaveUp) {
      o.metrics?.webhookAttempt("given_up");
      log.error("webhook given up after the retry window", { ...fields, ...status, retry_hours: retryWindowMs / 3600_000 });
    } else {
      o.metrics?.webhookAttempt("retry");
      log.warn("webhook attempt failed; retrying", { ...fields, ...status, next_attempt_at: result?.nextAttemptAt?.toISOString() ?? null });
    }
  }

  return {
    start() {
      if (running) return;
      running = true;
      log.info("webhook worker started", { timeout_ms: timeoutMs, retry_hours: retryWindowMs / 3600_000, allow_private: o.allowPrivate });
      schedule(0);
    },
    notify() {
      if (ticking) again = true;
      else schedule(0);
    },
    async stop() {
      if (!running) return;
      running = false;
      clearTimeout(timer);
      await ticking;
      const pending = [...inFlight.values()];
      if (pending.length > 0) {
        let graceTimer: ReturnType<typeof setTimeout> | undefined;
        const grace = new Promise<void>((r) => (graceTimer = setTimeout(r, o.stopGraceMs ?? 5_000)));
        await Promise.race([Promise.all(pending.map((p) => p.done)), grace]);
        clearTimeout(graceTimer);
        for (const p of inFlight.values()) p.abort.abort();
        await Promise.all([...inFlight.values()].map((p) => p.done));
      }
      // Anything still leased here (an attempt that could not record itself) is due again at once.
      await o.outbox.releaseAll(o.owner).catch(() => 0);
      log.info("webhook worker stopped");
    },
  };
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return "(unparsable)";
  }
}
