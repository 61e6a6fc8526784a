// The sidecar as the service runs it: a child process over Bun IPC, driven through SidecarGenerator,
// against the simulator in real Chromium; crashes and hangs included.
import { TEST_SETTINGS } from "../support/settings.ts";
import { afterAll, afterEach, beforeAll, beforeEach, expect, setDefaultTimeout, test } from "bun:test";
import type { PixverseVideo } from "../../src/domain/status.ts";
import { mapPixverseVideo } from "../../src/domain/status.ts";
import { createSidecarGenerator, type SidecarGenerator, type SidecarOptions } from "../../src/sidecar/client.ts";
import { startSimulator, type Simulator } from "../../src/simulator/server.ts";
import { addAccount, eventually, requireChromium, reset, simPost, stats, tempDir, testConfig, TINY_PNG, memoryLogger } from "./helpers.ts";
import { holdingProxy, type HoldingProxy } from "./proxy.ts";

const EMAIL = "ops@example.com";
const PASSWORD = "pw";

let sim: Simulator;
let generators: SidecarGenerator[] = [];
let proxies: HoldingProxy[] = [];
setDefaultTimeout(90_000);

beforeAll(async () => {
  sim = await startSimulator({ port: 0, generationMs: 400 });
});
afterAll(async () => {
  await sim.stop();
});
beforeEach(async () => {
  await reset(sim);
  await addAccount(sim, { email: EMAIL, password: PASSWORD });
});
afterEach(async () => {
  await Promise.all(generators.map((g) => g.close()));
  await Promise.all(proxies.map((p) => p.stop()));
  generators = [];
  proxies = [];
});

interface Setup {
  dataDir?: string;
  password?: string;
  url?: string;
  timeouts?: SidecarOptions["timeouts"];
  tuning?: SidecarOptions["tuning"];
  /** The accounts this instance holds the lease of; default: the one account. */
  active?: string[];
  sessions?: SidecarOptions["sessions"];
}

async function sidecar(setup: Setup = {}): Promise<{ gen: SidecarGenerator; dataDir: string }> {
  requireChromium();
  const dataDir = setup.dataDir ?? (await tempDir());
  const url = setup.url ?? sim.url;
  const gen = createSidecarGenerator({
    config: testConfig(dataDir),
    logger: memoryLogger().logger,
    accounts: [{ email: EMAIL, password: setup.password ?? PASSWORD }],
    webUrl: url,
    apiUrl: url,
    timeouts: { healthIntervalMs: 300, ...setup.timeouts },
    restart: { initialMs: 100, maxMs: 1_000 },
    tuning: { actionTimeoutMs: 5_000, navigationTimeoutMs: 10_000, reloginCooldownMs: 0, signInWaitMs: 15_000, ...setup.tuning },
    sessions: setup.sessions,
  });
  generators.push(gen);
  // This instance holds the account's lease (the keeper's part in the service).
  gen.activate(setup.active ?? [EMAIL]);
  return { gen, dataDir };
}

async function untilHealth(gen: SidecarGenerator, state: string): Promise<void> {
  await eventually(async () => (gen.health().state === state ? true : undefined), 30_000, `health ${state} (now ${JSON.stringify(gen.health())})`);
}

async function finished(gen: SidecarGenerator, ids: string[]): Promise<Map<string, string>> {
  const urls = new Map<string, string>();
  await eventually(
    async () => {
      const { videos } = await gen.poll(ids.filter((id) => !urls.has(id)), new Map(ids.map((id) => [id, EMAIL])));
      for (const [id, video] of videos) {
        const outcome = mapPixverseVideo(video);
        if (outcome.kind === "succeeded") urls.set(id, outcome.url);
        else if (outcome.kind !== "pending") throw new Error(`video ${id} ended ${outcome.kind}`);
      }
      return urls.size === ids.length ? true : undefined;
    },
    20_000,
    "every video to finish",
  );
  return urls;
}

