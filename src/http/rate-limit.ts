// Per-user rate limits through hono-rate-limiter's middleware, keyed by the validated app_bundle_id +
// apphud_user_id (never by IP: many users share an address behind a mobile carrier, and one user has many).
// The counters live in a hono-rate-limiter Store chosen by configuration (RATE_LIMIT_STORE): its MemoryStore
// for one instance, or PostgresRateLimitStore (src/db/rate-limit-store.ts) shared by every instance.
// A limited request is the contract's 429 (error body naming the limit, Retry-After), not the library's text.
import { MemoryStore, rateLimiter, type ClientRateLimitInfo, type HonoConfigType, type Store } from "hono-rate-limiter";
import type { Context, MiddlewareHandler } from "hono";
import type { Db } from "../db/client.ts";
import { PostgresRateLimitStore, type PostgresRateLimitStoreOptions } from "../db/rate-limit-store.ts";
import type { AppEnv } from "./context.ts";
import { HttpError, type ApiError, type LimitName } from "./errors.ts";
import type { Owner } from "./schemas.ts";

export interface RateLimitStores {
  generations: Store<AppEnv>;
  status: Store<AppEnv>;
}

export type RateLimitStoreKind = "memory" | "postgres";

/** In-process counters: right for one instance. */
export function memoryRateLimitStores(): RateLimitStores {
  return { generations: new MemoryStore<AppEnv>(), status: new MemoryStore<AppEnv>() };
}

/** Counters in the database's rate_limits table, shared by every instance on it (keys name their limit). */
export function postgresRateLimitStores(db: Db, options: PostgresRateLimitStoreOptions = {}): RateLimitStores {
  return { generations: new PostgresRateLimitStore<AppEnv>(db, options), status: new PostgresRateLimitStore<AppEnv>(db, options) };
}

const WINDOW_MS = 60_000;

/** The 429 of a per-minute limit (also the OpenAPI document's example, with a sample Retry-After). */
export const perMinuteLimited = (limit: LimitName, perMinute: number, retryAfterSeconds = 42): ApiError => ({
  kind: "rate_limited",
  limit,
  message: `rate limit exceeded: at most ${perMinute} requests per minute per user`,
  retryAfterSeconds,
});

/**
 * The limit `limitName` of `perMinute` requests per user and minute. Runs after validation: the key is the
 * validated owner (`c.get("owner")`), so a 400 or a 403 is never counted.
 */
export function perUserRateLimit(limitName: LimitName, perMinute: number, store: Store<AppEnv>): MiddlewareHandler<AppEnv> {
  return rateLimiter<AppEnv>({
    windowMs: WINDOW_MS,
    limit: perMinute,
    store,
    // The contract's answer carries Retry-After only; the draft RateLimit-* headers are not part of it.
    standardHeaders: false,
    keyGenerator: (c) => limitKey(limitName, c.get("owner")!),
    handler: (c) => {
      throw limitExceeded(limitName, perMinute, c.get("rateLimit")?.resetTime);
    },
  });
}

/** Takes one count of `limitName` back from the request's owner (`c.get("owner")`, set before it counted). */
export function perUserUncount(limitName: LimitName, store: Store<AppEnv>): (c: Context<AppEnv>) => Promise<void> {
  return async (c) => {
    await store.decrement(limitKey(limitName, c.get("owner")!));
  };
}

/** A user's counter under one limit. The id lengths keep `("a:b", "c")` and `("a", "b:c")` apart. */
const limitKey = (limitName: LimitName, owner: Owner) =>
  `${limitName}:${owner.app_bundle_id.length}:${owner.app_bundle_id}:${owner.apphud_user_id}`;

function limitExceeded(limitName: LimitName, perMinute: number, reset: Date | undefined): HttpError {
  const seconds = reset ? Math.max(1, Math.ceil((reset.getTime() - Date.now()) / 1000)) : WINDOW_MS / 1000;
  return new HttpError(perMinuteLimited(limitName, perMinute, seconds));
}

/**
 * The same limit counted straight in its store, for get_status's single handler (see there): the store's
 * own increment, the same key and the same 429. `keyOf` makes a user's key once (get_status keeps it with
 * the validated query); `count` counts one request under it, synchronously with a synchronous store
 * (MemoryStore).
 */
export function directRateLimit(limitName: LimitName, perMinute: number, store: Store<AppEnv>) {
  store.init?.({ windowMs: WINDOW_MS, limit: perMinute } as HonoConfigType<AppEnv>);
  const judge = (info: ClientRateLimitInfo) => {
    if (info.totalHits > perMinute) throw limitExceeded(limitName, perMinute, info.resetTime);
  };
  return {
    keyOf: (owner: Owner): string => limitKey(limitName, owner),
    count(key: string): void | Promise<void> {
      const info = store.increment(key);
      return info instanceof Promise ? info.then(judge) : judge(info);
    },
  };
}
