// The contract's parameters as zod schemas: they validate requests (messages name the rule; the field comes
// from the issue's path) and, through their `.openapi()` metadata, describe the same fields in the OpenAPI
// document. Each field is one `z.unknown().transform` (one zod step on the hot paths), so its documented type
// is given as metadata next to the rule that enforces it.
import { z } from "@hono/zod-openapi";
import { ID_MAX_LENGTH, INT4_MAX, PROMPT_MAX_CODE_POINTS, UPLOAD_MAX_BYTES, IMAGE_MAX_SIDE_PX } from "../domain/limits.ts";
import type { AllowedSettings, RequestedSettings } from "../domain/settings.ts";
import { WEBHOOKS_OFF, type CallbackPolicy } from "../webhooks/address.ts";
import { callbackUrlField } from "../webhooks/callback-field.ts";
import { isBlank, typeProblem } from "./field-text.ts";

/** Unicode code points, not UTF-16 units: 2048 emoji are 2048 characters. */
export function codePointLength(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    n++;
  }
  return n;
}

// PostgreSQL text cannot hold NUL, and a lone surrogate is not a character: refuse both as malformed.
const storable = (s: string) => !s.includes("\u0000") && s.isWellFormed();

/** The OpenAPI pattern of a required text: some character that is not white space, and no NUL. */
const TEXT_PATTERN = "^[^\\u0000]*[^\\s\\u0085\\u0000][^\\u0000]*$";

// One zod step per field (a transform that reports its own issue): a refine followed by a transform is
// two steps and a pipe, on every request of the hot paths.
const requiredText = (field: string, max: number) =>
  z.unknown().transform((v, ctx): string => {
    let problem: string | undefined;
    if (v === undefined || v === null || (typeof v === "string" && isBlank(v))) problem = `${field} is required`;
    else if (typeof v !== "string") problem = typeProblem(field, v);
    else if (!storable(v)) problem = `${field} contains characters that are not allowed (NUL or broken Unicode)`;
    // At most `max` UTF-16 units is at most `max` code points: count only longer strings.
    else if (v.length > max && codePointLength(v) > max) problem = `${field} must be 1 to ${max} characters`;
    if (problem === undefined) return v as string;
    ctx.addIssue({ code: "custom", message: problem });
    return z.NEVER;
  });

export const promptField = requiredText("prompt", PROMPT_MAX_CODE_POINTS).openapi({
  type: "string",
  minLength: 1,
  maxLength: PROMPT_MAX_CODE_POINTS,
  pattern: TEXT_PATTERN,
  description: `What the video shows: 1 to ${PROMPT_MAX_CODE_POINTS} Unicode characters, not only white space.`,
  example: "a red fox running through snow",
  param: { required: true },
});
export const appBundleIdField = requiredText("app_bundle_id", ID_MAX_LENGTH).openapi({
  type: "string",
  minLength: 1,
  maxLength: ID_MAX_LENGTH,
  pattern: TEXT_PATTERN,
  description: `The calling app's bundle id (1 to ${ID_MAX_LENGTH} characters); with apphud_user_id it owns the video.`,
  example: "com.example.videoapp",
  param: { required: true },
});
export const apphudUserIdField = requiredText("apphud_user_id", ID_MAX_LENGTH).openapi({
  type: "string",
  minLength: 1,
  maxLength: ID_MAX_LENGTH,
  pattern: TEXT_PATTERN,
  description: `The end user's Apphud id (1 to ${ID_MAX_LENGTH} characters).`,
  example: "user-1",
  param: { required: true },
});

/** A parameter sent more than once (input.ts hands it over as an array): said so, whatever the values. */
const twice = (field: string, v: unknown): string | null => (Array.isArray(v) ? `${field} is given more than once` : null);

/** A positive integer as a string of digits or a JSON integer. Ids past 2^53 cannot exist: they map to 0 (not found). */
export const videoIdField = z.unknown().transform((v, ctx): number => {
  if (v === undefined || v === null || v === "") {
    ctx.addIssue({ code: "custom", message: "video_id is required" });
    return z.NEVER;
  }
  if (!((typeof v === "string" && /^[0-9]+$/.test(v)) || (typeof v === "number" && Number.isInteger(v))) || Number(v) < 1) {
    ctx.addIssue({ code: "custom", message: twice("video_id", v) ?? "video_id must be a positive integer" });
    return z.NEVER;
  }
  const n = Number(v);
  return Number.isSafeInteger(n) ? n : 0;
}).openapi({
  type: "integer",
  minimum: 1,
  description: "The id that POST /text2video or POST /image2video answered.",
  example: 123,
  param: { required: true },
});

