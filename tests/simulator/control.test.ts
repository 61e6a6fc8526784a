// The control API's layout choice and label overrides, seen through the HTML the pages serve (the pages'
// behaviour in Chromium is in pages.test.ts and pages2026.test.ts).
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { startSimulator, type Simulator } from "../../src/simulator/server.ts";
import { addAccount, control, login, reset } from "./helpers.ts";

let sim: Simulator;

beforeAll(async () => {
  sim = await startSimulator({ port: 0, generationMs: 1000 });
});
afterAll(async () => {
  await sim.stop();
});
beforeEach(async () => {
  await reset(sim);
});

/** GET a page without following redirects, signed in with `token` when given. */
async function page(path: string, token?: string): Promise<{ status: number; location: string | null; html: string }> {
  const res = await fetch(`${sim.url}${path}`, { redirect: "manual", headers: token ? { Cookie: `_ai_token=${token}` } : {} });
  return { status: res.status, location: res.headers.get("location"), html: await res.text() };
}

const is2025Login = (html: string) => html.includes('id="Username"');
const is2026Login = (html: string) => html.includes('placeholder="Email or Username"') && !html.includes('id="Username"');

describe("layout choice", () => {
  test("renders 2026 pages by default, and 2025 pages after a reset that asks for them", async () => {
    expect(is2026Login((await page("/login")).html)).toBe(true);
    expect((await control(sim, "/reset", { ui: "2025" })).json).toEqual({ ok: true, ui: "2025" });
    expect(is2025Login((await page("/login")).html)).toBe(true);
    await reset(sim);
    expect(is2026Login((await page("/login")).html)).toBe(true);
  });

  test("accepts a reset without a body, and refuses an unknown layout or a body that is not JSON", async () => {
    const empty = await fetch(`${sim.url}/__sim/reset`, { method: "POST" });
    expect(empty.status).toBe(200);
    expect((await control(sim, "/reset", { ui: "2024" })).status).toBe(400);
    const garbled = await fetch(`${sim.url}/__sim/reset`, { method: "POST", body: "{ui" });
    expect(garbled.status).toBe(400);
  });

  test("gives signed-in pages the account's own layout and signed-out pages the simulator's", async () => {
    await addAccount(sim, { email: "old@example.com", password: "pw", ui: "2025" });
    await addAccount(sim, { email: "new@example.com", password: "pw" });
    const old = await login(sim, "old@example.com", "pw");
    const fresh = await login(sim, "new@example.com", "pw");
    expect(is2026Login((await page("/login", old)).html)).toBe(true);
    expect((await page("/home", old)).html).toContain('href="/create"');
    expect((await page("/home", fresh)).html).toContain('href="/creation/video"');
    expect(await page("/creation/video", old)).toMatchObject({ status: 302, location: "/create" });
    expect((await page("/create", old)).html).toContain('role="tab"');
    expect(await page("/create", fresh)).toMatchObject({ status: 302, location: "/creation/video" });
    expect((await page("/creation/video", fresh)).html).toContain('class="ant-upload ant-upload-drag"');
  });

  test("lets an account's 2026 win over a 2025 simulator", async () => {
    await reset(sim, { ui: "2025" });
    const res = await control(sim, "/accounts", { email: "ann@example.com", password: "pw", ui: "2026" });
    expect(res.json.ui).toBe("2026");
    const token = await login(sim, "ann@example.com", "pw");
    expect(is2025Login((await page("/login")).html)).toBe(true);
    expect((await page("/home", token)).html).toContain("ant-modal-root");
  });

  test("sends signed-out visitors of either creation path to /login", async () => {
    for (const path of ["/create", "/creation/video", "/home"]) expect(await page(path)).toMatchObject({ status: 302, location: "/login" });
  });

  test("refuses an account with an unknown layout", async () => {
    expect((await control(sim, "/accounts", { email: "x@example.com", password: "pw", ui: "classic" })).status).toBe(400);
  });
});

describe("human check frame", () => {
  test("points the 2026 login page's frame at the other loopback name on the same port", async () => {
    await control(sim, "/human-check", { on: true });
    const port = new URL(sim.url).port;
    const fromIp = (await page("/login")).html;
    expect(fromIp).toContain(`src="http://localhost:${port}/__sim/challenge"`);
    expect(fromIp).toContain('title="Widget containing a Cloudflare security challenge"');
    const fromName = await (await fetch(`http://localhost:${port}/login`)).text();
    expect(fromName).toContain(`src="http://127.0.0.1:${port}/__sim/challenge"`);
    const challenge = await fetch(`http://localhost:${port}/__sim/challenge`);
    expect(await challenge.text()).toContain("Verify you are human");
  });

  test("lets the frame's origin solve the check across origins (CORS)", async () => {
    await control(sim, "/human-check", { on: true });
    const port = new URL(sim.url).port;
    const res = await fetch(`${sim.url}/__sim/solve-human-check`, { method: "POST", headers: { Origin: `http://localhost:${port}` } });
    expect(res.headers.get("access-control-allow-origin")).toBe(`http://localhost:${port}`);
    expect(await res.json()).toEqual({ on: true, solved: true });
  });
});

describe("labels", () => {
  test("override English labels of the 2026 pages until a reset", async () => {
    await addAccount(sim, { email: "ann@example.com", password: "pw" });
    const token = await login(sim, "ann@example.com", "pw");
    const res = await control(sim, "/labels", { labels: { create: "Generate", promptPlaceholder: "What should happen?" } });
    expect(res.status).toBe(200);
    expect(res.json.labels).toEqual({ create: "Generate", promptPlaceholder: "What should happen?" });
    const html = (await page("/creation/video", token)).html;
    expect(html).toContain('<span data-i18n="create">Generate</span>');
    expect(html).toContain('placeholder="What should happen?"');
    expect(html).not.toContain('placeholder="Describe the content you want to create"');
    await reset(sim);
    await addAccount(sim, { email: "ann@example.com", password: "pw" });
    const again = await login(sim, "ann@example.com", "pw");
    expect((await page("/creation/video", again)).html).toContain('placeholder="Describe the content you want to create"');
  });

  test("leave the 2025 pages alone", async () => {
    await reset(sim, { ui: "2025" });
    await control(sim, "/labels", { labels: { login: "Sign in now" } });
    expect((await page("/login")).html).not.toContain("Sign in now");
  });

  test("refuse an unknown key, an empty text, or a missing labels object", async () => {
    expect((await control(sim, "/labels", { labels: { createButton: "Go" } })).status).toBe(400);
    expect((await control(sim, "/labels", { labels: { create: "" } })).status).toBe(400);
    expect((await control(sim, "/labels", { create: "Go" })).status).toBe(400);
  });
});
