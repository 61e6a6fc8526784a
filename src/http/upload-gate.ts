// How many image2video uploads are read and checked at once, and for how long. A burst of large uploads must
// not hold hundreds of MB at once, so only `slots` go past the gate together and the others wait their turn,
// in order. Slow senders must not stall everyone else behind them, so:
// - a request that waits longer than `waitMs` for a slot is a 503 with Retry-After (nothing stored);
// - a caller that goes away while waiting leaves the queue (nothing is read or stored for it);
// - a body that has not fully arrived `readMs` after its slot was given is a 408 (the connection closed), and
//   the slot is freed.
import type { Context, MiddlewareHandler } from "hono";
import type { AppEnv } from "./context.ts";
import { HttpError, invalidBody, type ApiError } from "./errors.ts";

export interface UploadGateOptions {
  /** Uploads read and checked at once. */
  slots: number;
  /** The longest wait for a slot. */
  waitMs: number;
  /** The longest time to receive a body once its slot is given. */
  readMs: number;
}

/**
 * Storing image rows is the bottleneck, not reading them, so 4 at once is as fast as 8 here and holds half the
 * memory (bench/README.md). A 20 MB upload takes 16 s at 10 Mbit/s: two minutes leave room for a slow link.
 */
export const UPLOAD_GATE: UploadGateOptions = { slots: 4, waitMs: 30_000, readMs: 120_000 };

/** Beyond the wait and the read: time to check and store an upload before its connection may idle out. */
const STORE_SECONDS = 30;

/** How long to come back after the gate's 503. */
const BUSY_RETRY_AFTER_SECONDS = 5;

export const UPLOADS_BUSY: ApiError = {
  kind: "service_unavailable",
  message: "too many uploads are in progress; try again shortly",
  retryAfterSeconds: BUSY_RETRY_AFTER_SECONDS,
};

export const uploadTooSlow = (readMs: number): ApiError => ({
  kind: "request_timeout",
  message: `the upload did not arrive within ${readMs / 1000} s`,
});

/**
 * The request's body as a stream that fails with the 408 once `readMs` have passed before its end: whatever
 * reads it next (Hono's bodyLimit, the form parser) stops there, and the error reaches the answer as it is.
 */
function withReadDeadline(c: Context<AppEnv>, readMs: number): void {
  const raw = c.req.raw;
  if (!raw.body) return;
  const reader = raw.body.getReader();
  const late = new HttpError(uploadTooSlow(readMs));
  let timer: ReturnType<typeof setTimeout> | undefined;
  let settled = false;
  const body = new ReadableStream<Uint8Array>({
    start(ctrl) {
      timer = setTimeout(() => {
        settled = true;
        ctrl.error(late);
        reader.cancel(late).catch(() => {});
      }, readMs);
    },
    async pull(ctrl) {
      const { done, value } = await reader.read().catch((e: unknown) => {
        if (!settled) throw e;
        return { done: true, value: undefined };
      });
      if (settled) return;
      if (done) {
        settled = true;
        clearTimeout(timer);
        ctrl.close();
      } else ctrl.enqueue(value);
    },
    cancel(reason) {
      settled = true;
      clearTimeout(timer);
      return reader.cancel(reason);
    },
  });
  c.req.raw = new Request(raw, { body, duplex: "half" } as RequestInit);
}

/** The gate as middleware: `next` runs holding a slot, with the body's read deadline running from then. */
export function uploadGate(options: UploadGateOptions): MiddlewareHandler<AppEnv> {
  let free = options.slots;
  const queue: { grant: () => void }[] = [];

  function release(): void {
    const following = queue.shift();
    if (following) following.grant();
    else free++;
  }

  function waitForSlot(c: Context<AppEnv>): Promise<void> {
    const signal = c.req.raw.signal;
    return new Promise<void>((resolve, reject) => {
      const leave = (error: Error) => {
        const at = queue.indexOf(entry);
        if (at < 0) return; // granted meanwhile
        queue.splice(at, 1);
        cleanup();
        reject(error);
      };
      const timer = setTimeout(() => leave(new HttpError(UPLOADS_BUSY)), options.waitMs);
      // No one reads this answer; the request line says what happened.
      const onAbort = () => leave(invalidBody("the caller went away while waiting for an upload slot"));
      const cleanup = () => {
        clearTimeout(timer);
        signal.removeEventListener("abort", onAbort);
      };
      const entry = {
        grant: () => {
          cleanup();
          resolve();
        },
      };
      queue.push(entry);
      signal.addEventListener("abort", onAbort);
    });
  }

  // Bun closes a connection whose request has not been answered within Bun.serve's idleTimeout, body data or
  // not: an upload's connection gets the whole wait and read, and a little for storing it; once answered, the
  // usual timeout again (a kept-alive connection is not held open longer for having uploaded).
  const idleSeconds = Math.ceil((options.waitMs + options.readMs) / 1000) + STORE_SECONDS;
  return async (c, next) => {
    const raw = c.req.raw;
    c.env?.timeout?.(raw, idleSeconds);
    try {
      if (free > 0) free--;
      else await waitForSlot(c);
      try {
        withReadDeadline(c, options.readMs);
        await next();
      } finally {
        release();
      }
    } finally {
      c.env?.usualTimeout?.();
    }
  };
}
