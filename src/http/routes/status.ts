// GET /get_status: the key (401), the query validated by its zod schema (400), the key's apps (403), the
// per-user limit (429), then one cached read; someone else's video is the same 404 as a missing one. Apps poll
// this: a video this process has seen is answered from the cache (src/videos.ts) without a database round trip.
// Declared in the OpenAPI document like every route, but served by one handler instead of zod-openapi's
// validator, hono-rate-limiter's middleware and the scope middleware: that chain doubled this route's cost
// (11.1 µs against 5.5 µs per request in-process, app.fetch in a loop; on bench/api.sh the
// status ratio was 0.21 × hello with it). The same schema, store, key check and scope run inline.
import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { LRUCache } from "lru-cache";
import type { Store } from "hono-rate-limiter";
import { CONTRACT_STATUS, isFinal, statusAnswer } from "../../domain/status.ts";
import type { VideoService } from "../../videos.ts";
import type { ApiKeys } from "../api-keys.ts";
import type { AppEnv } from "../context.ts";
import { invalidInput, videoNotFound } from "../errors.ts";
import { queryFields } from "../input.ts";
import { answers, keyAnswers, keySecurity, okAnswer } from "../openapi.ts";
import { directRateLimit, perMinuteLimited } from "../rate-limit.ts";
import { getStatusSchema, statusDetailSchema } from "../schemas.ts";
import { answerJson, type RequestScope } from "../scope.ts";
import type { StatusRow } from "../../db/videos.ts";
import type { QueueDetail } from "../../db/queue-position.ts";

/** get_status's optional flag: never an error, even with a malformed percent-escape (schemas.ts detailField). */
const DETAIL: ReadonlySet<string> = new Set(["detail"]);
/** get_status's parameters: a value of another field that does not decode is ignored with the field. */
const STATUS_FIELDS: ReadonlySet<string> = new Set([...Object.keys(getStatusSchema.shape), ...DETAIL]);

/** Distinct valid query strings kept validated, and their characters in all (a poll's URL is about 100). */
const QUERY_MEMO_ENTRIES = 10_000;
const QUERY_MEMO_CHARS = 2_000_000;

/** get_status's query as validated, with what the handler derives from it once. */
interface StatusQuery {
  video_id: number;
  app_bundle_id: string;
  apphud_user_id: string;
  /** `detail=true` (or 1) was asked for. */
  detail: boolean;
  /** The user's key under status_requests_per_minute. */
  limitKey: string;
}

export interface StatusDeps {
  videos: VideoService;
  statusPerMinute: number;
  store: Store<AppEnv>;
  /** The API key check (src/http/api-keys.ts), or null when keys are off. */
  keys: ApiKeys | null;
  scope: RequestScope;
  /**
   * `detail=true` (beyond the contract): where a video that is not final stands (src/db/queue-position.ts);
   * null when final. Absent: `detail=true` is validated and answered exactly as without it.
   */
  queueDetail?: { of(id: number): Promise<QueueDetail | null> };
}

const STATUS_ANSWER = z
  .union([
    z.object({ url: z.string().openapi({ description: "The finished video.", example: "https://media.pixverse.ai/…/video.mp4" }) }),
    z.object({ status: z.enum(Object.values(CONTRACT_STATUS) as [string, ...string[]]).openapi({ description: "Where the video stands when it has no URL." }) }),
    z
      .object({
        status: z.literal(CONTRACT_STATUS.generating),
        state: z.enum(["queued", "submitting", "generating"]).openapi({ description: "With detail=true: queued (waits its turn), submitting (on its way to Pixverse) or generating (at Pixverse)." }),
        queue_position: z.number().int().min(1).optional().openapi({ description: "With detail=true, while queued: 1 = the next video to be submitted (in the fair order across users)." }),
        eta_seconds: z.number().int().min(1).optional().openapi({ description: "With detail=true: seconds until the video should be done (recent generation times, free slots); absent while no account takes work." }),
      })
      .openapi({ description: "detail=true while the video is not final (beyond the contract)." }),
  ])
  .openapi("StatusAnswer");

