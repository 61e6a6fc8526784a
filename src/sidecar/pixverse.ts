// Everything the service assumes about Pixverse's web app and its internal JSON API, in one module.
// The source of each fact is docs/PIXVERSE.md (section named in the comment, with the open-source
// client it cites); "agreed UI contract" marks a choice made together with the simulator where that document
// is silent. When Pixverse changes, this file and the simulator change together, nothing else.
import { z } from "zod";
import type { APIRequestContext, BrowserContext, Locator, Page, Response } from "playwright-core";
import type { SubmitErrorKind } from "../domain/generator.ts";
import type { PixverseVideo } from "../domain/status.ts";

// ── Hosts, pages, paths ────────────────────────────────────────────────────────────────────────────────

/** Hosts: web app [pixverse.back constants.py]. */
export const DEFAULT_WEB_URL = "https://app.pixverse.ai";
/** Hosts: internal JSON API [pixverse.back constants.py; pixsim7 libs/pixverse-py]. */
export const DEFAULT_API_URL = "https://app-api.pixverse.ai";

export const PAGE_PATHS = {
  /** Signing in: the login page [pixsim7 pixverse/auth/email_password.py]. */
  login: "/login",
  /** Creating a video: the creation page (agreed UI contract; the spec names no path). */
  create: "/create",
} as const;

export const API_PATHS = {
  /** Signing in: `POST {Username, Password}` [pixverse.back response.py; pixsim7 pixverse_auth.py]. */
  login: "/creative_platform/login",
  /** Creating a video: text [pixverse.back client.py; pixsim7 pixverse/api/video.py]. */
  t2v: "/creative_platform/video/t2v",
  /** Creating a video: image [same sources]. */
  i2v: "/creative_platform/video/i2v",
  /** Creating a video: the page's last upload step [pixverse.back webdriver; nickolayArbuzov/pixverse]. */
  uploadMedia: "/creative_platform/media/batch_upload_media",
  /** Polling: the account's videos, newest first [pixverse.back StatusBody; pixsim7 pixverse_status.py]. */
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

/** The English labels the automation relies on; their presence is also how English is verified. */
export const LABELS = {
  /** Signing in: the submit button's text is exactly `Login` [nickolayArbuzov/pixverse; khn-alien/pixverse-auto]. */
  login: "Login",
  /** Human check: the checkbox a script must never tick (agreed UI contract). */
  humanCheck: "Verify you are human",
  /** Creating a video: mode tabs (agreed UI contract). */
  textTab: "Text to Video",
  imageTab: "Image to Video",
  /** Creating a video: prompt placeholder [nickolayArbuzov/pixverse text2video_usecase.py]. */
  promptPlaceholder: "Describe the content you want to create",
  /** Creating a video: the button's text [same file]. */
  create: "Create",
} as const;

/** Polling: the list's page size as the web app asks for it [pixverse.back StatusBody]. */
export const LIST_PAGE_SIZE = 50;
/** Error codes: `500213` too many login attempts, back off at least 10 minutes [pixverse.back response.py]. */
export const LOGIN_BLOCK_MS = 10 * 60_000;

// ── Error codes ────────────────────────────────────────────────────────────────────────────────────────

/** Signing in: session invalid / expired / missing / replaced [pixsim7 pixverse_session_manager.py, pixverse_errors.py]. */
export const SESSION_CODES: ReadonlySet<number> = new Set([10001, 10002, 10003, 10005]);
/** Signing in: replaced by a login elsewhere [pixsim7 pixverse_session_manager.py]. */
export const SESSION_REPLACED_CODE = 10005;

/** Error codes at submission [pixverse.back constants.py PIXVERSE_ERROR; pixsim7 client.py, pixverse_errors.py]. */
const SUBMIT_ERROR_KINDS: ReadonlyMap<number, SubmitErrorKind> = new Map<number, SubmitErrorKind>([
  [500044, "concurrency"],
  [500069, "overloaded"],
  [500045, "overloaded"],
  [500043, "credits"],
  [500090, "credits"],
  [500060, "credits"],
  [500063, "moderation"],
  [500054, "moderation"],
  [400011, "bad_input"],
  [400017, "bad_input"],
  [400018, "bad_input"],
  [400019, "bad_input"],
  [500030, "bad_input"],
  [500031, "bad_input"],
  [500032, "bad_input"],
  [500033, "bad_input"],
  [500047, "bad_input"],
  [400, "bad_input"],
  ...[...SESSION_CODES].map((c) => [c, "session"] as [number, SubmitErrorKind]),
]);

/**
 * What a non-zero ErrCode at submission means. A code the table does not know is treated as transient
 * (`overloaded`: retried with backoff up to the job's deadline), since Pixverse refused and created nothing.
 */
export function submitErrorKind(code: number): SubmitErrorKind {
  return SUBMIT_ERROR_KINDS.get(code) ?? "overloaded";
}

export function isKnownSubmitCode(code: number): boolean {
  return SUBMIT_ERROR_KINDS.has(code);
}

export type LoginFailure = "unknown_user" | "too_many_attempts" | "oauth_only" | "bad_credentials";

/** Signing in: why a login answer refused [pixverse.back response.py; pixsim7 pixverse_auth.py]. */
export function loginFailure(code: number, message: string): LoginFailure {
  if (code === 500213) return "too_many_attempts";
  if (/sign in via oauth/i.test(message)) return "oauth_only";
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
  video_status: z.coerce.number(),
  url: z.string().nullish(),
  first_frame: z.string().nullish(),
  prompt: z.string().nullish(),
  create_time: z.union([z.string(), z.number()]).nullish(),
  output_width: nullableNumber,
  output_height: nullableNumber,
});
export type ListItem = z.infer<typeof listItemSchema>;

