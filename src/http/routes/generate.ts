// POST /text2video and POST /image2video: the key (401), the body bounded (413), the parameters from the
// query string and the body validated (400), the key's apps (403), the per-user limit (429), one queued job
// stored, its id answered.
import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import type { Context, MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { Store } from "hono-rate-limiter";
import { UPLOAD_MAX_BYTES } from "../../domain/limits.ts";
import type { AllowedSettings } from "../../domain/settings.ts";
import type { InsertOutcome, KeyedOutcome, NewVideo } from "../../db/videos.ts";
import type { VideoService } from "../../videos.ts";
import { requireApiKey, type ApiKeys } from "../api-keys.ts";
import { clientIp } from "../client-ip.ts";
import type { AppEnv } from "../context.ts";
import { HttpError, invalidBody, payloadTooLarge, send, toErrorResponse, type ApiError } from "../errors.ts";
import { afterValidation } from "../guard.ts";
import { BAD_KEY_EXAMPLE, checkIdempotencyKey, CONFLICT_EXAMPLE, IDEMPOTENCY_PARAMETER, idempotencyConflict, REPLAYED_HEADER, replayable, requestHash } from "../idempotency.ts";
import { validatedInput } from "../input.ts";
import { answers, keyAnswers, keySecurity, okAnswer } from "../openapi.ts";
import { perMinuteLimited, perUserRateLimit, perUserUncount } from "../rate-limit.ts";
import { FILE_FIELDS, generationSchemas, requestedSettings, type GenerationFields, type Image2VideoFields } from "../schemas.ts";
import { acceptImage } from "../upload.ts";
import { UPLOAD_GATE, UPLOADS_BUSY, uploadGate, uploadTooSlow, type UploadGateOptions } from "../upload-gate.ts";
import type { CallbackPolicy } from "../../webhooks/address.ts";

/** Text requests are small: the longest legal prompt, JSON-escaped, is well under this. */
const TEXT_BODY_MAX_BYTES = 256 * 1024;
/** Room for the multipart framing and the text fields around a file just under the upload limit. */
const UPLOAD_BODY_MAX_BYTES = UPLOAD_MAX_BYTES + TEXT_BODY_MAX_BYTES;

/** How long to come back after a 429 that depends on videos finishing (not on a clock). */
export const BUSY_RETRY_AFTER_SECONDS = 30;

export interface GenerateDeps {
  videos: VideoService;
  generationsPerMinute: number;
  store: Store<AppEnv>;
  /** What callers may choose (model, quality, duration, aspect_ratio). */
  allowed: AllowedSettings;
  /** The API key check (src/http/api-keys.ts), or null when keys are off. */
  keys: ApiKeys | null;
  /** What callback_url may be (webhooks on, private addresses allowed); absent: webhooks off. */
  webhooks?: CallbackPolicy;
  /** image2video's upload gate (slots, waits); absent: UPLOAD_GATE. */
  uploads?: UploadGateOptions;
}

/** Hono's bodyLimit answering the contract's 413: an announced length is refused unread, a stream once over. */
const limitBody = (maxSize: number): MiddlewareHandler<AppEnv> =>
  bodyLimit({ maxSize, onError: (c) => send(c, toErrorResponse(payloadTooLarge(`request body is larger than ${maxSize} bytes`).error)) });

const VIDEO_ID = z.object({ video_id: z.number().int().min(1).openapi({ description: "The service's id for the video.", example: 123 }) }).openapi("VideoId");

const POST_DESCRIPTION =
  "Parameters may also come in the query string (merged with the body's; the body wins on a clash). " +
  "The optional settings must be on the operator's lists; absent, null or blank means the operator's default.";

export function registerGenerateRoutes(app: OpenAPIHono<AppEnv>, deps: GenerateDeps): void {
  const { videos, keys } = deps;
  const uploads = deps.uploads ?? UPLOAD_GATE;
  // Uploads wait their turn before their body is read (src/http/upload-gate.ts).
  const gate = uploadGate(uploads);
  const schemas = generationSchemas(deps.allowed, deps.webhooks);
  // The same schemas that validate (input.ts) are the document's request bodies.
  app.openAPIRegistry.register("Text2VideoRequest", schemas.text2video);
  app.openAPIRegistry.register("Image2VideoRequest", schemas.image2video);
  const ref = (name: string) => ({ schema: { $ref: `#/components/schemas/${name}` } });
  const keyCheck = keys ? [requireApiKey(keys)] : [];
  const uncount = perUserUncount("generations_per_minute", deps.store);
  const guard = afterValidation(perUserRateLimit("generations_per_minute", deps.generationsPerMinute, deps.store), uncount);
  const common = {
    ...keyAnswers(keys !== null),
    429: answers.rateLimited([
      { summary: "generations_per_minute", error: perMinuteLimited("generations_per_minute", deps.generationsPerMinute) },
      { summary: "active_videos_per_user", error: busy("active_videos_per_user") },
      { summary: "queue_depth", error: busy("queue_depth") },
    ]),
    409: answers.conflict([CONFLICT_EXAMPLE]),
    500: answers.internalError,
    503: answers.serviceUnavailable,
  };
  const ok = replayable(okAnswer("The video is accepted and queued: its id, for GET /get_status.", VIDEO_ID, { accepted: { video_id: 123 } }));
  // Idempotency-Key: declared on both routes (checked by checkIdempotencyKey, before the body is read).
  const idempotent = { parameters: [IDEMPOTENCY_PARAMETER] };

  const text2video = createRoute({
    method: "post",
    path: "/text2video",
    summary: "A video from a text prompt",
    description: POST_DESCRIPTION,
    ...keySecurity(keys !== null),
    ...idempotent,
    // The key first (401): before the body is read.
    middleware: [...keyCheck, checkIdempotencyKey, limitBody(TEXT_BODY_MAX_BYTES), validatedInput(schemas.text2video, guard)] as const,
    request: {
      body: {
        required: false,
        content: {
          "application/json": ref("Text2VideoRequest"),
          "application/x-www-form-urlencoded": ref("Text2VideoRequest"),
          "multipart/form-data": ref("Text2VideoRequest"),
        },
      },
    },
    responses: {
      200: ok,
      400: answers.badRequest([
        { summary: "missing prompt", error: { kind: "invalid_parameter", field: "prompt", message: "prompt is required" } },
        { summary: "a setting not on the list", error: { kind: "invalid_parameter", field: "quality", message: "quality must be one of 360p, 540p, 720p, 1080p" } },
        { summary: "malformed JSON", error: { kind: "invalid_body", message: "malformed JSON in the request body" } },
        BAD_KEY_EXAMPLE,
      ]),
      413: answers.tooLarge([{ summary: "body too large", error: { kind: "payload_too_large", message: `request body is larger than ${TEXT_BODY_MAX_BYTES} bytes` } }]),
      ...common,
    },
  });
  app.openapi(text2video, async (c) => {
    const fields = c.get("input") as GenerationFields;
    const key = c.get("idempotencyKey");
    if (key !== undefined) {
      const once = await videos.createOnce(newVideo(c, fields, "t2v"), { key, hash: requestHash("text2video", fields) }, c.get("countGeneration"));
      return c.json(answerOnce(c, once), 200);
    }
    const outcome = await videos.create(newVideo(c, fields, "t2v"));
    return c.json(answer(outcome), 200);
  });

  const image2video = createRoute({
    method: "post",
    path: "/image2video",
    summary: "A video from an image and a text prompt",
    description: `multipart/form-data only. ${POST_DESCRIPTION} aspect_ratio is not taken: the image gives the shape.`,
    ...keySecurity(keys !== null),
    ...idempotent,
    // The key first (401): before the body is read or an upload slot is taken.
    middleware: [...keyCheck, checkIdempotencyKey, multipartOnly, gate, limitBody(UPLOAD_BODY_MAX_BYTES), validatedInput(schemas.image2video, guard, FILE_FIELDS)] as const,
    request: { body: { required: true, content: { "multipart/form-data": ref("Image2VideoRequest") } } },
    responses: {
      200: ok,
      400: answers.badRequest([
        { summary: "no file", error: { kind: "invalid_parameter", field: "file", message: "file is required (multipart/form-data field `file`)" } },
        { summary: "not an image", error: { kind: "invalid_image", message: "file is not a PNG, JPEG or WEBP image" } },
        { summary: "not multipart", error: { kind: "invalid_body", message: "image2video takes multipart/form-data with a `file` field" } },
        BAD_KEY_EXAMPLE,
      ]),
      413: answers.tooLarge([
        { summary: "file too large", error: { kind: "payload_too_large", message: `file must be smaller than ${UPLOAD_MAX_BYTES} bytes (20 MB)` } },
        { summary: "image too wide", error: { kind: "payload_too_large", message: "image must be at most 4000 × 4000 pixels; got 4001 × 10" } },
      ]),
      ...common,
      408: answers.requestTimeout([{ summary: "upload too slow", error: uploadTooSlow(uploads.readMs) }]),
      503: answers.uploadUnavailable({ summary: "too many uploads in progress", error: UPLOADS_BUSY }),
    },
  });
  app.openapi(image2video, async (c) => {
    const { file, ...fields } = c.get("input") as Image2VideoFields;
    const key = c.get("idempotencyKey");
    // Bad input is never counted (the 400s and 413s before it were not): an image refused for its bytes takes
    // its count back. A keyed request is counted only when it makes a video, later.
    const image = await acceptImage(file).catch(async (e: unknown) => {
      // A count that cannot be taken back (the database away) stays: the answer is still the image's.
      if (key === undefined) await uncount(c).catch(() => {});
      throw e;
    });
    if (key !== undefined) {
      const once = await videos.createOnce({ ...newVideo(c, fields as GenerationFields, "i2v"), image }, { key, hash: requestHash("image2video", fields, image.bytes) }, c.get("countGeneration"));
      return c.json(answerOnce(c, once), 200);
    }
    const outcome = await videos.create({ ...newVideo(c, fields as GenerationFields, "i2v"), image });
    return c.json(answer(outcome), 200);
  });
}

const multipartOnly: MiddlewareHandler<AppEnv> = async (c, next) => {
  const type = (c.req.header("content-type") ?? "").toLowerCase();
  if (!type.startsWith("multipart/form-data")) throw invalidBody("image2video takes multipart/form-data with a `file` field");
  await next();
};

function newVideo(c: Context<AppEnv>, fields: GenerationFields, kind: "t2v" | "i2v"): NewVideo {
  return {
    appBundleId: fields.app_bundle_id,
    apphudUserId: fields.apphud_user_id,
    clientIp: clientIp(c),
    kind,
    prompt: fields.prompt,
    settings: requestedSettings(fields),
    callbackUrl: fields.callback_url ?? null,
  };
}

/** The 429s that depend on videos finishing: limits checked when the job is stored. */
const busy = (limit: "active_videos_per_user" | "queue_depth"): ApiError => ({
  kind: "rate_limited",
  limit,
  message: limit === "queue_depth" ? "the service's queue is full; try again later" : "too many unfinished videos for this user; wait for one to finish",
  retryAfterSeconds: BUSY_RETRY_AFTER_SECONDS,
});

/** A keyed request's answer: its video (a repeat says so in a header), or the 409 or 429 error. */
function answerOnce(c: Context<AppEnv>, outcome: KeyedOutcome): { video_id: number } {
  switch (outcome.kind) {
    case "created":
      return { video_id: outcome.id };
    case "replayed":
      c.header(REPLAYED_HEADER, "true");
      return { video_id: outcome.id };
    case "conflict":
      throw idempotencyConflict();
    case "refused":
      throw new HttpError(busy(outcome.limit));
  }
}

function answer(outcome: InsertOutcome): { video_id: number } {
  if (outcome.ok) return { video_id: outcome.id };
  throw new HttpError(busy(outcome.limit));
}
