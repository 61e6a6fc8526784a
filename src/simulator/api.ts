// The internal JSON API under /creative_platform (docs/PIXVERSE.md): the envelope
// {ErrCode, ErrMsg, Resp}, HTTP 200 even for API-level errors, and auth by the `Token` header.
import { Hono, type Context } from "hono";
import { cors } from "hono/cors";
import { z } from "zod";
import { ERR, errMsg, type ErrCode } from "./codes.ts";
import type { Account } from "./accounts.ts";
import type { SimState, Submission, SubmissionOrigin } from "./state.ts";
import { modelTakes, QUALITIES, toListItem, type VideoKind } from "./videos.ts";

type Env = { Variables: { account: Account } };

/** Pixverse rejects prompts over 5000 characters (spec "Creating a video"). */
export const PROMPT_MAX_CHARS = 5000;

export function originOf(c: Context): string {
  return new URL(c.req.url).origin;
}

/**
 * The simulator's own header on its pages' requests (never sent by the service), so the stats can tell a
 * Create click from a fetch the automation makes inside the same page.
 */
export const SIM_ORIGIN_HEADER = "X-Sim-Origin";

/** `ui`: the page's own request; `page`: a fetch from inside a page of this origin; else `external`. */
export function requestOrigin(c: Context): SubmissionOrigin {
  if (c.req.header(SIM_ORIGIN_HEADER) === "ui") return "ui";
  // Chromium sends Origin on every POST, same-origin too; curl and Playwright's request API send none.
  return c.req.header("Origin") === originOf(c) ? "page" : "external";
}

function ok(c: Context, resp: unknown) {
  return c.json({ ErrCode: ERR.ok, ErrMsg: errMsg(ERR.ok), Resp: resp });
}

// The spec does not show Resp on failures; an empty object keeps `Resp.x` reads harmless.
function fail(c: Context, code: ErrCode, message: string = errMsg(code)) {
  return c.json({ ErrCode: code, ErrMsg: message, Resp: {} });
}

async function readJson(c: Context): Promise<unknown> {
  try {
    return await c.req.json();
  } catch {
    return undefined;
  }
}

const loginBody = z.object({ Username: z.string(), Password: z.string() });

const numericId = z.union([z.number().int(), z.string().regex(/^\d+$/).transform(Number)]);

// Fields the web app sends (spec "Creating a video"); others it sends (credit_change, motion_mode, …) are
// accepted and ignored. A null seed or negative prompt counts as absent.
const switchValue = z.union([z.literal(0), z.literal(1)]);
const generationBody = z.object({
  prompt: z.string().optional(),
  model: z.string().optional(),
  duration: z.number().int().optional(),
  quality: z.string().optional(),
  aspect_ratio: z.string().optional(),
  create_count: z.number().int().optional(),
  seed: z.number().int().nullish(),
  negative_prompt: z.string().nullish(),
  // The Audio and Multi-Shot switches, integers 1 or 0 (docs/PIXVERSE.md "Creating a video"); a boolean is a
  // wrong type, as for any integer field. `sound_effect_switch` (effect templates only) is ignored here.
  audio: switchValue.optional(),
  multi_shot: switchValue.optional(),
  img_id: numericId.optional(),
  customer_img_path: z.string().optional(),
  customer_img_url: z.string().optional(),
});

// The web library pages with `web_offset` (spec "Polling"), older clients with `offset`; app_offset, filter
// and polling are accepted and ignored: no item is ever left out for its status. No source gives a largest
// `limit` (pixsim7 asks for 200): any is served.
const listBody = z.object({
  offset: z.number().int().min(0).optional(),
  web_offset: z.number().int().min(0).optional(),
  limit: z.number().int().min(1).default(50),
});

const detailBody = z.object({ video_id: numericId });

const batchUploadBody = z.object({
  images: z.array(z.object({ path: z.string(), name: z.string().optional(), size: z.number().optional() })).min(1),
});

