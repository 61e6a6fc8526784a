// The account driver on both page layouts the simulator renders (2026, the site as public material shows it
// today, and 2025, the first reading) and by both submission paths (the page's own API call, and a click on
// Create), in real Chromium: sign-in, text and image videos, the settings that reach Pixverse, and the
// plan's concurrency limit.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mapPixverseVideo } from "../../src/domain/status.ts";
import type { GenerationSettings } from "../../src/domain/settings.ts";
import type { SubmitInput } from "../../src/sidecar/account.ts";
import type { AccountPool } from "../../src/sidecar/pool.ts";
import type { SubmitMode } from "../../src/sidecar/submission.ts";
import { startSimulator, type Simulator } from "../../src/simulator/server.ts";
import { TEST_SETTINGS } from "../support/settings.ts";
import { control, eventually, simPost, startPool, stats, TINY_PNG, type PoolSetup } from "./helpers.ts";

const EMAIL = "lee@example.com";
const PASSWORD = "layout-password";
const SUBMIT_BUDGET = 20_000;

interface Submitted {
  prompt: string;
  kind: string;
  origin: string;
  settings: { model: string; quality: string; duration: number; aspectRatio?: string; audio: boolean; multiShot: boolean; seed?: number; negativePrompt?: string };
}

let sim: Simulator;
let pools: AccountPool[] = [];
setDefaultTimeout(60_000);

beforeAll(async () => {
  sim = await startSimulator({ port: 0, generationMs: 300 });
});
afterAll(async () => {
  await sim.stop();
});
afterEach(async () => {
  await Promise.all(pools.map((p) => p.close()));
  pools = [];
});

async function submitted(): Promise<Submitted[]> {
  return (await control(sim, "/stats")).json.prompts as Submitted[];
}

async function submitOk(pool: AccountPool, input: SubmitInput): Promise<string> {
  const result = await pool.submit(input, SUBMIT_BUDGET);
  if (!result.ok) throw new Error(`submission failed: ${JSON.stringify(result)}`);
  return result.pixverseId;
}

async function finishes(pool: AccountPool, id: string): Promise<void> {
  await eventually(
    async () => {
      const [video] = (await pool.poll([id], 5_000)).videos;
      const kind = video ? mapPixverseVideo(video).kind : "pending";
      if (kind === "pending" || kind === "unknown") return undefined;
      if (kind !== "succeeded") throw new Error(`video ${id} ended ${kind}`);
      return true;
    },
    15_000,
    `video ${id} to finish`,
  );
}

const image = () => ({ name: "image.png", mimeType: "image/png", buffer: Buffer.from(TINY_PNG) });

const MATRIX: { ui: "2026" | "2025"; mode: SubmitMode; createPath: string; origin: string }[] = [
  { ui: "2026", mode: "page-api", createPath: "/creation/video", origin: "page" },
  { ui: "2026", mode: "ui", createPath: "/creation/video", origin: "ui" },
  { ui: "2025", mode: "page-api", createPath: "/create", origin: "page" },
  { ui: "2025", mode: "ui", createPath: "/create", origin: "ui" },
];

for (const { ui, mode, createPath, origin } of MATRIX) {
  describe(`${ui} layout, ${mode} path`, () => {
    beforeEach(async () => {
      await simPost(sim, "/reset", { ui });
      await simPost(sim, "/accounts", { email: EMAIL, password: PASSWORD, ui });
    });

    async function ready(setup: Partial<PoolSetup> = {}) {
      const started = await startPool({ sim, email: EMAIL, password: PASSWORD, submitMode: mode, createPath, ...setup });
      pools.push(started.pool);
      const account = started.pool.accounts[0]!;
      expect(await account.waitUntilSignedIn(20_000), JSON.stringify(account.status())).toBe(true);
      return { ...started, account };
    }

    test("signs in and makes a text video with exactly the configured settings, audio and multi-shot off", async () => {
      const { pool } = await ready();
      const id = await submitOk(pool, { kind: "t2v", prompt: "a lighthouse at dawn", settings: TEST_SETTINGS });
      await finishes(pool, id);
      const [sent] = await submitted();
      expect(sent).toMatchObject({ prompt: "a lighthouse at dawn", kind: "t2v", origin });
      expect(sent!.settings).toMatchObject({
        model: TEST_SETTINGS.model,
        quality: TEST_SETTINGS.quality,
        duration: TEST_SETTINGS.duration,
        aspectRatio: TEST_SETTINGS.aspectRatio,
        audio: false,
        multiShot: false,
      });
      expect((await stats(sim)).logins).toBe(1);
    });

    test("makes an image video through the page's own upload, then a text video on the same page", async () => {
      const { pool } = await ready();
      const imageId = await submitOk(pool, { kind: "i2v", prompt: "the pixel glows", settings: TEST_SETTINGS, image: image() });
      const textId = await submitOk(pool, { kind: "t2v", prompt: "then words alone", settings: TEST_SETTINGS });
      await finishes(pool, imageId);
      await finishes(pool, textId);
      expect((await submitted()).map((s) => [s.kind, s.prompt, s.origin])).toEqual([
        ["i2v", "the pixel glows", origin],
        ["t2v", "then words alone", origin],
      ]);
      expect((await stats(sim)).submissions).toEqual({ t2v: 1, i2v: 1 });
    });

    test("chosen settings reach Pixverse as chosen", async () => {
      const { pool } = await ready();
      const chosen: GenerationSettings = { ...TEST_SETTINGS, model: "v6", quality: "720p", duration: 8, aspectRatio: "9:16", audio: true, multiShot: true, seed: 42 };
      await submitOk(pool, { kind: "t2v", prompt: "tall and loud", settings: chosen });
      const [sent] = await submitted();
      expect(sent!.settings).toMatchObject({ model: "v6", quality: "720p", duration: 8, aspectRatio: "9:16", audio: true, multiShot: true, seed: 42 });
    });

    test("at the plan's limit the submission is a concurrency refusal and nothing extra is created", async () => {
      await simPost(sim, "/accounts", { email: EMAIL, password: PASSWORD, ui, concurrency: 1 });
      const { pool } = await ready();
      await submitOk(pool, { kind: "t2v", prompt: "takes the slot [sim:slow]", settings: TEST_SETTINGS });
      const result = await pool.submit({ kind: "t2v", prompt: "one too many", settings: TEST_SETTINGS }, SUBMIT_BUDGET);
      expect(result).toMatchObject({ ok: false, kind: "concurrency" });
      expect((await submitted()).map((s) => s.prompt)).toEqual(["takes the slot [sim:slow]"]);
    });
  });
}

