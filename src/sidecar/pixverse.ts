// Everything the service assumes about Pixverse's web app and its internal JSON API, in one module: paths,
// labels, selectors, request bodies, answer fields and codes. The source of each fact is docs/PIXVERSE.md
// (section named in the comment, with the open-source client it cites); "inferred" marks our own reading.
// When Pixverse changes, this file and the simulator change together; `bun run pixverse:check` names the
// fact that broke.
import { z } from "zod";
import type { SubmitErrorKind } from "../domain/generator.ts";
import type { GenerationSettings } from "../domain/settings.ts";
import type { PixverseVideo } from "../domain/status.ts";

// ── Hosts, pages, paths ────────────────────────────────────────────────────────────────────────────────

/** Hosts: web app [pixverse.back constants.py]. */
export const DEFAULT_WEB_URL = "https://app.pixverse.ai";
/** Hosts: internal JSON API [pixverse.back constants.py; pixsim7 libs/pixverse-py]. */
export const DEFAULT_API_URL = "https://app-api.pixverse.ai";

/** Signing in: the login page [pixsim7 pixverse/auth/email_password.py]. */
export const LOGIN_PATH = "/login";
/**
 * Creating a video: the 2026 creation page [pixsim7 chrome-extension pixverse-upload-utils.js; 2026 scripts];
 * 2025 clients used `/create/image-text`. Configuration (PIXVERSE_CREATE_PATH) may name another.
 */
export const DEFAULT_CREATE_PATH = "/creation/video";

export const API_PATHS = {
  /** Signing in: `POST {Username, Password}` [pixverse.back response.py; pixsim7 pixverse_auth.py]. */
  login: "/creative_platform/login",
  /** Creating a video: text [pixverse.back client.py; pixsim7 pixverse/api/video.py]. */
  t2v: "/creative_platform/video/t2v",
  /** Creating a video: image [same sources]. */
  i2v: "/creative_platform/video/i2v",
  /** Creating a video: the page's last upload step, answering the image's id and path [pixsim7 upload-utils.js]. */
  uploadMedia: "/creative_platform/media/batch_upload_media",
  /** Polling: the account's videos, newest first [useapi.net get-pixverse-videos; pixsim7 api/image.py]. */
  listPersonal: "/creative_platform/video/list/personal",
  /** Polling: one video by id [research summary]. */
  listDetail: "/creative_platform/video/list/detail",
  /** Account limits: the plan with gen_simultaneously [pixsim7 pixverse_concurrency.py]. */
  planDetails: "/creative_platform/toc/members/plan_details",
  /** Account limits: credits [pixverse.back; pixsim7 pixverse/api/credits.py]. */
  credits: "/creative_platform/user/credits",
} as const;

/** Signing in: the JWT lives in `_ai_token`; one older client used `ai_token` [pixsim7 constants.js]. */
export const TOKEN_COOKIES = ["_ai_token", "ai_token"] as const;

/** Signing in: headers of every API call [pixverse.back headers.py; pixsim7 pixverse/api/client.py]. */
export function apiHeaders(token: string): Record<string, string> {
  return { Token: token, "X-Platform": "Web", "Ai-Trace-Id": crypto.randomUUID(), "Content-Type": "application/json" };
}

// ── What the pages show (English; their presence is also how English is verified) ─────────────────────

export const LABELS = {
  /** Signing in: the submit button's text is exactly `Login` [nickolayArbuzov/pixverse; khn-alien/pixverse-auto; a 2026 script]. */
  login: "Login",
  /** Signing in: input placeholders in 2026 [2026 automation scripts; pixsim7 email_password.py lists them first]. */
  username: "Email or Username",
  password: "Password",
  /** Signing in: the human check a script must never answer (the simulator's 2025 page; inferred for the real one). */
  humanCheck: "Verify you are human",
  /** Creating a video: the prompt box's placeholder [nickolayArbuzov/pixverse; 2026 scripts]. */
  promptPlaceholder: "Describe the content you want to create",
  /** Creating a video: the button's name starts with this and goes on with the credit cost, `Create 20` [2026 scripts]. */
  create: "Create",
  /** Creating a video: switches on by default in 2026 [2026 scripts]. */
  audio: "Audio",
  multiShot: "Multi-Shot",
  /** Creating a video: the modal at the plan's limit; no request is sent [2026 scripts]. */
  concurrencyLimit: "Maximum concurrent generations reached",
  /** 2025 layout: mode tabs (simulator's first reading; no 2026 source shows tabs). */
  textTab: "Text to Video",
  imageTab: "Image to Video",
} as const;

