// Hono's typed environment for our routes: what the middleware hands on to the handlers.
import type { RequestIdVariables } from "hono/request-id";
import type { RateLimitInfo } from "hono-rate-limiter";
import type { CountGeneration } from "../db/videos.ts";
import type { ApiKeyGrant } from "./api-keys.ts";
import type { Owner } from "./schemas.ts";
import type { Connection } from "./bun-fetch.ts";

export type AppEnv = {
  /** The connection (src/http/bun-fetch.ts); absent in-process (app.request in tests). */
  Bindings: Partial<Connection>;
  Variables: RequestIdVariables & {
    /** What the request's API key may do (set by the key check; absent when keys are off). */
    grant?: ApiKeyGrant;
    /** The validated owner of the request: the per-user limits' key. */
    owner?: Owner;
    /** The validated parameters of a POST route (query string and body merged), typed by the route. */
    input?: unknown;
    /** Set by hono-rate-limiter's middleware: the count and the window's end. */
    rateLimit?: RateLimitInfo;
    /** The request's Idempotency-Key, checked (set by checkIdempotencyKey; absent without the header). */
    idempotencyKey?: string;
    /**
     * A keyed request's per-user limit, counted only if it makes a video (a replay makes none): set by the
     * guard in place of counting, run by the keyed path once no live key answers it (src/db/idempotency.ts).
     * Throws the 429 (the count taken back); otherwise answers how to take the count back, for a request that
     * then makes no video after all (refused by another limit, answered by a concurrent twin, or failed).
     */
    countGeneration?: CountGeneration;
  };
};