describe("2026 layout specifics", () => {
  beforeEach(async () => {
    await simPost(sim, "/reset", { ui: "2026" });
    await simPost(sim, "/accounts", { email: EMAIL, password: PASSWORD, ui: "2026" });
  });

  async function ready(setup: Partial<PoolSetup> = {}) {
    const started = await startPool({ sim, email: EMAIL, password: PASSWORD, ...setup });
    pools.push(started.pool);
    const account = started.pool.accounts[0]!;
    expect(await account.waitUntilSignedIn(20_000), JSON.stringify(account.status())).toBe(true);
    return { ...started, account };
  }

  test("the click path reads the page's concurrency modal as a refusal: no request left the page", async () => {
    await simPost(sim, "/accounts", { email: EMAIL, password: PASSWORD, ui: "2026", concurrency: 1 });
    const { pool } = await ready({ submitMode: "ui" });
    await submitOk(pool, { kind: "t2v", prompt: "busy [sim:slow]", settings: TEST_SETTINGS });
    const refusedBefore = (await stats(sim)).refused;
    const result = await pool.submit({ kind: "t2v", prompt: "blocked by the modal", settings: TEST_SETTINGS }, SUBMIT_BUDGET);
    expect(result).toMatchObject({ ok: false, kind: "concurrency" });
    expect(result.ok ? undefined : result.message).toContain("Maximum concurrent generations reached");
    // The page refused by itself: Pixverse saw no request, so it refused none.
    expect((await stats(sim)).refused).toEqual(refusedBefore);
  });

  test("signing in on a page that navigates away before the answer can be read is decided by the session cookie", async () => {
    const { account } = await ready();
    expect(account.status()).toMatchObject({ state: "ready", detail: "logged in" });
    expect((await stats(sim)).logins).toBe(1);
  });

  test("a human check in a cross-origin iframe is noticed headless (needs_human); once solved, the account signs in", async () => {
    await simPost(sim, "/human-check", { on: true });
    const started = await startPool({ sim, email: EMAIL, password: PASSWORD });
    pools.push(started.pool);
    const account = started.pool.accounts[0]!;
    await eventually(async () => (account.status().state === "needs_human" ? true : undefined), 20_000, "needs_human");
    expect((await control(sim, "/stats")).json.humanCheck).toEqual({ on: true, solved: false });
    await simPost(sim, "/solve-human-check", {});
    await eventually(async () => (account.status().state === "ready" ? true : undefined), 20_000, "ready after the check");
  });

  test("a video in Pixverse's queue (status 9) is still generating, not failed", async () => {
    const { pool } = await ready();
    const id = await submitOk(pool, { kind: "t2v", prompt: "queued at a busy time [sim:slow] [sim:queued]", settings: TEST_SETTINGS });
    const [video] = (await pool.poll([id], 5_000)).videos;
    expect(video?.status).toBe(9);
    expect(mapPixverseVideo(video!).kind).toBe("pending");
  });

  test("a video Pixverse no longer has (list/detail 500008) is reported gone", async () => {
    const { pool } = await ready();
    const id = await submitOk(pool, { kind: "t2v", prompt: "soon forgotten [sim:slow]", settings: TEST_SETTINGS });
    await simPost(sim, "/forget", { video_id: Number(id) });
    const polled = await pool.poll([id], 5_000);
    expect(polled).toEqual({ videos: [], gone: [id] });
  });

  test("a video a person started by hand on the account counts as busy", async () => {
    // Read the list at every look, so the short simulated videos cannot finish between two looks.
    const { pool } = await ready({ tuning: { viewMaxAgeMs: 0 } });
    expect((await pool.capacity(5_000)).busy).toBe(0);
    await simPost(sim, "/start", { email: EMAIL, prompt: "made by hand [sim:slow]" });
    await eventually(async () => ((await pool.capacity(5_000)).busy === 1 ? true : undefined), 10_000, "the hand-made video to count");
    await submitOk(pool, { kind: "t2v", prompt: "ours [sim:slow]", settings: TEST_SETTINGS });
    expect((await pool.capacity(5_000)).busy).toBe(2);
  });

  test("an image refused for content at upload ends as moderation, and nothing is submitted", async () => {
    const { pool } = await ready();
    await simPost(sim, "/faults", { uploadModeration: 1 });
    const result = await pool.submit({ kind: "i2v", prompt: "not allowed", settings: TEST_SETTINGS, image: image() }, SUBMIT_BUDGET);
    expect(result).toMatchObject({ ok: false, kind: "moderation", code: 400 });
    expect((await stats(sim)).submissions).toEqual({ t2v: 0, i2v: 0 });
  });
});
