// What happens right after an API route's parameters are validated, in the contract's order: a zod failure
// is the 400 naming the field; a valid app_bundle_id the request's API key is not bound to is the 403
// (before anything is counted); then the per-user limit (hono-rate-limiter's middleware) counts the request
// under its validated owner and answers 429 when it is over. The POST routes' merged-input validator
// (input.ts) calls it: the one place between validation and the handler, so the limiter middleware is run
// from here, with a `next` that only returns (the handler runs afterwards). get_status does the same steps
// inline (routes/status.ts).
import type { Context, MiddlewareHandler } from "hono";
import type { AppEnv } from "./context.ts";
import { invalidInput } from "./errors.ts";
import type { AfterValidation } from "./input.ts";
import type { Owner } from "./schemas.ts";

const done = async () => {};

/**
 * `limit` counts the request under its owner (and throws the 429 when over); `uncount` takes one count back, for
 * a keyed request that makes no video.
 */
export function afterValidation(limit: MiddlewareHandler<AppEnv>, uncount: (c: Context<AppEnv>) => Promise<void>): AfterValidation {
  return async (result, c): Promise<undefined> => {
    if (!result.success) throw invalidInput(result.error);
    const owner = result.data as Owner;
    c.get("grant")?.authorize(owner.app_bundle_id);
    c.set("owner", owner);
    // A keyed request (Idempotency-Key) is counted only when it makes a video: a retry that is answered the
    // first request's id makes nothing, and must not be refused for the retries before it; nor does one that a
    // limit refuses (this one included: its 429 leaves the count as it was).
    if (c.get("idempotencyKey") !== undefined) {
      c.set("countGeneration", async () => {
        const takeBack = () => uncount(c);
        try {
          await limit(c, done);
        } catch (e) {
          // The refusal is the answer, even when its count cannot be taken back (the database away).
          await takeBack().catch(() => {});
          throw e;
        }
        return takeBack;
      });
    } else await limit(c, done);
    return undefined;
  };
}