export function registerStatusRoutes(app: OpenAPIHono<AppEnv>, deps: StatusDeps): void {
  const { videos, keys } = deps;
  const route = createRoute({
    method: "get",
    path: "/get_status",
    summary: "Where a video stands",
    request: { query: getStatusSchema.extend(statusDetailSchema.shape) },
    ...keySecurity(keys !== null),
    responses: {
      200: okAnswer("The video's URL when it is done, else its status.", STATUS_ANSWER, {
        done: { url: "https://media.pixverse.ai/pixverse/mp4/video.mp4" },
        generating: { status: CONTRACT_STATUS.generating },
        deleted: { status: CONTRACT_STATUS.deleted },
        moderated: { status: CONTRACT_STATUS.moderated },
        failed: { status: CONTRACT_STATUS.failed },
        "queued (detail=true)": { status: CONTRACT_STATUS.generating, state: "queued", queue_position: 3, eta_seconds: 95 },
        "generating (detail=true)": { status: CONTRACT_STATUS.generating, state: "generating", eta_seconds: 41 },
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

  // An app polls with the same query string until its video is done: the query as validated (and its limit
  // key) is kept by that string, so a repeat is neither parsed nor validated again. Only valid queries are
  // kept; the schema's answer for a string never changes.
  const validated = new LRUCache<string, StatusQuery>({
    max: QUERY_MEMO_ENTRIES,
    // Bounded by the strings' length too: extra parameters are allowed, so a caller could send long ones.
    maxSize: QUERY_MEMO_CHARS,
    sizeCalculation: (_, url) => url.length,
  });
  const validate = (c: Context<AppEnv>): StatusQuery => {
    const url = c.req.url;
    let q = validated.get(url);
    if (q === undefined) {
      // `detail` is never an error (schemas.ts): a malformed escape in it is kept as typed, so not `true`.
      const fields = queryFields(c, STATUS_FIELDS, DETAIL);
      const parsed = getStatusSchema.safeParse(fields);
      if (!parsed.success) throw invalidInput(parsed.error);
      // Beyond the contract, and looked at only when the query names it: the contract's path does no more work.
      const detail = fields.detail !== undefined && detailWanted(fields);
      q = { ...parsed.data, detail, limitKey: limit.keyOf(parsed.data) };
      validated.set(url, q);
    }
    return q;
  };

  app.get(
    "/get_status",
    deps.scope.direct("/get_status", (c: Context<AppEnv>, id: string) => {
      // With keys on: 401 before anything else, 403 once app_bundle_id is known to be valid, before the limit.
      const grant = keys?.authenticate(c);
      const q = validate(c);
      grant?.authorize(q.app_bundle_id);
      const answer = (row: StatusRow | null) => {
        if (!row || row.appBundleId !== q.app_bundle_id || row.apphudUserId !== q.apphud_user_id) throw videoNotFound();
        return answerJson(id, statusAnswer(row.state, row.resultUrl));
      };
      const limited = limit.count(q.limitKey);
      if (q.detail) return (limited ?? Promise.resolve()).then(() => read(q.video_id)).then((row) => detailed(id, q, row));
      if (limited) return limited.then(() => read(q.video_id)).then(answer);
      // cachedStatus: undefined is "not known here" (read the database); null is "known not to exist".
      const cached = q.video_id > 0 ? videos.cachedStatus(q.video_id) : null;
      return cached !== undefined ? answer(cached) : read(q.video_id).then(answer);
    }),
  );

  /** The contract's answer and, while the video is not final, where it stands (read fresh, not from the cache). */
  async function detailed(id: string, q: { app_bundle_id: string; apphud_user_id: string }, row: StatusRow | null): Promise<Response> {
    if (!row || row.appBundleId !== q.app_bundle_id || row.apphudUserId !== q.apphud_user_id) throw videoNotFound();
    if (isFinal(row.state) || !deps.queueDetail) return answerJson(id, statusAnswer(row.state, row.resultUrl));
    const extra = await deps.queueDetail.of(row.id);
    if (extra) return answerJson(id, { ...statusAnswer(row.state, row.resultUrl), ...extra });
    // Final by now (the cached row was up to a second behind): answer from a fresh read, not the stale copy.
    videos.changed(row.id);
    const fresh = await read(row.id);
    if (!fresh) throw videoNotFound();
    return answerJson(id, statusAnswer(fresh.state, fresh.resultUrl));
  }
}

/** `detail` as given: true when it asks for the details (schemas.ts), never an error. */
function detailWanted(fields: Record<string, unknown>): boolean {
  const parsed = statusDetailSchema.safeParse(fields);
  if (!parsed.success) throw invalidInput(parsed.error);
  return parsed.data.detail === true;
}