export const ownerSchema = z.object({ app_bundle_id: appBundleIdField, apphud_user_id: apphudUserIdField });
export const getStatusSchema = ownerSchema.extend({ video_id: videoIdField });

/**
 * get_status's `detail` (beyond the contract): `true` (or `1`, any case, spaces around it ignored) asks for the
 * details; any other value is the contract's answer, exactly as without it (a caller that sends `detail=no` or
 * an empty value never gets an error the contract does not have; one with a malformed percent-escape is kept as
 * typed, src/http/input.ts). Given twice, the last one counts. Parsed only when the query has it, so a contract
 * request does no work for it; documented with get_status's parameters.
 */
export const detailField = z
  .unknown()
  .transform((v): boolean => {
    const last = Array.isArray(v) ? v[v.length - 1] : v;
    return last === true || (typeof last === "string" && /^(true|1)$/i.test(last.trim()));
  })
  .optional()
  .openapi({
    type: "string",
    description:
      "Optional, beyond the contract: `true` (or `1`) adds `state`, `queue_position` and `eta_seconds` while the video is not final; " +
      "any other value is ignored, never an error.",
    example: "true",
  });
export const statusDetailSchema = z.object({ detail: detailField });

export type Owner = z.infer<typeof ownerSchema>;

// The optional generation parameters of both POST endpoints. Absent, null, "" or white space only: not
// chosen (the operator's default applies at submission). Any other value must be one the operator allows.
// Each is one transform made optional, so an absent key costs no step at all.

/** A negative prompt is as long as a prompt may be. */
export const NEGATIVE_PROMPT_MAX_CODE_POINTS = PROMPT_MAX_CODE_POINTS;
/** Pixverse's seeds are non-negative int4 values. */
export const SEED_MAX = INT4_MAX;

const notGiven = (v: unknown) => v === undefined || v === null || (typeof v === "string" && isBlank(v));

/** A string from the operator's list, exactly (no trimming, no case folding). */
const choiceField = (field: string, allowed: readonly string[]) => {
  const set = new Set(allowed);
  const message = `${field} must be one of ${allowed.join(", ")}`;
  return z.unknown().transform((v, ctx): string | undefined => {
    if (notGiven(v)) return undefined;
    if (typeof v === "string" && set.has(v)) return v;
    ctx.addIssue({ code: "custom", message: twice(field, v) ?? message });
    return z.NEVER;
  }).optional().openapi({
    type: "string",
    enum: [...allowed],
    description: `Optional; one of the operator's values (absent, null or blank: the operator's default).`,
    example: allowed[0],
  });
};

/** A whole number as a JSON number or a string of decimal digits (forms and the query send strings). */
const wholeNumber = (v: unknown): number =>
  typeof v === "number" ? (Number.isInteger(v) ? v : NaN) : typeof v === "string" && /^[0-9]+$/.test(v) ? Number(v) : NaN;

const durationField = (allowed: readonly number[]) => {
  const message = `duration must be one of ${allowed.join(", ")} (seconds, a whole number)`;
  return z.unknown().transform((v, ctx): number | undefined => {
    if (notGiven(v)) return undefined;
    const n = wholeNumber(v);
    if (allowed.includes(n)) return n;
    ctx.addIssue({ code: "custom", message: twice("duration", v) ?? message });
    return z.NEVER;
  }).optional().openapi({
    type: "integer",
    enum: [...allowed],
    description: "Optional: seconds, one of the operator's values (a JSON number or a string of digits).",
    example: allowed[0],
  });
};

const seedField = z.unknown().transform((v, ctx): number | undefined => {
  if (notGiven(v)) return undefined;
  const n = wholeNumber(v);
  if (n >= 0 && n <= SEED_MAX) return n === 0 ? 0 : n; // -0 (a JSON "-0") is 0
  ctx.addIssue({ code: "custom", message: twice("seed", v) ?? `seed must be a whole number from 0 to ${SEED_MAX}` });
  return z.NEVER;
}).optional().openapi({
  type: "integer",
  minimum: 0,
  maximum: SEED_MAX,
  description: "Optional: Pixverse's seed (a JSON number or a string of digits).",
  example: 42,
});