/** Where a label is not enough: Ant Design's own class names and the ids older pages used. */
export const SELECTORS = {
  /** Signing in: ids used by clients up to 2025, kept as a fallback [nickolayArbuzov; pixsim7 email_password.py]. */
  usernameId: "#Username",
  passwordId: "#Password",
  /** Creating a video: the image slot is Ant Design's drag area; the page holds several file inputs [pixsim7 upload-utils.js]. */
  uploadArea: "div.ant-upload-drag",
  /** Errors show as Ant Design messages [2026 scripts]. */
  messageNotice: ".ant-message-notice",
  /** Promo modals: the round close button at the top right [2026 scripts]. */
  modalClose: ".ant-modal-close",
  /** A human check in a cross-origin iframe (Cloudflare Turnstile lives on challenges.cloudflare.com) [research summary]. */
  challengeFrame: 'iframe[src*="challenges.cloudflare.com"], iframe[src*="turnstile" i], iframe[src*="challenge" i], iframe[title*="challenge" i]',
  /** The 2025 layout's error toast (simulator's first reading). */
  alert: '[role="alert"]',
} as const;

/** Frame URLs that are a human check (for `page.frames()`, which also sees frames the selector cannot). */
export const CHALLENGE_FRAME_URL = /challenges\.cloudflare\.com|turnstile|\/challenge/i;

/** Polling: the list's page size as the web app asks for it [pixverse.back StatusBody]. */
export const LIST_PAGE_SIZE = 50;
/** Error codes: `500213` too many login attempts, back off at least 10 minutes [pixsim7 pixverse_auth.py]. */
export const LOGIN_BLOCK_MS = 10 * 60_000;

// ── Error codes ────────────────────────────────────────────────────────────────────────────────────────

/** Signing in: session invalid / expired / missing / replaced [pixsim7 pixverse_session_manager.py, pixverse_errors.py]. */
export const SESSION_CODES: ReadonlySet<number> = new Set([10001, 10002, 10003, 10005]);
/** Signing in: replaced by a login elsewhere [pixsim7 pixverse_session_manager.py]. */
export const SESSION_REPLACED_CODE = 10005;

/**
 * Error codes at submission [pixverse.back constants.py PIXVERSE_ERROR; pixsim7 client.py, pixverse_errors.py;
 * PixVerseAI/cli error groups]. 500041 image upload failed, 500100 internal error: transient. 400032 invalid
 * image id, 400051 invalid parameter, 500042 invalid image path, 500064 content deleted: final.
 */
const SUBMIT_ERROR_KINDS: ReadonlyMap<number, SubmitErrorKind> = new Map<number, SubmitErrorKind>([
  [500044, "concurrency"],
  [500069, "overloaded"],
  // "Please try again later" [pixverse.back]; PixVerseAI/cli counts it with the credit limits. Retried with
  // backoff either way: a credit shortage also shows in the balance, which the account's check reads.
  [500045, "overloaded"],
  [500041, "overloaded"],
  [500100, "overloaded"],
  [500043, "credits"],
  [500090, "credits"],
  [500060, "credits"],
  // Subscription or credit limits [PixVerseAI/cli error groups].
  [500067, "credits"],
  [500323, "credits"],
  [500063, "moderation"],
  [500054, "moderation"],
  [400011, "bad_input"],
  [400017, "bad_input"],
  [400018, "bad_input"],
  [400019, "bad_input"],
  [400032, "bad_input"],
  [400051, "bad_input"],
  [500030, "bad_input"],
  [500031, "bad_input"],
  [500032, "bad_input"],
  [500033, "bad_input"],
  [500042, "bad_input"],
  [500047, "bad_input"],
  [500064, "bad_input"],
  [400, "bad_input"],
  // No permission for the model / template / resolution on this plan: retrying cannot help [research notes].
  [500020, "bad_input"],
  [500070, "bad_input"],
  [500071, "bad_input"],
  ...[...SESSION_CODES].map((c) => [c, "session"] as [number, SubmitErrorKind]),
]);