/** Polling: `Resp.data[]`, newest first. */
export function parseVideoList(resp: unknown): ListItem[] {
  const parsed = z.object({ data: z.array(z.unknown()).nullish() }).safeParse(resp);
  if (!parsed.success) throw new PixverseFormatError("video list answer has no Resp.data");
  return (parsed.data.data ?? []).map((raw) => {
    const item = listItemSchema.safeParse(raw);
    if (!item.success) throw new PixverseFormatError(`video list item lacks video_id/video_status: ${JSON.stringify(raw).slice(0, 120)}`);
    return item.data;
  });
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
  };
}

/**
 * Polling: `create_time` as epoch ms. Its format is not documented: accept epoch seconds or ms, or a date
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

function isPost(path: string) {
  return (r: Response) => r.request().method() === "POST" && pathIs(r.url(), path);
}

async function openPage(page: Page, url: string, timeoutMs: number): Promise<void> {
  const response = await page.goto(url, { timeout: timeoutMs });
  if (response && response.status() >= 400) throw new Error(`${new URL(url).pathname} answered HTTP ${response.status()}`);
}

async function envelopeOf(response: Response): Promise<Envelope> {
  return parseEnvelope(await response.text());
}

// ── The login page ─────────────────────────────────────────────────────────────────────────────────────

export class LoginPage {
  constructor(
    readonly page: Page,
    private readonly webUrl: string,
  ) {}

  // Getters
  /** Signing in: `#Username` [pixsim7 email_password.py; nickolayArbuzov/pixverse]. */
  get username(): Locator {
    return this.page.locator("#Username");
  }
  /** Signing in: `#Password` [same files]. */
  get password(): Locator {
    return this.page.locator("#Password");
  }
  get loginButton(): Locator {
    return this.page.getByRole("button", { name: LABELS.login, exact: true });
  }
  get humanCheck(): Locator {
    return this.page.getByRole("checkbox", { name: LABELS.humanCheck });
  }

  // Actions
  async open(timeoutMs: number): Promise<void> {
    await openPage(this.page, new URL(PAGE_PATHS.login, this.webUrl).href, timeoutMs);
  }

  async fill(email: string, password: string, timeoutMs: number): Promise<void> {
    await this.username.fill(email, { timeout: timeoutMs });
    await this.password.fill(password, { timeout: timeoutMs });
  }

  /**
   * Click `Login` with the wait for the page's own login answer armed first. The answer may take as long
   * as `answerTimeoutMs` (a person may have to pass a human check first).
   */
  async clickLogin(clickTimeoutMs: number, answerTimeoutMs: number): Promise<{ answer: Promise<Envelope> }> {
    const answer = this.page.waitForResponse(isPost(API_PATHS.login), { timeout: answerTimeoutMs }).then(envelopeOf);
    answer.catch(() => undefined);
    await this.loginButton.click({ timeout: clickTimeoutMs });
    return { answer };
  }

  // Queries
  isShown(): boolean {
    return pathIs(this.page.url(), PAGE_PATHS.login);
  }
}