const negativePromptField = z.unknown().transform((v, ctx): string | undefined => {
  if (notGiven(v)) return undefined;
  let problem: string;
  if (typeof v !== "string") problem = typeProblem("negative_prompt", v);
  else if (!storable(v)) problem = "negative_prompt contains characters that are not allowed (NUL or broken Unicode)";
  else if (v.length > NEGATIVE_PROMPT_MAX_CODE_POINTS && codePointLength(v) > NEGATIVE_PROMPT_MAX_CODE_POINTS) {
    problem = `negative_prompt must be 1 to ${NEGATIVE_PROMPT_MAX_CODE_POINTS} characters`;
  } else return v;
  ctx.addIssue({ code: "custom", message: problem });
  return z.NEVER;
}).optional().openapi({
  type: "string",
  minLength: 1,
  maxLength: NEGATIVE_PROMPT_MAX_CODE_POINTS,
  description: "Optional: what the video should not show.",
  example: "blurry, low quality",
});

/** A parameter that only text2video takes: given on image2video, it is a 400 naming it. */
const textOnlyField = (field: string, why: string) =>
  z.unknown().transform((v, ctx): undefined => {
    if (notGiven(v)) return undefined;
    ctx.addIssue({ code: "custom", message: `${field} applies to text2video only: ${why}` });
    return z.NEVER;
  }).optional().openapi({ not: {}, description: `Not taken here: ${why} (given, it is a 400).` });

const FILE_REQUIRED = "file is required (multipart/form-data field `file`)";
/** The parameters that are files, not text (src/http/input.ts leaves their text parts to fileField). */
export const FILE_FIELDS: ReadonlySet<string> = new Set(["file"]);

/** The uploaded image of image2video: one file part named `file` (its bytes are judged by upload.ts). */
const fileField = z.unknown().transform((v, ctx): File => {
  if (v instanceof File) return v;
  const message = Array.isArray(v)
    ? "file must be sent once"
    : typeof v === "string"
      ? "file must be sent as a file (a multipart part with a filename), not as a text field"
      : FILE_REQUIRED;
  ctx.addIssue({ code: "custom", message });
  return z.NEVER;
}).openapi({
  type: "string",
  format: "binary",
  description:
    `A PNG, JPEG or WEBP image (decided by its bytes, not its name or type), smaller than ${UPLOAD_MAX_BYTES} bytes, ` +
    `at most ${IMAGE_MAX_SIDE_PX} × ${IMAGE_MAX_SIDE_PX} pixels.`,
});

/** The fields of both POST endpoints, checked against the operator's lists (built once per app). */
export function generationSchemas(allowed: AllowedSettings, webhooks: CallbackPolicy = WEBHOOKS_OFF) {
  const common = {
    prompt: promptField,
    model: choiceField("model", allowed.models),
    quality: choiceField("quality", allowed.qualities),
    duration: durationField(allowed.durations),
    seed: seedField,
    negative_prompt: negativePromptField,
    // Webhooks (src/webhooks/): where to POST the video.finished event; the policy says what is allowed.
    callback_url: callbackUrlField(webhooks),
  };
  const required = ["prompt", "app_bundle_id", "apphud_user_id"];
  return {
    text2video: ownerSchema
      .extend({ ...common, aspect_ratio: choiceField("aspect_ratio", allowed.aspectRatios) })
      .openapi("Text2VideoRequest", { required }),
    // `file` last: a request with bad fields and no file names the field, as it always has.
    image2video: ownerSchema
      .extend({ ...common, aspect_ratio: textOnlyField("aspect_ratio", "an image video takes the image's shape"), file: fileField })
      .openapi("Image2VideoRequest", { required: [...required, "file"] }),
  };
}

export type GenerationFields = z.infer<ReturnType<typeof generationSchemas>["text2video"]>;
export type Image2VideoFields = z.infer<ReturnType<typeof generationSchemas>["image2video"]>;

/** The caller's choices as stored (camelCase, only those given), or null when there are none. */
export function requestedSettings(f: GenerationFields): RequestedSettings | null {
  let s: RequestedSettings | null = null;
  if (f.model !== undefined) (s ??= {}).model = f.model;
  if (f.quality !== undefined) (s ??= {}).quality = f.quality;
  if (f.duration !== undefined) (s ??= {}).duration = f.duration;
  if (f.aspect_ratio !== undefined) (s ??= {}).aspectRatio = f.aspect_ratio;
  if (f.seed !== undefined) (s ??= {}).seed = f.seed;
  if (f.negative_prompt !== undefined) (s ??= {}).negativePrompt = f.negative_prompt;
  return s;
}