test("text and image videos go through the sidecar process and poll to fetchable URLs", async () => {
  const { gen } = await sidecar();
  await untilHealth(gen, "ready");
  expect(await gen.capacity()).toEqual([{ account: EMAIL, ready: true, slots: 2, busy: 0 }]);
  const text = await gen.submit({ account: EMAIL, jobId: 1, kind: "t2v", prompt: "a harbour at night", settings: TEST_SETTINGS });
  const image = await gen.submit({
    account: EMAIL,
    jobId: 2,
    kind: "i2v",
    settings: TEST_SETTINGS,
    prompt: "the pixel glows",
    image: { bytes: TINY_PNG, type: "png", width: 1, height: 1 },
  });
  if (!text.ok || !image.ok) throw new Error(`submissions failed: ${JSON.stringify([text, image])}`);
  const urls = await finished(gen, [text.pixverseId, image.pixverseId]);
  for (const url of urls.values()) expect((await fetch(url)).status).toBe(200);
  expect((await stats(sim)).submissions).toEqual({ t2v: 1, i2v: 1 });
});

test("a second sidecar started with the same session directory does not log in again", async () => {
  const first = await sidecar();
  await untilHealth(first.gen, "ready");
  await first.gen.close();
  const second = await sidecar({ dataDir: first.dataDir });
  await untilHealth(second.gen, "ready");
  expect(second.gen.health().detail).toContain("saved session reused");
  expect((await stats(sim)).logins).toBe(1);
  expect((await second.gen.submit({ account: EMAIL, jobId: 1, kind: "t2v", prompt: "no second login", settings: TEST_SETTINGS })).ok).toBe(true);
});

test("SESSION_STORE=postgres with a database that does not answer: the account still starts (signing in), and each sign-in's session is offered to it", async () => {
  const saved: string[] = [];
  const { gen } = await sidecar({
    sessions: {
      restore: () => new Promise<void>(() => {}),
      save: async (email, file) => {
        saved.push(`${email} ${file.split("/").at(-1)}`);
      },
    },
  });
  await untilHealth(gen, "ready");
  expect((await stats(sim)).logins).toBe(1);
  expect(saved.length).toBeGreaterThan(0);
  expect(saved[0]).toMatch(/^ops@example\.com pixverse-[0-9a-f]{24}\.json$/);
});

test("kill -9 of the sidecar between click and answer: unknown_outcome, a new sidecar, and reconcile finds the one video", async () => {
  const prompt = "hold-me: a lighthouse in a storm";
  const proxy = holdingProxy(sim.url, (method, path, body) => method === "POST" && path.endsWith("/video/t2v") && body.includes("hold-me"));
  proxies.push(proxy);
  const { gen } = await sidecar({ url: proxy.url });
  await untilHealth(gen, "ready");
  const firstPid = gen.pid!;
  const submittedAt = new Date();
  const submitting = gen.submit({ account: EMAIL, jobId: 41, kind: "t2v", prompt, settings: TEST_SETTINGS });
  const answer = JSON.parse(await proxy.held) as { ErrCode: number; Resp: { video_id: number } };
  expect(answer.ErrCode).toBe(0);
  process.kill(firstPid, "SIGKILL");

  expect(await submitting).toMatchObject({ ok: false, kind: "unknown_outcome" });
  await eventually(async () => (gen.pid !== null && gen.pid !== firstPid && gen.health().ready ? true : undefined), 30_000, "a new, ready sidecar");
  expect(await gen.reconcile({ jobId: 41, account: EMAIL, excludeIds: [], kind: "t2v", prompt, submittedAt })).toEqual({ kind: "found", pixverseId: String(answer.Resp.video_id), account: EMAIL });
  const s = await stats(sim);
  expect(s.prompts.filter((p) => p.prompt === prompt)).toHaveLength(1);
  expect(s.submissions.t2v).toBe(1);
  // The new sidecar reused the saved session.
  expect(s.logins).toBe(1);
});