// ── The creation page ──────────────────────────────────────────────────────────────────────────────────

export type VideoKind = "t2v" | "i2v";

export interface ImageFile {
  name: string;
  mimeType: string;
  buffer: Buffer;
}

export class CreatePage {
  constructor(
    readonly page: Page,
    private readonly webUrl: string,
  ) {}

  // Getters
  tab(kind: VideoKind): Locator {
    return this.page.getByRole("tab", { name: kind === "t2v" ? LABELS.textTab : LABELS.imageTab, exact: true });
  }
  get prompt(): Locator {
    return this.page.getByPlaceholder(LABELS.promptPlaceholder, { exact: true });
  }
  /** Creating a video: the upload widget's `input[type=file]` [pixverse.back webdriver]. */
  get fileInput(): Locator {
    return this.page.locator('input[type="file"]');
  }
  get createButton(): Locator {
    return this.page.getByRole("button", { name: LABELS.create, exact: true });
  }
  /** A non-zero ErrCode is shown in a role="alert" toast (agreed UI contract); the first one showing. */
  get toast(): Locator {
    return this.page.getByRole("alert").filter({ visible: true }).first();
  }

  // Actions
  async open(timeoutMs: number): Promise<void> {
    await openPage(this.page, new URL(PAGE_PATHS.create, this.webUrl).href, timeoutMs);
  }

  async chooseMode(kind: VideoKind, timeoutMs: number): Promise<void> {
    if (await this.isModeSelected(kind, timeoutMs)) return;
    await this.tab(kind).click({ timeout: timeoutMs });
  }

  async typePrompt(prompt: string, timeoutMs: number): Promise<void> {
    await this.prompt.fill(prompt, { timeout: timeoutMs });
  }

  /**
   * Set the image on the page's file input; the page uploads it itself. Resolves with the upload's answer;
   * throws at once if the page shows an error toast first (an earlier upload step failed).
   */
  async setImage(file: ImageFile, timeoutMs: number): Promise<Envelope> {
    const toastAlreadyShown = await this.toast.isVisible();
    const answer = this.page.waitForResponse(isPost(API_PATHS.uploadMedia), { timeout: timeoutMs });
    answer.catch(() => undefined);
    await this.fileInput.setInputFiles(file, { timeout: timeoutMs });
    const refused = toastAlreadyShown ? new Promise<never>(() => undefined) : this.toast.waitFor({ state: "visible", timeout: timeoutMs });
    refused.catch(() => undefined);
    const first = await Promise.race([answer, refused.then(() => null)]);
    if (first === null) throw new Error(`the page refused the upload: ${(await this.toast.textContent()) ?? "(no message)"}`);
    return envelopeOf(first);
  }

  /** Wait until `Create` could be clicked (enabled, visible) without clicking it. */
  async waitUntilCreatable(timeoutMs: number): Promise<void> {
    if (await this.createButton.isEnabled({ timeout: timeoutMs })) return;
    await this.createButton.click({ trial: true, timeout: timeoutMs });
  }

  /**
   * Click `Create` with the wait for the page's `video/t2v` or `video/i2v` answer armed first.
   * From the moment this is called, the generation may exist at Pixverse.
   */
  async clickCreate(kind: VideoKind, timeoutMs: number): Promise<Envelope> {
    const answer = this.page.waitForResponse(isPost(kind === "t2v" ? API_PATHS.t2v : API_PATHS.i2v), { timeout: timeoutMs });
    answer.catch(() => undefined);
    await this.createButton.click({ timeout: timeoutMs });
    return envelopeOf(await answer);
  }

