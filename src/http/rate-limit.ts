// Per-user rate limits (hono-rate-limiter), keyed by the validated app_bundle_id + apphud_user_id, never by IP.
import type { MiddlewareHandler } from "hono";
import { MemoryStore, rateLimiter, type Store } from "hono-rate-limiter";
import { HttpError, type LimitName } from "./errors.ts";
import type { AppEnv } from "./context.ts";

export interface RateLimitStores {
  generations: Store<AppEnv>;
  status: Store<AppEnv>;
}

/** In-process counters: right for one instance; several instances pass a shared store instead. */
export function memoryRateLimitStores(): RateLimitStores {
  return { generations: new MemoryStore<AppEnv>(), status: new MemoryStore<AppEnv>() };
}

const WINDOW_MS = 60_000;

export function perUserRateLimit(limitName: LimitName, perMinute: number, store: Store<AppEnv>): MiddlewareHandler<AppEnv> {
  return rateLimiter<AppEnv>({
    windowMs: WINDOW_MS,
    limit: perMinute,
    // The contract's 429 carries Retry-After (set with the error); RateLimit-* headers on every answer
    // cost a quarter of a status read's time and no client of this API reads them.
    standardHeaders: false,
    store,
    keyGenerator: (c) => {
      const owner = c.get("owner");
      return `${limitName}:${owner.app_bundle_id.length}:${owner.app_bundle_id}:${owner.apphud_user_id}`;
    },
    handler: (c) => {
      const reset = c.get("rateLimit")?.resetTime;
      const seconds = reset ? Math.max(1, Math.ceil((reset.getTime() - Date.now()) / 1000)) : WINDOW_MS / 1000;
      throw new HttpError({
        kind: "rate_limited",
        limit: limitName,
        message: `rate limit exceeded: at most ${perMinute} requests per minute per user`,
        retryAfterSeconds: seconds,
      });
    },
  });
}
