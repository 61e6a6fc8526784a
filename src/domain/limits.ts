// Limits of the contract (docs/API.md): one place for each number.

/** A prompt is 1 to 2048 Unicode code points once trimmed of nothing (white space only counts as missing). */
export const PROMPT_MAX_CODE_POINTS = 2048;
/** `app_bundle_id` and `apphud_user_id` are 1 to 255 characters. */
export const ID_MAX_LENGTH = 255;
/** An upload must be smaller than 20 MiB: 20 × 1024 × 1024 bytes is already refused. */
export const UPLOAD_MAX_BYTES = 20 * 1024 * 1024;
/** Neither side of an image may exceed 4000 px. */
export const IMAGE_MAX_SIDE_PX = 4000;
/** Image types accepted, as image-size names them from the bytes. */
export const IMAGE_TYPES = ["png", "jpg", "webp"] as const;
export type ImageType = (typeof IMAGE_TYPES)[number];
/** The largest value of a configured limit: limits are passed to PostgreSQL as int4. */
export const INT4_MAX = 2_147_483_647;
export const IMAGE_MIME: Record<ImageType, string> = { png: "image/png", jpg: "image/jpeg", webp: "image/webp" };
