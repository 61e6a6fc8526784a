// The control API (/__sim/…) for tests, benchmarks and the demo (docs/SIMULATOR.md "Control API").
// Plain JSON in and out; a bad body is a 400 naming the fields.
import { Hono, type Context } from "hono";
import { z } from "zod";
import type { SimState } from "./state.ts";

const count = z.number().int().min(0);
const accountBody = z.object({
  email: z.string().min(1),
  password: z.string(),
  credits: z.number().int().min(0).optional(),
  concurrency: z.number().int().min(1).optional(),
  oauthOnly: z.boolean().optional(),
});
const kickBody = z.object({ email: z.string().min(1) });
const faultsBody = z.object({ overloaded: count.optional(), concurrency: count.optional(), credits: count.optional() });
const humanCheckBody = z.object({ on: z.boolean() });

async function parse<T>(c: Context, schema: z.ZodType<T>): Promise<{ ok: true; data: T } | { ok: false; res: Response }> {
  let raw: unknown;
  try {
    raw = await c.req.json();
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

  app.post("/reset", (c) => {
    state.reset();
    return c.json({ ok: true });
  });

  app.post("/accounts", async (c) => {
    const body = await parse(c, accountBody);
    if (!body.ok) return body.res;
    const a = state.addAccount(body.data);
    return c.json({ id: a.id, email: a.email, username: a.username, credits: a.credits, concurrency: a.concurrency, oauthOnly: a.oauthOnly }, 201);
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

  // Also what the login page calls when a person ticks the box.
  app.post("/solve-human-check", (c) => {
    state.accounts.solveHumanCheck();
    return c.json(state.accounts.humanCheck());
  });

  // Polled by the login page (about every 500 ms) while its check is showing.
  app.get("/human-check", (c) => {
    c.header("Cache-Control", "no-store");
    return c.json(state.accounts.humanCheck());
  });

  app.get("/stats", (c) => c.json(state.stats()));

  return app;
}
