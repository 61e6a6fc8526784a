// The Idempotency-Key header of the POST routes: reading and checking it, and the hash of a request's parameters
// that decides whether a repeat is the same request (its video's id again) or another one (409). Only the hash
// is stored, never the body. The database side is db/idempotency.ts.
import type { Context, MiddlewareHandler } from "hono";
import type { AppEnv } from "./context.ts";
import { HttpError, invalidParameter } from "./errors.ts";

export const IDEMPOTENCY_HEADER = "Idempotency-Key";
/** Set to `true` on an answer that repeats an earlier request's video (nothing new was made). */
export const REPLAYED_HEADER = "Idempotent-Replayed";
export const IDEMPOTENCY_KEY_MAX_LENGTH = 255;

// Visible ASCII, with spaces allowed inside (HTTP trims them at the ends anyway): 1 to 255 characters.
const KEY_PATTERN = /^[\x21-\x7e](?:[\x20-\x7e]{0,253}[\x21-\x7e])?$/;
const KEY_RULE = `${IDEMPOTENCY_HEADER} must be 1 to ${IDEMPOTENCY_KEY_MAX_LENGTH} visible ASCII characters (spaces allowed inside)`;

/** The request's key, or null when it sends none; a malformed one is a 400 naming the header. */
function idempotencyKeyOf(c: Context): string | null {
  const value = c.req.header(IDEMPOTENCY_HEADER);
  if (value === undefined) return null;
  if (!KEY_PATTERN.test(value)) throw invalidParameter(IDEMPOTENCY_HEADER, KEY_RULE);
  return value;
}

/** Checks the header before the body is read (or an upload slot taken), so a bad key costs nothing. */
export const checkIdempotencyKey: MiddlewareHandler<AppEnv> = async (c, next) => {
  const key = idempotencyKeyOf(c);
  if (key !== null) c.set("idempotencyKey", key);
  await next();
};

export const idempotencyConflict = () =>
  new HttpError({
    kind: "idempotency_conflict",
    message: `this ${IDEMPOTENCY_HEADER} was used in the last 24 hours with other parameters; send a new key for a new request`,
  });

// The owner is the key's scope (it is part of the key), and the file is hashed by its bytes.
const NOT_HASHED = new Set(["app_bundle_id", "apphud_user_id", "file"]);

/**
 * SHA-256 (hex) of what makes a request this request: the route, every validated field but the owner's (absent
 * and unset fields left out, keys in sorted order, so the order a client sends them in does not matter, and a
 * field added to the schemas later counts without a change here) and, for image2video, the image's SHA-256.
 * Validated values are compared, so `"duration": "5"` and `"duration": 5` are the same request.
 */
export function requestHash(route: "text2video" | "image2video", fields: object, image?: Uint8Array): string {
  const parts: Record<string, unknown> = { route };
  for (const [k, v] of Object.entries(fields)) if (!NOT_HASHED.has(k)) parts[k] = v;
  if (image) parts.image_sha256 = sha256(image);
  return sha256(canonicalJson(parts));
}

function sha256(data: string | Uint8Array): string {
  return new Bun.CryptoHasher("sha256").update(data).digest("hex");
}

/** JSON with object keys sorted at every level and undefined/null members left out. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value && typeof value === "object") {
    const members = Object.keys(value)
      .sort()
      .flatMap((k) => {
        const v = (value as Record<string, unknown>)[k];
        return v === undefined || v === null ? [] : [`${JSON.stringify(k)}:${canonicalJson(v)}`];
      });
    return `{${members.join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

// ---- The header in the OpenAPI document (routes/generate.ts declares these on both POST routes). ----

/** The header as an operation parameter (documented only: idempotencyKeyOf is what checks it). */
export const IDEMPOTENCY_PARAMETER = {
  name: IDEMPOTENCY_HEADER,
  in: "header" as const,
  required: false,
  description:
    `Optional. The same key from the same app_bundle_id + apphud_user_id within 24 hours with the same parameters answers ` +
    `the same video_id and makes nothing new; with other parameters it is a 409. ${KEY_RULE}.`,
  schema: { type: "string" as const, minLength: 1, maxLength: IDEMPOTENCY_KEY_MAX_LENGTH, example: "order-8f14e45f" },
};

/** The 400 for a malformed key, as an example of the routes' 400 answer. */
export const BAD_KEY_EXAMPLE = {
  summary: "malformed Idempotency-Key",
  error: { kind: "invalid_parameter" as const, field: IDEMPOTENCY_HEADER, message: KEY_RULE },
};

/** The 409's example: the very error the routes throw. */
export const CONFLICT_EXAMPLE = { summary: "key reused with other parameters", error: idempotencyConflict().error };

/** A 200 answer of okAnswer(), with the header that marks a repeated request's answer. */
export function replayable<T extends { headers: Record<string, unknown> }>(answer: T): T {
  return {
    ...answer,
    headers: {
      ...answer.headers,
      [REPLAYED_HEADER]: { description: "`true` when this answer repeats an earlier request's video (same Idempotency-Key and parameters).", schema: { type: "string" } },
    },
  };
}
