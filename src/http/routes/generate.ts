// POST /text2video and POST /image2video: validate (the contract's fields and the optional generation settings),
// rate-limit per user, store one queued job, answer its id.
import { Hono, type Context } from "hono";
import { UPLOAD_MAX_BYTES } from "../../domain/limits.ts";
import type { VideoService } from "../../videos.ts";
import type { InsertOutcome, NewVideo } from "../../db/videos.ts";
import { HttpError, invalidBody } from "../errors.ts";
import type { AppEnv } from "../context.ts";
import { readParams, type Params } from "../params.ts";
import { inlineRateLimit } from "../rate-limit.ts";
import type { Store } from "hono-rate-limiter";
import { generationSchemas, requestedSettings, type GenerationFields } from "../schemas.ts";
import type { AllowedSettings } from "../../domain/settings.ts";
import { acceptImage } from "../upload.ts";
import { validate } from "../validate.ts";
import { clientIp } from "../client-ip.ts";
import type { RequestScope } from "../request-scope.ts";
import type { ApiKeyGrant, ApiKeys } from "../api-keys.ts";

/** Text requests are small: the longest legal prompt, JSON-escaped, is well under this. */
const TEXT_BODY_MAX_BYTES = 256 * 1024;
/** Room for the multipart framing and the text fields around a file just under the upload limit. */
const UPLOAD_BODY_MAX_BYTES = UPLOAD_MAX_BYTES + TEXT_BODY_MAX_BYTES;

/**
 * Uploads read and stored at once; the others wait before their body is read. Storing image rows is the
 * bottleneck, not reading them, so 4 at once is as fast as 8 here (32 concurrent 19 MiB uploads: ~18 s for
 * 3 rounds either way) and holds half the memory.
 */
const UPLOADS_IN_PROGRESS = 4;

/**
 * An upload leaves about three times its size in garbage (its body, its parsed part, the checked bytes),
 * which the collector would free whenever it likes; under a burst of large uploads that lets RSS climb
 * towards a GB. Once 32 MiB of uploads have passed since the last collection and the process holds more
 * than 256 MiB, collect at once (a full collection of this heap takes a few ms); small uploads never pay.
 */
const COLLECT_AFTER_UPLOAD_BYTES = 32 * 1024 * 1024;
const COLLECT_ABOVE_RSS_BYTES = 256 * 1024 * 1024;

function uploadGarbageCollector(): (uploadBytes: number) => void {
  let sinceCollection = 0;
  return (uploadBytes) => {
    sinceCollection += uploadBytes;
    if (sinceCollection < COLLECT_AFTER_UPLOAD_BYTES) return;
    sinceCollection = 0;
    if (process.memoryUsage.rss() > COLLECT_ABOVE_RSS_BYTES) Bun.gc(true);
  };
}

/** How long to come back after a 429 that depends on videos finishing (not on a clock). */
export const BUSY_RETRY_AFTER_SECONDS = 30;

export interface GenerateDeps {
  scope: RequestScope;
  videos: VideoService;
  generationsPerMinute: number;
  store: Store<AppEnv>;
  /** What callers may choose (model, quality, duration, aspect_ratio). */
  allowed: AllowedSettings;
  /** The API key check (src/http/api-keys.ts), or null when keys are off. */
  keys: ApiKeys | null;
}

type Parsed = { params: Params; fields: GenerationFields };
type Schema = ReturnType<typeof generationSchemas>["text2video" | "image2video"];

export function generateRoutes(deps: GenerateDeps) {
  const { scope, videos, keys } = deps;
  const app = new Hono<AppEnv>();
  const limit = inlineRateLimit("generations_per_minute", deps.generationsPerMinute, deps.store);
  const schemas = generationSchemas(deps.allowed);

  /**
   * The request's parameters, validated, checked against the key's apps (403) and counted against the
   * per-minute limit. `grant` is what the request's key may do (undefined when keys are off), authenticated before this.
   */
  async function accept(c: Context<AppEnv>, maxBytes: number, schema: Schema, grant: ApiKeyGrant | undefined): Promise<Parsed> {
    const params = await readParams(c, maxBytes);
    const fields: GenerationFields = validate(schema, params.fields);
    grant?.authorize(fields.app_bundle_id);
    await limit.check(fields);
    return { params, fields };
  }

  scope.route(app, "POST", "/text2video", async (c, reply) => {
    // The key first (401): before the body is read.
    const grant = keys?.authenticate(c);
    const { fields } = await accept(c, TEXT_BODY_MAX_BYTES, schemas.text2video, grant);
    const outcome = await videos.create(newVideo(c, fields, "t2v"));
    return reply.json(answer(outcome));
  });

  const uploads = createSemaphore(UPLOADS_IN_PROGRESS);
  const collectUploadGarbage = uploadGarbageCollector();
  scope.route(app, "POST", "/image2video", async (c, reply) => {
    // The key first (401): before the body is read or an upload slot is taken.
    const grant = keys?.authenticate(c);
    const type = (c.req.header("content-type") ?? "").toLowerCase();
    if (!type.startsWith("multipart/form-data")) throw invalidBody("image2video takes multipart/form-data with a `file` field");
    const release = await uploads.acquire();
    // What this upload left to collect: its announced length, or the file's size once parsed (a chunked body).
    let uploadBytes = Number(c.req.header("content-length")) || 0;
    try {
      const { params, fields } = await accept(c, UPLOAD_BODY_MAX_BYTES, schemas.image2video, grant);
      uploadBytes = Math.max(uploadBytes, params.files.file?.size ?? 0);
      const image = await acceptImage(params.files.file);
      // The parsed multipart file is no longer needed; keep only the accepted bytes while the row commits.
      delete params.files.file;
      const outcome = await videos.create({ ...newVideo(c, fields, "i2v"), image });
      return reply.json(answer(outcome));
    } finally {
      release();
      collectUploadGarbage(uploadBytes);
    }
  });

  return app;
}

/** At most `n` holders at once; the rest wait in order. */
function createSemaphore(n: number) {
  let free = n;
  const waiting: (() => void)[] = [];
  const release = () => {
    const next = waiting.shift();
    if (next) next();
    else free++;
  };
  return {
    async acquire(): Promise<() => void> {
      if (free > 0) free--;
      else await new Promise<void>((resolve) => waiting.push(resolve));
      return release;
    },
  };
}

function newVideo(c: Context<AppEnv>, fields: GenerationFields, kind: "t2v" | "i2v"): NewVideo {
  return {
    appBundleId: fields.app_bundle_id,
    apphudUserId: fields.apphud_user_id,
    clientIp: clientIp(c),
    kind,
    prompt: fields.prompt,
    settings: requestedSettings(fields),
  };
}

function answer(outcome: InsertOutcome): { video_id: number } {
  if (outcome.ok) return { video_id: outcome.id };
  throw new HttpError({
    kind: "rate_limited",
    limit: outcome.limit,
    message:
      outcome.limit === "queue_depth"
        ? "the service's queue is full; try again later"
        : "too many unfinished videos for this user; wait for one to finish",
    retryAfterSeconds: BUSY_RETRY_AFTER_SECONDS,
  });
}
