// The numbers the simulator answers with. Codes come from docs/PIXVERSE.md; messages follow the ones
// pixverse.back maps them to (src/domain/constants.py). Where the spec names no code, the choice is ours
// and says so.

export const ERR = {
  ok: 0,
  /** Malformed body (pixverse.back: 400 "Invalid req"). */
  badRequest: 400,
  tokenInvalid: 10001,
  tokenExpired: 10002,
  tokenMissing: 10003,
  loggedInElsewhere: 10005,
  emptyParameter: 400011,
  invalidParameter: 400017,
  promptTooLong: 400018,
  /** list/detail of an unknown (or someone else's) video (pixverse.back: 500008 "Requested data not found"). */
  notFound: 500008,
  invalidImageFormat: 500032,
  invalidImageSize: 500033,
  invalidImagePath: 500042,
  credits: 500043,
  concurrency: 500044,
  promptBlocked: 500063,
  overloaded: 500069,
  userNotFound: 500200,
  /** Wrong password, and OAuth-only accounts. No source gives a wrong password's code; pixverse.back lists
   * 500201 "Authentication user error", our choice for it. 500200's words are from a 2026 web capture. */
  authFailed: 500201,
  tooManyLogins: 500213,
} as const;

/**
 * Pixverse's codes that only a test brings about (`POST /__sim/faults` `{codes}`), with the words pixverse.back
 * (src/domain/constants.py) gives them; the two credit codes only PixVerseAI/cli names have no sourced words.
 */
const INJECTABLE = {
  400019: "Prompt too long",
  400032: "Invalid image ID",
  400051: "Invalid parameter",
  500020: "Permission denied",
  500030: "Image too large",
  500031: "Image info retrieval failed",
  500041: "Image upload failed",
  500045: "Please try again later",
  500047: "Invalid media",
  500054: "Content moderation failure",
  500060: "Monthly limit reached",
  500064: "Content deleted",
  500067: "Subscription or credit limit",
  500070: "Template not activated",
  500071: "Effect doesn't support resolution",
  500090: "Insufficient balance",
  500100: "Internal database error",
  500323: "Subscription or credit limit",
} as const;

export type ErrCode = (typeof ERR)[keyof typeof ERR] | keyof typeof INJECTABLE;

const MESSAGES: Record<(typeof ERR)[keyof typeof ERR], string> = {
  0: "Success",
  400: "Invalid req",
  10001: "Token is invalid",
  10002: "Token is expired",
  10003: "Token not provided",
  10005: "Your account has been logged in elsewhere",
  400011: "Empty parameter",
  400017: "Invalid parameter",
  400018: "Prompt too long",
  500008: "Requested data not found",
  500032: "Invalid image format",
  500033: "Invalid image size",
  500042: "Invalid image path",
  500043: "All credits used. Upgrade or top up",
  500044: "Concurrent limit reached",
  500063: "Prompt blocked by AI moderator",
  500069: "System overloaded",
  500200: "User does not exist.",
  500201: "Authentication user error",
  500213: "Too many login attempts, please try again later",
};

export function errMsg(code: ErrCode): string {
  return code in INJECTABLE ? INJECTABLE[code as keyof typeof INJECTABLE] : MESSAGES[code as keyof typeof MESSAGES];
}

/** Every code a submission may be refused with: what `POST /__sim/faults` `{codes}` accepts. */
export const SUBMIT_CODES: ReadonlySet<number> = new Set([...Object.keys(MESSAGES), ...Object.keys(INJECTABLE)].map(Number).filter((c) => c !== ERR.ok));

/** The spec only says the message contains "sign in via OAuth". */
export const OAUTH_ONLY_MESSAGE = "This account was registered with Google, Apple or Discord: please sign in via OAuth";

/** The spec only says an image refused at upload comes back as 400 "with a content-policy message". */
export const UPLOAD_POLICY_MESSAGE = "The image was rejected because it violates our content policy";

/** Not from Pixverse: the simulator's own refusal when its human check is on and unsolved. */
export const HUMAN_CHECK_MESSAGE = "Please verify you are human first";

/** `video_status` values the simulator reports (docs/PIXVERSE.md "Polling"; 10 only for `[sim:status10]`). */
export const VIDEO_STATUS = {
  done: 1,
  generating: 5,
  processing: 10,
  deleted: 6,
  moderated: 7,
  failed: 8,
  queued: 9,
  filtered: 17,
} as const;
