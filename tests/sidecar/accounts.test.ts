// Several Pixverse accounts in one pool, in real Chromium against the simulator: each has its own context,
// session, slots and credits; a submission goes to an account with a free slot and names it; an account that
// cannot take work (signed-in never, out of credits) is skipped and the others take every job.
import { afterAll, afterEach, beforeAll, beforeEach, expect, setDefaultTimeout, test } from "bun:test";
import { createLogger } from "../../src/log.ts";
import { AccountPool } from "../../src/sidecar/pool.ts";
import { DEFAULT_CREATE_PATH } from "../../src/sidecar/pixverse.ts";
import type { AccountStatus } from "../../src/sidecar/protocol.ts";
import { startSimulator, type Simulator } from "../../src/simulator/server.ts";
import { TEST_SETTINGS } from "../support/settings.ts";
import { addAccount, CHROMIUM, eventually, FAST_TUNING, requireChromium, reset, stats, tempDir, TEST_LOG_LEVEL } from "./helpers.ts";

const ANN = { email: "ann@example.com", password: "ann-password" };
const BOB = { email: "bob@example.com", password: "bob-password" };
const SUBMIT_BUDGET = 20_000;

let sim: Simulator;
let pools: AccountPool[] = [];
setDefaultTimeout(90_000);

beforeAll(async () => {
  // [sim:slow] videos take ten times this: long enough to overlap, short enough for a test.
  sim = await startSimulator({ port: 0, generationMs: 1_000 });
});
afterAll(async () => {
  await sim.stop();
});
beforeEach(async () => {
  await reset(sim);
});
afterEach(async () => {
  await Promise.all(pools.map((p) => p.close()));
  pools = [];
});

/** An in-process pool (the sidecar's insides) driving every account given, each in its own context. */
async function startAccounts(accounts: { email: string; password: string }[]): Promise<AccountPool> {
  requireChromium();
  const pool = await AccountPool.start(
    {
      accounts,
      chromiumPath: CHROMIUM,
      account: {
        webUrl: sim.url,
        apiUrl: sim.url,
        sessionDir: await tempDir(),
        headless: true,
        timezone: "UTC",
        humanLoginTimeoutMs: 30_000,
        fallbackConcurrency: 2,
        submitMode: "page-api",
        createPath: DEFAULT_CREATE_PATH,
        tuning: { ...FAST_TUNING },
      },
    },
    createLogger(TEST_LOG_LEVEL),
    () => undefined,
    () => undefined,
  );
  pools.push(pool);
  return pool;
}

async function settled(pool: AccountPool, want: Record<string, AccountStatus["state"]>): Promise<void> {
  await eventually(
    async () => (pool.statuses().every((s) => want[s.email] === undefined || s.state === want[s.email]) ? true : undefined),
    30_000,
    `accounts to reach ${JSON.stringify(want)}`,
  );
}

const submit = (pool: AccountPool, prompt: string) => pool.submit({ kind: "t2v", prompt, settings: TEST_SETTINGS }, SUBMIT_BUDGET);

test("two accounts of one slot each run two videos at once, one on each, and name the account that took it", async () => {
  await addAccount(sim, { ...ANN, concurrency: 1 });
  await addAccount(sim, { ...BOB, concurrency: 1 });
  const pool = await startAccounts([ANN, BOB]);
  await settled(pool, { [ANN.email]: "ready", [BOB.email]: "ready" });
  // Each account's capacity comes from its own plan: one slot each, two in all.
  await eventually(async () => ((await pool.capacity(5_000)).slots === 2 ? true : undefined), 10_000, "two slots in all");

  const results = await Promise.all([submit(pool, "[sim:slow] first at once"), submit(pool, "[sim:slow] second at once")]);
  for (const r of results) expect(r.ok, JSON.stringify(r)).toBe(true);
  const taken = results.map((r) => (r.ok ? r.account : ""));
  expect(taken.sort()).toEqual([ANN.email, BOB.email]);

  const s = await stats(sim);
  const byPrompt = new Map(s.prompts.map((p) => [p.prompt, p.email]));
  for (const r of results) if (r.ok) expect(s.prompts.find((p) => String(p.videoId) === r.pixverseId)?.email).toBe(r.account);
  expect(new Set(byPrompt.values())).toEqual(new Set([ANN.email, BOB.email]));
  const max = (s as unknown as { maxConcurrentByAccount: Record<string, number> }).maxConcurrentByAccount;
  expect(max[ANN.email]).toBe(1);
  expect(max[BOB.email]).toBe(1);
  expect(await pool.capacity(5_000)).toEqual({ slots: 2, busy: 2 });

  // Both slots are taken: the third is a concurrency refusal (Pixverse's 500044 from one account, asked in case
  // a video just ended; never from both), and no video is made for it.
  const third = await submit(pool, "third while both are busy");
  expect(third).toMatchObject({ ok: false, kind: "concurrency" });
  const after = await stats(sim);
  expect(after.submissions.t2v).toBe(2);
  expect(after.prompts.map((p) => p.prompt)).not.toContain("third while both are busy");
});

test("an account whose sign-in fails (login_failed) is skipped: the other takes every job", async () => {
  await addAccount(sim, { ...ANN, concurrency: 5 });
  await addAccount(sim, { ...BOB, concurrency: 5 });
  const pool = await startAccounts([{ email: ANN.email, password: "wrong-password" }, BOB]);
  await settled(pool, { [ANN.email]: "login_failed", [BOB.email]: "ready" });

  const results = [];
  for (const prompt of ["one", "two", "three"]) results.push(await submit(pool, `skipped account: ${prompt}`));
  expect(results.map((r) => (r.ok ? r.account : r.kind))).toEqual([BOB.email, BOB.email, BOB.email]);
  expect(new Set((await stats(sim)).prompts.map((p) => p.email))).toEqual(new Set([BOB.email]));
  // Only the usable account's slots count.
  expect((await pool.capacity(5_000)).slots).toBe(5);
});

test("an account out of credits passes the job to another, and is paused (skipped) after that", async () => {
  await addAccount(sim, { ...ANN, concurrency: 5, credits: 0 });
  await addAccount(sim, { ...BOB, concurrency: 5 });
  const pool = await startAccounts([ANN, BOB]);
  await settled(pool, { [BOB.email]: "ready" });
  await eventually(async () => (pool.statuses().every((s) => s.state === "ready" || s.state === "paused_credits") ? true : undefined), 30_000, "both signed in");

  const results = [];
  for (const prompt of ["one", "two", "three"]) results.push(await submit(pool, `credits: ${prompt}`));
  expect(results.map((r) => (r.ok ? r.account : r.kind))).toEqual([BOB.email, BOB.email, BOB.email]);
  expect(new Set((await stats(sim)).prompts.map((p) => p.email))).toEqual(new Set([BOB.email]));
  expect(pool.statuses().find((s) => s.email === ANN.email)?.state).toBe("paused_credits");
});

test("with no account usable the answer is unavailable, not a concurrency wait", async () => {
  await addAccount(sim, ANN);
  const pool = await startAccounts([{ email: ANN.email, password: "wrong-password" }]);
  await settled(pool, { [ANN.email]: "login_failed" });
  expect(await submit(pool, "nobody can take this")).toMatchObject({ ok: false, kind: "unavailable" });
  expect((await stats(sim)).submissions.t2v).toBe(0);
});