/**
 * What a non-zero ErrCode at submission means. A code the table does not know is treated as transient
 * (`overloaded`: retried with backoff up to the job's deadline), since Pixverse refused and created nothing.
 */
export function submitErrorKind(code: number): SubmitErrorKind {
  return SUBMIT_ERROR_KINDS.get(code) ?? "overloaded";
}

/**
 * Creating a video: an image refused by moderation at upload comes back from `batch_upload_media` as
 * ErrCode `400` with a content-policy message [docs/PIXVERSE.md "Creating a video"].
 */
export function uploadErrorKind(code: number, message: string): SubmitErrorKind {
  if (code === 400 && /content|policy|moderat|sensitive|nsfw/i.test(message)) return "moderation";
  return submitErrorKind(code);
}

/** Polling: `list/detail` of a video the account no longer has [pixverse.back constants.py "Requested data not found"]. */
export const NOT_FOUND_CODE = 500008;

export function isKnownSubmitCode(code: number): boolean {
  return SUBMIT_ERROR_KINDS.has(code);
}

export type LoginFailure = "unknown_user" | "too_many_attempts" | "oauth_only" | "human_check" | "bad_credentials";

/**
 * A refusal that asks for a person rather than other credentials: the human check's own words, or a captcha's.
 * Our reading, not a documented answer: the page does not send the login while its check is unsolved, but a
 * check that appears after the page loaded must not read as a wrong password (that stops the account for good).
 */
const HUMAN_CHECK_REFUSAL = /verify (that )?you are (a )?human|captcha|are you a robot|turnstile/i;

/**
 * Signing in: why a login answer refused [pixsim7 pixverse_auth.py, email_password.py: 500213 and the OAuth
 * text; a 2026 web capture: 500200 "User does not exist."]. No source gives a wrong password's own code.
 */
export function loginFailure(code: number, message: string): LoginFailure {
  if (code === 500213) return "too_many_attempts";
  if (/sign in via oauth/i.test(message)) return "oauth_only";
  if (HUMAN_CHECK_REFUSAL.test(message)) return "human_check";
  if (code === 500200) return "unknown_user";
  return "bad_credentials";
}

// ── JSON answers ───────────────────────────────────────────────────────────────────────────────────────

/** Every answer is HTTP 200 with `{ErrCode, ErrMsg, Resp}` [pixverse.back response.py]. */
export interface Envelope {
  code: number;
  message: string;
  resp: unknown;
}

export class PixverseFormatError extends Error {
  override name = "PixverseFormatError";
}

/** A non-zero ErrCode from an API call. */
export class PixverseApiError extends Error {
  override name = "PixverseApiError";
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
  get isSession(): boolean {
    return SESSION_CODES.has(this.code);
  }
}

const envelopeSchema = z.object({ ErrCode: z.coerce.number(), ErrMsg: z.string().nullish(), Resp: z.unknown().optional() });

/**
 * Parse an answer body. Video ids are large integers (e.g. 413080782435081) and are kept as strings
 * so that a larger one can never lose digits in a JS number.
 */
export function parseEnvelope(text: string): Envelope {
  const quoted = text
    .replace(/"(video_id)"\s*:\s*(-?\d+)/g, '"$1":"$2"')
    .replace(/"(video_ids)"\s*:\s*\[([\d\s,-]*)\]/g, (_m, key: string, list: string) => {
      const ids = list.split(",").map((s) => s.trim()).filter(Boolean);
      return `"${key}":[${ids.map((id) => `"${id}"`).join(",")}]`;
    });
  let json: unknown;
  try {
    json = JSON.parse(quoted);
  } catch {
    throw new PixverseFormatError(`answer is not JSON: ${text.slice(0, 120)}`);
  }
  const parsed = envelopeSchema.safeParse(json);
  if (!parsed.success) throw new PixverseFormatError(`answer has no ErrCode: ${text.slice(0, 120)}`);
  return { code: parsed.data.ErrCode, message: parsed.data.ErrMsg ?? "", resp: parsed.data.Resp };
}