/** Validate a t2v/i2v body into a submission, or the ErrCode the real site answers. */
function readSubmission(kind: VideoKind, raw: unknown, account: Account, state: SimState): Submission | ErrCode {
  if (typeof raw !== "object" || raw === null) return ERR.badRequest;
  const parsed = generationBody.safeParse(raw);
  if (!parsed.success) return ERR.invalidParameter;
  const b = parsed.data;
  if (!b.prompt?.trim() || !b.model || b.duration === undefined || !b.quality) return ERR.emptyParameter;
  if ([...b.prompt].length > PROMPT_MAX_CHARS) return ERR.promptTooLong;
  if (!modelTakes(b.model, b.quality, b.duration)) return ERR.invalidParameter;
  // The web app only ever sends one generation per click; more is kept out of the simulator.
  if (b.create_count !== undefined && b.create_count !== 1) return ERR.invalidParameter;
  const settings = {
    model: b.model,
    quality: b.quality,
    duration: b.duration,
    aspectRatio: b.aspect_ratio ?? null,
    audio: b.audio === 1,
    multiShot: b.multi_shot === 1,
    seed: b.seed ?? null,
    negativePrompt: b.negative_prompt ?? null,
  };
  if (kind === "t2v") {
    if (!b.aspect_ratio) return ERR.emptyParameter;
    if (!/^\d+:\d+$/.test(b.aspect_ratio)) return ERR.invalidParameter;
    return { kind, prompt: b.prompt, settings, image: null };
  }
  // The image by its path (`customer_img_path`), its URL (`customer_img_url`) or its media id (`img_id`), as
  // batch_upload_media answered them; every one given must name the same image of this account.
  const refs = [
    b.customer_img_path ? state.uploads.mediaFor(account.id, b.customer_img_path) : null,
    b.customer_img_url ? state.uploads.mediaByUrl(account.id, b.customer_img_url) : null,
    b.img_id !== undefined ? state.uploads.mediaById(account.id, b.img_id) : null,
  ].filter((r) => r !== null);
  if (refs.length === 0) return ERR.emptyParameter;
  if (refs.includes(undefined)) return ERR.invalidImagePath;
  const media = refs[0]!;
  if (refs.some((r) => r !== media)) return ERR.invalidParameter;
  return { kind, prompt: b.prompt, settings, image: { url: media.url, width: media.width, height: media.height } };
}

/** The /creative_platform routes. */
export function apiRoutes(state: SimState): Hono<Env> {
  const app = new Hono<Env>();
  // The real API lives on another host than the pages; allow the page context to call it from anywhere.
  app.use("*", cors({ origin: (o) => o, allowHeaders: ["Token", "X-Platform", "Ai-Trace-Id", "Content-Type", "Refresh", SIM_ORIGIN_HEADER] }));

  app.post("/login", async (c) => {
    const body = loginBody.safeParse(await readJson(c));
    if (!body.success) return fail(c, ERR.badRequest);
    const result = state.accounts.login(body.data.Username, body.data.Password);
    if (!result.ok) return fail(c, result.code, result.message);
    const { account, token } = result;
    return ok(c, { Result: { AccountId: account.id, Username: account.username, Token: token } });
  });

  // Every other call needs a live token.
  app.use("*", async (c, next) => {
    const auth = state.accounts.authenticate(c.req.header("Token"));
    if (!auth.ok) return fail(c, auth.code);
    c.set("account", auth.account);
    await next();
  });

  // The split between daily, monthly and package credits is not modelled: the whole balance is a package.
  app.get("/user/credits", (c) => ok(c, { credit_daily: 0, credit_monthly: 0, credit_package: c.var.account.credits }));

  app.post("/toc/members/plan_details", (c) => {
    const a = c.var.account;
    return ok(c, {
      plan_name: "Simulator Plan",
      current_plan_type: 0,
      gen_simultaneously: a.concurrency,
      qualities: QUALITIES,
      credit_daily: 0,
      credit_package: a.credits,
    });
  });

  for (const kind of ["t2v", "i2v"] as const) {
    app.post(`/video/${kind}`, async (c) => {
      const sub = readSubmission(kind, await readJson(c), c.var.account, state);
      if (typeof sub === "number") return fail(c, sub);
      const result = state.submit(c.var.account, sub, requestOrigin(c));
      return result.ok ? ok(c, { video_id: result.video.id }) : fail(c, result.code);
    });
  }

  app.post("/video/list/personal", async (c) => {
    const body = listBody.safeParse((await readJson(c)) ?? {});
    if (!body.success) return fail(c, ERR.invalidParameter);
    const offset = body.data.web_offset ?? body.data.offset ?? 0;
    const items = state.listVideos(c.var.account, offset, body.data.limit);
    const now = state.now();
    const origin = originOf(c);
    // `data` only: no source shows this endpoint's paging fields (docs/PIXVERSE.md "Polling"), so a client
    // must page by count (a full page: ask from offset + its length).
    return ok(c, { data: items.map((v) => toListItem(v, now, origin)) });
  });

  app.post("/video/list/detail", async (c) => {
    const body = detailBody.safeParse(await readJson(c));
    if (!body.success) return fail(c, ERR.invalidParameter);
    const video = state.getVideo(c.var.account, body.data.video_id);
    if (!video) return fail(c, ERR.notFound);
    return ok(c, toListItem(video, state.now(), originOf(c)));
  });

  app.post("/getUploadToken", (c) => ok(c, state.uploads.issueToken(c.var.account.id)));

  // One failing image fails the call (our simplification: the page sends one image at a time).
  app.post("/media/batch_upload_media", async (c) => {
    const body = batchUploadBody.safeParse(await readJson(c));
    if (!body.success) return fail(c, ERR.badRequest);
    const result = [];
    for (const image of body.data.images) {
      const registered = state.uploads.register(c.var.account.id, image.path, image.name ?? "", originOf(c), () => state.takeUploadModeration());
      if (!registered.ok) return fail(c, registered.code, registered.message);
      result.push(registered.record);
    }
    return ok(c, { result });
  });

  return app;
}