  // Queries
  isShown(): boolean {
    return pathIs(this.page.url(), PAGE_PATHS.create);
  }
  /** Tabs mark the chosen one with the standard `aria-selected` (agreed UI contract). */
  async isModeSelected(kind: VideoKind, timeoutMs: number): Promise<boolean> {
    return (await this.tab(kind).getAttribute("aria-selected", { timeout: timeoutMs })) === "true";
  }
  redirectedToLogin(): boolean {
    return pathIs(this.page.url(), PAGE_PATHS.login);
  }
}

// ── The JSON API, called from the signed-in context (cookies shared, no CORS) ──────────────────────────

/** The signed-in token: cookie `_ai_token` (or `ai_token`) of the web or API host. */
export async function readToken(context: BrowserContext, webUrl: string, apiUrl: string): Promise<string | null> {
  const cookies = await context.cookies([webUrl, apiUrl]);
  for (const name of TOKEN_COOKIES) {
    const cookie = cookies.find((c) => c.name === name && c.value !== "");
    if (cookie) return cookie.value;
  }
  return null;
}

export class PixverseApi {
  constructor(
    private readonly request: APIRequestContext,
    private readonly apiUrl: string,
    private readonly token: () => Promise<string | null>,
  ) {}

  /** One call; throws PixverseApiError on a non-zero ErrCode (a missing token counts as `10003`). */
  async call(method: "GET" | "POST", path: string, body: unknown, timeoutMs: number): Promise<unknown> {
    return this.send(method, path, method === "POST" ? JSON.stringify(body ?? {}) : undefined, timeoutMs);
  }

  /** Polling: one page of the account's videos, newest first. */
  async listPersonal(offset: number, timeoutMs: number): Promise<ListItem[]> {
    // Body exactly as the web app polls [pixverse.back StatusBody].
    const body = { offset, limit: LIST_PAGE_SIZE, filter: { off_peak: 0 }, web_offset: 0, app_offset: 0, polling: true };
    return parseVideoList(await this.call("POST", API_PATHS.listPersonal, body, timeoutMs));
  }

  async videoDetail(videoId: string, timeoutMs: number): Promise<ListItem | null> {
    // The id goes back as the number Pixverse sent; spliced in as text so no digit is lost.
    const token = /^\d+$/.test(videoId) ? videoId : JSON.stringify(videoId);
    return parseVideoDetail(await this.send("POST", API_PATHS.listDetail, `{"video_id":${token}}`, timeoutMs));
  }

  async planDetails(timeoutMs: number): Promise<{ genSimultaneously: number | null; raw: unknown }> {
    const raw = await this.call("POST", API_PATHS.planDetails, {}, timeoutMs);
    return { genSimultaneously: genSimultaneously(raw), raw };
  }

  async credits(timeoutMs: number): Promise<Credits> {
    return parseCredits(await this.call("GET", API_PATHS.credits, undefined, timeoutMs));
  }

  private async send(method: "GET" | "POST", path: string, body: string | undefined, timeoutMs: number): Promise<unknown> {
    const token = await this.token();
    if (!token) throw new PixverseApiError(10003, "no token cookie: not signed in");
    const res = await this.request.fetch(new URL(path, this.apiUrl).href, {
      method,
      headers: apiHeaders(token),
      data: body,
      timeout: timeoutMs,
      failOnStatusCode: false,
    });
    // An APIResponse keeps its body in memory until disposed (or the context closes): read, then let go.
    const text = await res.text().finally(() => res.dispose());
    if (res.status() !== 200) throw new PixverseFormatError(`${path} answered HTTP ${res.status()}`);
    const envelope = parseEnvelope(text);
    if (envelope.code !== 0) throw new PixverseApiError(envelope.code, envelope.message || `ErrCode ${envelope.code}`);
    return envelope.resp;
  }
}