const idSchema = z.union([z.string().regex(/^\d+$/), z.number().int()]).transform(String);

/** Creating a video: the id is `Resp.video_id` or `Resp.video_ids[0]` [pixverse.back client.py; pixsim7 video.py]. */
export function createdVideoId(resp: unknown): string | null {
  const parsed = z.object({ video_id: idSchema.optional(), video_ids: z.array(idSchema).optional() }).safeParse(resp);
  if (!parsed.success) return null;
  return parsed.data.video_id ?? parsed.data.video_ids?.[0] ?? null;
}

const nullableNumber = z.union([z.number(), z.string().regex(/^-?\d+(\.\d+)?$/).transform(Number)]).nullish();

/** Polling: one item of `Resp.data[]` [pixverse.back StatusRes; pixsim7 pixverse_status.py]. */
export const listItemSchema = z.object({
  video_id: idSchema,
  // An integer (or its digits as a string); null, "", true and the like are unreadable, not 0 or 1.
  video_status: z.union([z.number().int(), z.string().regex(/^-?\d+$/).transform(Number)]),
  url: z.string().nullish(),
  first_frame: z.string().nullish(),
  prompt: z.string().nullish(),
  /** Polling: the creation time is `created_at` (ISO 8601); `create_time` in the official OpenAPI [useapi.net; PixVerseAI/skills]. */
  created_at: z.union([z.string(), z.number()]).nullish(),
  create_time: z.union([z.string(), z.number()]).nullish(),
  output_width: nullableNumber,
  output_height: nullableNumber,
});
export type ListItem = z.infer<typeof listItemSchema>;

/** When the video was created: `created_at`, else `create_time`, as epoch ms (null when unreadable). */
export function createdAtMs(item: Pick<ListItem, "created_at" | "create_time">): number | null {
  return createTimeMs(item.created_at ?? item.create_time);
}

/**
 * Polling: the body the clients send [pixsim7 api/video.py; pixverse.back StatusBody], `offset` and `web_offset`
 * alike; the next page starts at `web_next_offset` (the asset library's paging in 2026 captures; no source shows
 * this endpoint's own).
 */
export function listBody(webOffset: number): Record<string, unknown> {
  // `filter: {}` as pixsim7 sends it: an `off_peak` filter may hide off-peak (queued) videos.
  return { offset: webOffset, limit: LIST_PAGE_SIZE, filter: {}, web_offset: webOffset, app_offset: 0, polling: true };
}

export interface ListPage {
  items: ListItem[];
  /** Where the next page starts, or null after the last page. */
  next: number | null;
  /** Items left out because they lack a readable video_id/video_status: their keys (at most 3; no values, no prompts). */
  unreadable: string[];
}

/** A paging field read whatever its JSON type (`true`, `1`, `"1"`); anything else is unknown (null). */
const lenientFlag = z.unknown().transform((v): boolean | null => {
  if (typeof v === "boolean") return v;
  if (typeof v === "number") return v !== 0;
  if (typeof v === "string" && /^(true|1|false|0)$/i.test(v.trim())) return /^(true|1)$/i.test(v.trim());
  return null;
});
const lenientInt = z.unknown().transform((v): number | null => {
  const n = typeof v === "number" ? v : typeof v === "string" && /^\d+$/.test(v.trim()) ? Number(v) : Number.NaN;
  return Number.isSafeInteger(n) && n >= 0 ? n : null;
});

/**
 * Polling: `Resp.data[]`, newest first, and where the next page starts. Read leniently where the sources
 * say nothing of types (the paging fields), and item by item: one item we cannot read is left out and
 * reported, not a reason to lose the whole page (every other job's status is on it).
 */
/** The paging fields parseVideoList reads when they come (none is confirmed for this endpoint). */
export const LIST_PAGING_FIELDS = ["web_next_offset", "next_offset", "next", "web_has_more", "has_more"] as const;

