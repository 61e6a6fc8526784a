// GET /get_status: the key (401), the query validated by its zod schema (400), the key's apps (403), the
// per-user limit (429), then one cached read; someone else's video is the same 404 as a missing one. Apps poll
// this: a video this process has seen is answered from the cache (src/videos.ts) without a database round trip.
// Declared in the OpenAPI document like every route, but served by one handler instead of zod-openapi's
// validator, hono-rate-limiter's middleware and the scope middleware: that chain doubled this route's cost
// (11.1 µs against 5.5 µs per request in-process, app.fetch in a loop; on bench/api.sh the
// status ratio was 0.21 × hello with it). The same schema, store, key check and scope run inline.
import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { Store } from "hono-rate-limiter";
import { CONTRACT_STATUS, statusAnswer } from "../../domain/status.ts";
import type { VideoService } from "../../videos.ts";
import type { ApiKeys } from "../api-keys.ts";
import type { AppEnv } from "../context.ts";
import { invalidInput, videoNotFound } from "../errors.ts";
import { queryFields } from "../input.ts";
import { answers, keyAnswers, keySecurity, okAnswer } from "../openapi.ts";
import { directRateLimit, perMinuteLimited } from "../rate-limit.ts";
import { getStatusSchema } from "../schemas.ts";
import type { RequestScope } from "../scope.ts";
import type { StatusRow } from "../../db/videos.ts";

export interface StatusDeps {
  videos: VideoService;
  statusPerMinute: number;
  store: Store<AppEnv>;
  /** The API key check (src/http/api-keys.ts), or null when keys are off. */
  keys: ApiKeys | null;
  scope: RequestScope;
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
  app.openAPIRegistry.registerPath(route);
  const limit = directRateLimit("status_requests_per_minute", deps.statusPerMinute, deps.store);
  // Ids past 2^53 are validated to 0: no such video, and no reason to ask the database.
  const read = (id: number): Promise<StatusRow | null> => (id > 0 ? videos.status(id) : Promise.resolve(null));

  app.get(
    "/get_status",
    deps.scope.direct("/get_status", (c: Context<AppEnv>) => {
      // With keys on: 401 before anything else, 403 once app_bundle_id is known to be valid, before the limit.
      const grant = keys?.authenticate(c);
      const parsed = getStatusSchema.safeParse(queryFields(c));
      if (!parsed.success) throw invalidInput(parsed.error);
      const q = parsed.data;
      grant?.authorize(q.app_bundle_id);
      const answer = (row: StatusRow | null) => {
        if (!row || row.appBundleId !== q.app_bundle_id || row.apphudUserId !== q.apphud_user_id) throw videoNotFound();
        return c.json(statusAnswer(row.state, row.resultUrl), 200);
      };
      const limited = limit(q);
      if (limited) return limited.then(() => read(q.video_id)).then(answer);
      // cachedStatus: undefined is "not known here" (read the database); null is "known not to exist".
      const cached = q.video_id > 0 ? videos.cachedStatus(q.video_id) : null;
      return cached !== undefined ? answer(cached) : read(q.video_id).then(answer);
    }),
  );
}
