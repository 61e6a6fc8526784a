// The typed variables that middleware hands to handlers.
import type { RateLimitInfo } from "hono-rate-limiter";
import type { Owner } from "./schemas.ts";
import type { Params } from "./params.ts";

export type AppEnv = {
  Variables: {
    requestId: string;
    /** performance.now() when the request's scope opened (for its log line). */
    startedAt: number;
    /** The validated caller, set before the rate limiters run. */
    owner: Owner;
    /** Parsed request parameters of a generation request. */
    input: { params: Params; fields: { prompt: string; app_bundle_id: string; apphud_user_id: string } };
    rateLimit: RateLimitInfo;
  };
};