export function parseVideoList(resp: unknown, webOffset = 0): ListPage {
  const parsed = z
    .object({
      data: z.array(z.unknown()).nullish(),
      web_next_offset: lenientInt.optional(),
      next_offset: lenientInt.optional(),
      next: lenientFlag.optional(),
      // The asset library's spelling of "more pages" (frame-room test/fixtures/list-envelopes.json).
      web_has_more: lenientFlag.optional(),
      has_more: lenientFlag.optional(),
    })
    .safeParse(resp);
  if (!parsed.success) throw new PixverseFormatError("video list answer has no Resp.data");
  const listed = parsed.data.data ?? [];
  const items: ListItem[] = [];
  const unreadable: string[] = [];
  for (const raw of listed) {
    const item = listItemSchema.safeParse(raw);
    if (item.success) items.push(item.data);
    else if (unreadable.length < 3) unreadable.push(raw !== null && typeof raw === "object" ? Object.keys(raw).slice(0, 30).join(",") : typeof raw);
  }
  // Paging counts what was listed, read or not.
  const { next: flag, web_has_more: webMore, has_more: hasMore } = parsed.data;
  const more = flag ?? webMore ?? hasMore ?? listed.length >= LIST_PAGE_SIZE;
  const next = parsed.data.web_next_offset ?? parsed.data.next_offset ?? webOffset + listed.length;
  return { items, next: more && listed.length > 0 && next > webOffset ? next : null, unreadable };
}

/** Polling: `list/detail` answers one video; the spec does not say where in Resp, so accept Resp or Resp.data. */
export function parseVideoDetail(resp: unknown): ListItem | null {
  const direct = listItemSchema.safeParse(resp);
  if (direct.success) return direct.data;
  const wrapped = z.object({ data: z.unknown() }).safeParse(resp);
  if (!wrapped.success) return null;
  const inner = Array.isArray(wrapped.data.data) ? wrapped.data.data[0] : wrapped.data.data;
  const item = listItemSchema.safeParse(inner);
  return item.success ? item.data : null;
}

export function toPixverseVideo(item: ListItem): PixverseVideo {
  return {
    id: item.video_id,
    status: item.video_status,
    url: item.url ? item.url : null,
    outputWidth: item.output_width ?? null,
    outputHeight: item.output_height ?? null,
    // Read only for a finished video (mapPixverseVideo): before that it may be the uploaded image.
    ...(item.first_frame ? { firstFrame: item.first_frame } : {}),
  };
}

/**
 * Polling: a creation time (`created_at` or `create_time`) as epoch ms. Its format is not documented: accept epoch seconds or ms, or a date
 * string (one without a zone is read as UTC; the live check prints a sample so an operator can compare).
 */
export function createTimeMs(value: string | number | null | undefined): number | null {
  if (value === null || value === undefined || value === "") return null;
  if (typeof value === "number" || /^\d+(\.\d+)?$/.test(value)) {
    const n = Number(value);
    return n > 1e12 ? n : n * 1000;
  }
  const hasZone = /(Z|[+-]\d{2}:?\d{2})$/i.test(value.trim());
  const ms = Date.parse(hasZone ? value : `${value.trim().replace(" ", "T")}Z`);
  return Number.isNaN(ms) ? null : ms;
}

/** Account limits: `gen_simultaneously`; where it sits inside Resp is not documented, so search for it. */
export function genSimultaneously(resp: unknown, depth = 0): number | null {
  if (resp === null || typeof resp !== "object" || depth > 4) return null;
  for (const [key, value] of Object.entries(resp)) {
    if (key === "gen_simultaneously") {
      const n = Number(value);
      if (Number.isInteger(n) && n > 0) return n;
    }
  }
  for (const value of Object.values(resp)) {
    const found = genSimultaneously(value, depth + 1);
    if (found !== null) return found;
  }
  return null;
}

export interface Credits {
  daily: number;
  monthly: number;
  package: number;
  total: number;
}

/** Account limits: `credit_daily + credit_monthly + credit_package` [pixverse.back; pixsim7 credits.py]. */
export function parseCredits(resp: unknown): Credits {
  const parsed = z
    .object({ credit_daily: z.coerce.number().default(0), credit_monthly: z.coerce.number().default(0), credit_package: z.coerce.number().default(0) })
    .safeParse(resp);
  if (!parsed.success) throw new PixverseFormatError("credits answer lacks credit_daily/credit_monthly/credit_package");
  const { credit_daily: daily, credit_monthly: monthly, credit_package: pkg } = parsed.data;
  return { daily, monthly, package: pkg, total: daily + monthly + pkg };
}

