// GET /get_status: the key (401), the query validated by zod-openapi (400), the key's apps (403), the per-user
// limit (429), then one cached read; someone else's video is the same 404 as a missing one. Apps poll this:
// a video this process has seen is answered from the cache (src/videos.ts) without a database round trip.
import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import type { Store } from "hono-rate-limiter";
import { CONTRACT_STATUS, statusAnswer } from "../../domain/status.ts";
import type { VideoService } from "../../videos.ts";
import { requireApiKey, type ApiKeys } from "../api-keys.ts";
import type { AppEnv } from "../context.ts";
import { videoNotFound } from "../errors.ts";
import { afterValidation, asRouteHook } from "../guard.ts";
import { answers, keyAnswers, keySecurity, okAnswer } from "../openapi.ts";
import { perMinuteLimited, perUserRateLimit } from "../rate-limit.ts";
import { getStatusSchema } from "../schemas.ts";

export interface StatusDeps {
  videos: VideoService;
  statusPerMinute: number;
  store: Store<AppEnv>;
  /** The API key check (src/http/api-keys.ts), or null when keys are off. */
  keys: ApiKeys | null;
}

const STATUS_ANSWER = z
  .union([
    z.object({ url: z.string().openapi({ description: "The finished video.", example: "https://media.pixverse.ai/…/video.mp4" }) }),
    z.object({ status: z.enum(Object.values(CONTRACT_STATUS) as [string, ...string[]]).openapi({ description: "Where the video stands when it has no URL." }) }),
  ])
  .openapi("StatusAnswer");

export function registerStatusRoutes(app: OpenAPIHono<AppEnv>, deps: StatusDeps): void {
  const { videos, keys } = deps;
  const route = createRoute({
    method: "get",
    path: "/get_status",
    summary: "Where a video stands",
    middleware: keys ? [requireApiKey(keys)] : [],
    request: { query: getStatusSchema },
    ...keySecurity(keys !== null),
    responses: {
      200: okAnswer("The video's URL when it is done, else its status.", STATUS_ANSWER, {
        done: { url: "https://media.pixverse.ai/pixverse/mp4/video.mp4" },
        generating: { status: CONTRACT_STATUS.generating },
        deleted: { status: CONTRACT_STATUS.deleted },
        moderated: { status: CONTRACT_STATUS.moderated },
        failed: { status: CONTRACT_STATUS.failed },
      }),
      400: answers.badRequest([{ summary: "bad video_id", error: { kind: "invalid_parameter", field: "video_id", message: "video_id must be a positive integer" } }]),
      ...keyAnswers(keys !== null),
      404: answers.notFound,
      429: answers.rateLimited([
        { summary: "status_requests_per_minute", error: perMinuteLimited("status_requests_per_minute", deps.statusPerMinute) },
      ]),
      500: answers.internalError,
      503: answers.serviceUnavailable,
    },
  });
  app.openapi(
    route,
    async (c) => {
      const q = c.req.valid("query");
      // Ids past 2^53 are validated to 0: no such video, and no reason to ask the database.
      // cachedStatus: undefined is "not known here" (read the database); null is "known not to exist".
      const cached = q.video_id > 0 ? videos.cachedStatus(q.video_id) : null;
      const row = cached !== undefined ? cached : await videos.status(q.video_id);
      if (!row || row.appBundleId !== q.app_bundle_id || row.apphudUserId !== q.apphud_user_id) throw videoNotFound();
      return c.json(statusAnswer(row.state, row.resultUrl), 200);
    },
    asRouteHook<Parameters<typeof app.openapi<typeof route>>[2]>(afterValidation(perUserRateLimit("status_requests_per_minute", deps.statusPerMinute, deps.store))),
  );
}