test("kill -9 before the request reached Pixverse: reconcile says unknown during the settle window, then absent", async () => {
  const prompt = "drop-me: a quiet meadow";
  const proxy = holdingProxy(sim.url, (method, path, body) => method === "POST" && path.endsWith("/video/t2v") && body.includes("drop-me"), "request");
  proxies.push(proxy);
  // Longer than a loaded machine needs to start the new sidecar and Chromium, so the early look falls inside it.
  const { gen } = await sidecar({ url: proxy.url, timeouts: { reconcileSettleMs: 8_000 } });
  await untilHealth(gen, "ready");
  const firstPid = gen.pid!;
  const submittedAt = new Date();
  const submitting = gen.submit({ account: EMAIL, jobId: 42, kind: "t2v", prompt, settings: TEST_SETTINGS });
  await proxy.held;
  process.kill(firstPid, "SIGKILL");
  expect(await submitting).toMatchObject({ ok: false, kind: "unknown_outcome" });
  await eventually(async () => (gen.pid !== firstPid && gen.health().ready ? true : undefined), 30_000, "a new, ready sidecar");
  const early = await gen.reconcile({ jobId: 42, account: EMAIL, excludeIds: [], kind: "t2v", prompt, submittedAt });
  expect(early.kind).toBe("unknown");
  await eventually(
    async () => ((await gen.reconcile({ jobId: 42, account: EMAIL, excludeIds: [], kind: "t2v", prompt, submittedAt })).kind === "absent" ? true : undefined),
    20_000,
    "absent after the settle window",
  );
  expect((await stats(sim)).prompts).toHaveLength(0);
});

test("no answer after the click: unknown_outcome, and reconcile waits for the submission before finding its video", async () => {
  const prompt = "hold-me: a slow answer";
  const proxy = holdingProxy(sim.url, (method, path, body) => method === "POST" && path.endsWith("/video/t2v") && body.includes("hold-me"));
  proxies.push(proxy);
  const { gen } = await sidecar({ url: proxy.url, tuning: { createAnswerTimeoutMs: 3_000 } });
  await untilHealth(gen, "ready");
  const submittedAt = new Date();
  const submitting = gen.submit({ account: EMAIL, jobId: 43, kind: "t2v", prompt, settings: TEST_SETTINGS });
  const answer = JSON.parse(await proxy.held) as { Resp: { video_id: number } };
  // The sidecar is still waiting for the answer: it will not say absent (or found) meanwhile.
  expect(await gen.reconcile({ jobId: 43, account: EMAIL, excludeIds: [], kind: "t2v", prompt, submittedAt })).toMatchObject({ kind: "unknown", message: expect.stringContaining("under way") });
  expect(await submitting).toMatchObject({ ok: false, kind: "unknown_outcome" });
  expect(await gen.reconcile({ jobId: 43, account: EMAIL, excludeIds: [], kind: "t2v", prompt, submittedAt })).toEqual({ kind: "found", pixverseId: String(answer.Resp.video_id), account: EMAIL });
  expect((await stats(sim)).prompts.filter((p) => p.prompt === prompt)).toHaveLength(1);
});

test("a sidecar that stops answering is killed and replaced", async () => {
  const { gen } = await sidecar({ timeouts: { pingMs: 1_000 } });
  await untilHealth(gen, "ready");
  const frozenPid = gen.pid!;
  process.kill(frozenPid, "SIGSTOP");
  await eventually(async () => (gen.pid !== null && gen.pid !== frozenPid && gen.health().ready ? true : undefined), 30_000, "a replacement sidecar");
  expect(() => process.kill(frozenPid, 0)).toThrow();
  expect((await gen.submit({ account: EMAIL, jobId: 1, kind: "t2v", prompt: "after the hang", settings: TEST_SETTINGS })).ok).toBe(true);
});

