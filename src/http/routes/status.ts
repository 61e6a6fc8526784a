// GET /get_status: one cached read; someone else's video is the same 404 as a missing one.
// This is the hot path (apps poll it): a single synchronous function when the answer is in memory, so Hono
// and Bun answer without a middleware chain or a promise. Same zod schema, same limit store, same errors as
// everywhere else; only the database read (a cache miss) is asynchronous.
import { Hono } from "hono";
import type { Store } from "hono-rate-limiter";
import { statusAnswer } from "../../domain/status.ts";
import type { StatusRow } from "../../db/videos.ts";
import type { VideoService } from "../../videos.ts";
import type { AppEnv } from "../context.ts";
import { videoNotFound } from "../errors.ts";
import { queryFields } from "../params.ts";
import { inlineRateLimit } from "../rate-limit.ts";
import type { RequestScope } from "../request-scope.ts";
import type { ApiKeys } from "../api-keys.ts";
import { getStatusSchema } from "../schemas.ts";
import { validate } from "../validate.ts";

export interface StatusDeps {
  scope: RequestScope;
  videos: VideoService;
  statusPerMinute: number;
  store: Store<AppEnv>;
  /** The API key check (src/http/api-keys.ts), or null when keys are off. */
  keys: ApiKeys | null;
}

export function statusRoutes(deps: StatusDeps) {
  const { scope, videos, keys } = deps;
  const app = new Hono<AppEnv>();
  const limit = inlineRateLimit("status_requests_per_minute", deps.statusPerMinute, deps.store);

  scope.route(app, "GET", "/get_status", (c, reply) => {
    // With keys on: 401 before anything else, 403 once app_bundle_id is known to be valid, before the limit.
    const grant = keys?.authenticate(c);
    const q = validate(getStatusSchema, queryFields(c));
    grant?.authorize(q.app_bundle_id);
    const answer = (row: StatusRow | null) => {
      if (!row || row.appBundleId !== q.app_bundle_id || row.apphudUserId !== q.apphud_user_id) throw videoNotFound();
      return reply.json(statusAnswer(row.state, row.resultUrl));
    };
    const limited = limit.check(q);
    if (limited) return limited.then(() => read(q.video_id)).then(answer);
    const cached = q.video_id > 0 ? videos.cachedStatus(q.video_id) : null;
    return cached !== undefined ? answer(cached) : read(q.video_id).then(answer);
  });

  // Ids past 2^53 are validated to 0: no such video, and no reason to ask the database.
  const read = (id: number): Promise<StatusRow | null> => (id > 0 ? videos.status(id) : Promise.resolve(null));
  return app;
}
