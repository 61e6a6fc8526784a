// The control API (/__sim/…) for tests, benchmarks and the demo (docs/SIMULATOR.md "Control API").
// Plain JSON in and out; a bad body is a 400 naming the fields.
import { Hono, type Context } from "hono";
import { cors } from "hono/cors";
import { z } from "zod";
import { originOf } from "./api.ts";
import { errMsg, SUBMIT_CODES, type ErrCode } from "./codes.ts";
import { I18N_KEYS } from "./i18n.ts";
import { UI_LAYOUTS } from "./layouts.ts";
import type { SimState } from "./state.ts";

const count = z.number().int().min(0);
const ui = z.enum(UI_LAYOUTS);
const accountBody = z.object({
  email: z.string().min(1),
  password: z.string(),
  credits: z.number().int().min(0).optional(),
  concurrency: z.number().int().min(1).optional(),
  oauthOnly: z.boolean().optional(),
  ui: ui.optional(),
});
const resetBody = z.object({ ui: ui.optional() });
const kickBody = z.object({ email: z.string().min(1) });
const faultsBody = z.object({
  overloaded: count.optional(),
  concurrency: count.optional(),
  credits: count.optional(),
  uploadModeration: count.optional(),
  codes: z
    .array(z.number().int().refine((c) => SUBMIT_CODES.has(c), { message: `a code the simulator knows: ${[...SUBMIT_CODES].join(", ")}` }))
    .transform((codes) => codes as ErrCode[])
    .optional(),
});
const humanCheckBody = z.object({ on: z.boolean() });
const forgetBody = z.object({ video_id: z.union([z.number().int().min(0), z.string().regex(/^\d+$/).transform(Number)]) });
const startBody = z.object({
  email: z.string().min(1),
  prompt: z.string().trim().min(1).optional(),
  kind: z.enum(["t2v", "i2v"]).optional(),
});
const labelsBody = z.object({ labels: z.partialRecord(z.enum(I18N_KEYS), z.string().min(1)) });

/** The prompt of a video a person starts by hand when the test names none. */
const MANUAL_PROMPT = "a video started by hand in the account owner's own browser";

type Parsed<T> = { ok: true; data: T } | { ok: false; res: Response };

/** `emptyIs`: what an empty body stands for (reset may be posted without one); otherwise it must be JSON. */
async function parse<T>(c: Context, schema: z.ZodType<T>, emptyIs?: unknown): Promise<Parsed<T>> {
  const text = await c.req.text();
  let raw: unknown;
  try {
    raw = text.trim() === "" && emptyIs !== undefined ? emptyIs : JSON.parse(text);
  } catch {
    return { ok: false, res: c.json({ error: "body must be JSON" }, 400) };
  }
  const parsed = schema.safeParse(raw);
  if (parsed.success) return { ok: true, data: parsed.data };
  const problems = parsed.error.issues.map((i) => `${i.path.join(".") || "body"}: ${i.message}`);
  return { ok: false, res: c.json({ error: "invalid body", problems }, 400) };
}

/** The /__sim routes. */
export function controlRoutes(state: SimState): Hono {
  const app = new Hono();
  // The 2026 human check runs in a cross-origin frame (localhost ↔ 127.0.0.1) that calls these.
  app.use("/solve-human-check", cors({ origin: (o) => o }));
  app.use("/human-check", cors({ origin: (o) => o }));

  app.post("/reset", async (c) => {
    const body = await parse(c, resetBody, {});
    if (!body.ok) return body.res;
    state.reset(body.data.ui);
    return c.json({ ok: true, ui: state.ui() });
  });

  app.post("/accounts", async (c) => {
    const body = await parse(c, accountBody);
    if (!body.ok) return body.res;
    const a = state.addAccount(body.data);
    return c.json(
      { id: a.id, email: a.email, username: a.username, credits: a.credits, concurrency: a.concurrency, oauthOnly: a.oauthOnly, ui: state.uiOf(a) },
      201,
    );
  });

  app.post("/kick", async (c) => {
    const body = await parse(c, kickBody);
    if (!body.ok) return body.res;
    return state.accounts.kick(body.data.email) ? c.json({ ok: true }) : c.json({ error: "no such account" }, 404);
  });

  app.post("/faults", async (c) => {
    const body = await parse(c, faultsBody);
    if (!body.ok) return body.res;
    return c.json({ faults: state.setFaults(body.data) });
  });

  app.post("/human-check", async (c) => {
    const body = await parse(c, humanCheckBody);
    if (!body.ok) return body.res;
    state.accounts.setHumanCheck(body.data.on);
    return c.json(state.accounts.humanCheck());
  });

  // Also what the login page (2025) or the challenge frame (2026) calls when a person ticks the box.
  app.post("/solve-human-check", (c) => {
    state.accounts.solveHumanCheck();
    return c.json(state.accounts.humanCheck());
  });

  // Polled by the login page (about every 500 ms) while its check is showing.
  app.get("/human-check", (c) => {
    c.header("Cache-Control", "no-store");
    return c.json(state.accounts.humanCheck());
  });

  app.post("/forget", async (c) => {
    const body = await parse(c, forgetBody);
    if (!body.ok) return body.res;
    return state.forget(body.data.video_id) ? c.json({ ok: true }) : c.json({ error: "no such video" }, 404);
  });

  app.post("/start", async (c) => {
    const body = await parse(c, startBody);
    if (!body.ok) return body.res;
    const { email, prompt = MANUAL_PROMPT, kind = "t2v" } = body.data;
    const result = state.startManual(email, prompt, kind, originOf(c));
    if (!result) return c.json({ error: "no such account" }, 404);
    if (!result.ok) return c.json({ error: "refused", ErrCode: result.code, ErrMsg: errMsg(result.code) }, 409);
    return c.json({ video_id: result.video.id, kind, prompt, email }, 201);
  });

  app.post("/labels", async (c) => {
    const body = await parse(c, labelsBody);
    if (!body.ok) return body.res;
    state.setLabels(body.data.labels);
    return c.json({ labels: state.labels() });
  });

  app.get("/stats", (c) => c.json(state.stats()));

  return app;
}
