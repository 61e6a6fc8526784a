// Per-user rate limits, counted in hono-rate-limiter stores (MemoryStore here; a shared Store for several
// instances), keyed by the validated app_bundle_id + apphud_user_id, never by IP. Checked inline in the route
// handlers rather than through the library's middleware: its chain of awaits cost a fifth of a status read
// and a quarter of a generation request's JS time. One key, one window, one 429 for every limit.
import { MemoryStore, type ClientRateLimitInfo, type HonoConfigType, type Store } from "hono-rate-limiter";
import { HttpError, type LimitName } from "./errors.ts";
import type { AppEnv } from "./context.ts";
import type { Owner } from "./schemas.ts";

export interface RateLimitStores {
  generations: Store<AppEnv>;
  status: Store<AppEnv>;
}

/** In-process counters: right for one instance; several instances pass a shared store instead. */
export function memoryRateLimitStores(): RateLimitStores {
  return { generations: new MemoryStore<AppEnv>(), status: new MemoryStore<AppEnv>() };
}

const WINDOW_MS = 60_000;

const keyOf = (limitName: LimitName, owner: Owner) =>
  `${limitName}:${owner.app_bundle_id.length}:${owner.app_bundle_id}:${owner.apphud_user_id}`;

function limitExceeded(limitName: LimitName, perMinute: number, resetTime: Date | undefined): HttpError {
  const seconds = resetTime ? Math.max(1, Math.ceil((resetTime.getTime() - Date.now()) / 1000)) : WINDOW_MS / 1000;
  return new HttpError({
    kind: "rate_limited",
    limit: limitName,
    message: `rate limit exceeded: at most ${perMinute} requests per minute per user`,
    retryAfterSeconds: seconds,
  });
}

/**
 * A per-user limit: `check(owner)` throws the 429 when the owner is over it. Synchronous with a
 * synchronous store (MemoryStore); a shared store that answers with a promise makes it return one.
 */
export function inlineRateLimit(limitName: LimitName, perMinute: number, store: Store<AppEnv>) {
  store.init?.({ windowMs: WINDOW_MS, limit: perMinute } as HonoConfigType<AppEnv>);
  const judge = (info: ClientRateLimitInfo) => {
    if (info.totalHits > perMinute) throw limitExceeded(limitName, perMinute, info.resetTime);
  };
  return {
    check(owner: Owner): void | Promise<void> {
      const info = store.increment(keyOf(limitName, owner));
      return info instanceof Promise ? info.then(judge) : judge(info);
    },
  };
}