test("a submission sent while the sidecar is down waits for the new one and goes through", async () => {
  const { gen } = await sidecar();
  await untilHealth(gen, "ready");
  const pid = gen.pid!;
  process.kill(pid, "SIGKILL");
  await eventually(async () => (gen.pid !== pid ? true : undefined), 10_000, "the exit to be noticed");
  const result = await gen.submit({ account: EMAIL, jobId: 7, kind: "t2v", prompt: "during the restart", settings: TEST_SETTINGS });
  expect(result.ok, JSON.stringify(result)).toBe(true);
  expect((await stats(sim)).prompts.filter((p) => p.prompt === "during the restart")).toHaveLength(1);
});

test("headless human check: readiness says needs_human until a person solves it, then jobs go through", async () => {
  await simPost(sim, "/human-check", { on: true });
  const { gen } = await sidecar();
  await untilHealth(gen, "needs_human");
  expect(gen.health()).toMatchObject({ ready: false });
  expect(gen.health().detail).toContain("HEADLESS=false");
  expect(await gen.submit({ account: EMAIL, jobId: 1, kind: "t2v", prompt: "must wait", settings: TEST_SETTINGS })).toMatchObject({ ok: false, kind: "unavailable" });
  await simPost(sim, "/solve-human-check", {});
  await untilHealth(gen, "ready");
  expect((await gen.submit({ account: EMAIL, jobId: 2, kind: "t2v", prompt: "after the person", settings: TEST_SETTINGS })).ok).toBe(true);
  expect((await stats(sim)).prompts.map((p) => p.prompt)).toEqual(["after the person"]);
});

test("a wrong password shows in readiness as login_failed and the sidecar does not crash-loop", async () => {
  const { gen } = await sidecar({ password: "wrong" });
  await untilHealth(gen, "login_failed");
  const pid = gen.pid;
  expect(gen.health().detail).toContain("check EMAIL and PASSWORD");
  expect(await gen.submit({ account: EMAIL, jobId: 1, kind: "t2v", prompt: "never", settings: TEST_SETTINGS })).toMatchObject({ ok: false, kind: "unavailable" });
  expect(gen.pid).toBe(pid);
  expect((await stats(sim)).failedLogins).toBe(1);
});

test("closing the generator ends the sidecar process", async () => {
  const { gen } = await sidecar();
  await untilHealth(gen, "ready");
  const pid = gen.pid!;
  await gen.close();
  expect(() => process.kill(pid, 0)).toThrow();
  expect(gen.health()).toEqual({ ready: false, state: "closed" });
  expect(await gen.submit({ account: EMAIL, jobId: 1, kind: "t2v", prompt: "after close", settings: TEST_SETTINGS })).toMatchObject({ ok: false, kind: "unavailable" });
});

test("an account whose lease is not held here stays on standby: never signed in, nothing sent, and the instance stays ready", async () => {
  const { gen } = await sidecar({ active: [] });
  expect(await gen.waitUntilStarted(30_000)).toBe(true);
  await untilHealth(gen, "standby");
  expect(gen.health().ready).toBe(true);
  expect(gen.accountStates().map((a) => a.state)).toEqual(["standby"]);
  expect(await gen.capacity()).toEqual([]);
  expect(await gen.submit({ account: EMAIL, jobId: 1, kind: "t2v", prompt: "not held", settings: TEST_SETTINGS })).toMatchObject({ ok: false, kind: "unavailable" });
  expect((await stats(sim)).logins).toBe(0);

  gen.activate([EMAIL]);
  await untilHealth(gen, "ready");
  expect((await gen.submit({ account: EMAIL, jobId: 2, kind: "t2v", prompt: "held now", settings: TEST_SETTINGS })).ok).toBe(true);

  gen.activate([]);
  // Dropped at once on this side, before the sidecar has even closed the context.
  expect(await gen.submit({ account: EMAIL, jobId: 3, kind: "t2v", prompt: "dropped", settings: TEST_SETTINGS })).toMatchObject({ ok: false, kind: "unavailable" });
  await untilHealth(gen, "standby");
  const s = await stats(sim);
  expect(s.prompts.map((p) => p.prompt)).toEqual(["held now"]);
  expect(s.logins).toBe(1);
});