export function pathIs(url: string, path: string): boolean {
  try {
    return new URL(url).pathname.endsWith(path);
  } catch {
    return false;
  }
}

// ── Creating a video: the request body ─────────────────────────────────────────────────────────────────

/** The image as `batch_upload_media` answered it (`Resp.result[0]`) [pixsim7 upload-utils.js; pixverse.back body.py]. */
export interface UploadedImage {
  id: string | null;
  path: string;
  url: string | null;
}

/** Creating a video: `Resp.result[0]` of `batch_upload_media`, the image's id, path and URL. */
export function parseUploadedImage(resp: unknown): UploadedImage | null {
  const id = z.union([z.string().regex(/^\d+$/), z.number().int()]).transform(String);
  const parsed = z
    .object({ result: z.array(z.object({ id: id.nullish(), path: z.string().min(1), url: z.string().nullish() })).min(1) })
    .safeParse(resp);
  if (!parsed.success) return null;
  const first = parsed.data.result[0]!;
  return { id: first.id ?? null, path: first.path, url: first.url ?? null };
}

/**
 * Creating a video: the body of `video/t2v` or `video/i2v` [pixverse.back src/domain/entities/pixverse/body.py;
 * pixsim7 pixverse/api/video.py; PixVerseAI/cli]: prompt, model, duration, quality, aspect_ratio (text only),
 * seed, negative_prompt, `create_count` 1; the image as `img_id` + `customer_img_path` + `customer_img_url`.
 * The Audio and Multi-Shot switches are `audio` and `multi_shot`, integers 1 or 0 [PixVerseAI/cli; pixsim7
 * models.py; a 2026 web capture sends `"multi_shot": 1` and `"audio": 0`]; both are always sent, so the page's
 * remembered switches never decide. (`sound_effect_switch` belongs to effect templates, not to these bodies.)
 * Without a chosen seed a random one is sent, as the web app does.
 */
export function generationBody(prompt: string, settings: GenerationSettings, image?: UploadedImage): Record<string, unknown> {
  const body: Record<string, unknown> = {
    prompt,
    model: settings.model,
    duration: settings.duration,
    quality: settings.quality,
    seed: settings.seed ?? Math.floor(Math.random() * 2_147_483_647),
    audio: settings.audio ? 1 : 0,
    multi_shot: settings.multiShot ? 1 : 0,
    create_count: 1,
  };
  if (settings.negativePrompt) body.negative_prompt = settings.negativePrompt;
  if (!image) {
    body.aspect_ratio = settings.aspectRatio;
    return body;
  }
  if (image.id !== null) body.img_id = Number.isSafeInteger(Number(image.id)) ? Number(image.id) : image.id;
  body.customer_img_path = image.path;
  if (image.url) body.customer_img_url = image.url;
  return body;
}

/** The settings fields a body carries, so the UI path can lay them over the page's own body. */
export function settingsFields(settings: GenerationSettings, kind: "t2v" | "i2v"): Record<string, unknown> {
  const { prompt: _prompt, seed: _seed, img_id: _id, customer_img_path: _p, customer_img_url: _u, ...fields } = generationBody("", settings);
  if (settings.seed !== undefined) fields.seed = settings.seed;
  if (kind === "i2v") delete fields.aspect_ratio;
  return fields;
}

// ── Account limits: what a video costs ─────────────────────────────────────────────────────────────────

/** Rough cost: 4/6/8/16 credits per second at 360p/540p/720p/1080p [pixsim7 pixverse/pricing.py]. */
const CREDITS_PER_SECOND: Readonly<Record<string, number>> = { "360p": 4, "540p": 6, "720p": 8, "1080p": 16 };

/**
 * Expected credits for one video with these settings, or null for a quality no source prices. Audio and
 * Multi-Shot cost extra by an amount no source gives; `extras` says so.
 */
export function expectedCredits(settings: GenerationSettings): { credits: number | null; extras: string[] } {
  const perSecond = CREDITS_PER_SECOND[settings.quality];
  const extras = [...(settings.audio ? ["audio"] : []), ...(settings.multiShot ? ["multi-shot"] : [])];
  return { credits: perSecond === undefined ? null : perSecond * settings.duration, extras };
}
