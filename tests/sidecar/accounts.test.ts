// Several Pixverse accounts in one pool, in real Chromium against the simulator: each has its own context,
// session, slots and credits; a submission goes to the account it names (the dispatcher chooses among the held
// ones); capacity tells which accounts take work now; only active accounts (leases held here) are signed in to.
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

/** An in-process pool (the sidecar's insides) with the accounts given, each in its own context; `active`: those driven. */
async function startAccounts(accounts: { email: string; password: string }[], active?: string[]): Promise<AccountPool> {
  requireChromium();
  const pool = await AccountPool.start(
    {
      accounts,
      ...(active ? { active } : {}),
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

const submit = (pool: AccountPool, account: string, prompt: string) => pool.submit({ kind: "t2v", prompt, settings: TEST_SETTINGS }, SUBMIT_BUDGET, account);
const room = async (pool: AccountPool, account: string) => (await pool.capacity(5_000)).accounts.find((c) => c.account === account);

test("two accounts of one slot each run two videos at once, one on each, each submission on the account it names", async () => {
  await addAccount(sim, { ...ANN, concurrency: 1 });
  await addAccount(sim, { ...BOB, concurrency: 1 });
  const pool = await startAccounts([ANN, BOB]);
  await settled(pool, { [ANN.email]: "ready", [BOB.email]: "ready" });
  // Each account's capacity comes from its own plan: one slot each.
  await eventually(async () => ((await pool.capacity(5_000)).slots === 2 ? true : undefined), 10_000, "two slots in all");
  expect((await pool.capacity(5_000)).accounts).toEqual([
    { account: ANN.email, ready: true, slots: 1, busy: 0 },
    { account: BOB.email, ready: true, slots: 1, busy: 0 },
  ]);

  const results = await Promise.all([submit(pool, ANN.email, "[sim:slow] first at once"), submit(pool, BOB.email, "[sim:slow] second at once")]);
  for (const r of results) expect(r.ok, JSON.stringify(r)).toBe(true);
  expect(results.map((r) => (r.ok ? r.account : ""))).toEqual([ANN.email, BOB.email]);

  const s = await stats(sim);
  for (const r of results) if (r.ok) expect(s.prompts.find((p) => String(p.videoId) === r.pixverseId)?.email).toBe(r.account);
  const max = (s as unknown as { maxConcurrentByAccount: Record<string, number> }).maxConcurrentByAccount;
  expect(max[ANN.email]).toBe(1);
  expect(max[BOB.email]).toBe(1);
  expect((await pool.capacity(5_000)).accounts.map((c) => c.busy)).toEqual([1, 1]);

  // The named account is full: Pixverse's own 500044, nothing made, and no other account is tried.
  const third = await submit(pool, ANN.email, "third while both are busy");
  expect(third).toMatchObject({ ok: false, kind: "concurrency" });
  const after = await stats(sim);
  expect(after.submissions.t2v).toBe(2);
  expect(after.prompts.map((p) => p.prompt)).not.toContain("third while both are busy");
});

test("an account whose sign-in fails (login_failed) takes no work: capacity says so, and a submission naming it sends nothing", async () => {
  await addAccount(sim, { ...ANN, concurrency: 5 });
  await addAccount(sim, { ...BOB, concurrency: 5 });
  const pool = await startAccounts([{ email: ANN.email, password: "wrong-password" }, BOB]);
  await settled(pool, { [ANN.email]: "login_failed", [BOB.email]: "ready" });
  expect((await room(pool, ANN.email))?.ready).toBe(false);
  expect((await room(pool, BOB.email))?.ready).toBe(true);
  expect(await submit(pool, ANN.email, "never sent")).toMatchObject({ ok: false, kind: "unavailable" });
  expect(await submit(pool, BOB.email, "through bob")).toMatchObject({ ok: true, account: BOB.email });
  expect(new Set((await stats(sim)).prompts.map((p) => p.email))).toEqual(new Set([BOB.email]));
  // Only the usable account's slots count.
  expect((await pool.capacity(5_000)).slots).toBe(5);
});

test("an account out of credits answers credits, is paused and no longer ready; the other takes the next job", async () => {
  await addAccount(sim, { ...ANN, concurrency: 5, credits: 0 });
  await addAccount(sim, { ...BOB, concurrency: 5 });
  const pool = await startAccounts([ANN, BOB]);
  await settled(pool, { [ANN.email]: "ready", [BOB.email]: "ready" });
  expect(await submit(pool, ANN.email, "credits: one")).toMatchObject({ ok: false, kind: "credits" });
  expect(pool.statuses().find((s) => s.email === ANN.email)?.state).toBe("paused_credits");
  expect((await room(pool, ANN.email))?.ready).toBe(false);
  expect(await submit(pool, BOB.email, "credits: one")).toMatchObject({ ok: true, account: BOB.email });
  expect(new Set((await stats(sim)).prompts.map((p) => p.email))).toEqual(new Set([BOB.email]));
});

test("each account reports the credits it has left", async () => {
  await addAccount(sim, { ...ANN, credits: 480 });
  const pool = await startAccounts([ANN]);
  await settled(pool, { [ANN.email]: "ready" });
  await eventually(
    async () => {
      await pool.capacity(5_000);
      return pool.statuses()[0]?.credits === 480 ? true : undefined;
    },
    10_000,
    "the credits to be read",
  );
});

test("only active accounts are signed in to: a standby one has no session until activated, and is closed at once when dropped", async () => {
  await addAccount(sim, ANN);
  await addAccount(sim, BOB);
  const pool = await startAccounts([ANN, BOB], [ANN.email]);
  await settled(pool, { [ANN.email]: "ready", [BOB.email]: "standby" });
  expect((await stats(sim)).logins).toBe(1);
  expect((await pool.capacity(5_000)).accounts.map((c) => c.account)).toEqual([ANN.email]);
  expect(await submit(pool, BOB.email, "not driven here")).toMatchObject({ ok: false, kind: "unavailable" });
  expect(await pool.reconcile("not driven here", Date.now(), new Set(), 5_000, BOB.email)).toMatchObject({ kind: "unknown" });

  await pool.activate([ANN.email, BOB.email]);
  await settled(pool, { [ANN.email]: "ready", [BOB.email]: "ready" });
  expect((await stats(sim)).logins).toBe(2);
  const made = await submit(pool, BOB.email, "bob now");
  expect(made).toMatchObject({ ok: true, account: BOB.email });

  await pool.activate([BOB.email]);
  expect(pool.statuses().map((s) => s.state)).toEqual(["standby", "ready"]);
  expect(await submit(pool, ANN.email, "ann dropped")).toMatchObject({ ok: false, kind: "unavailable" });
  // Polls name the account of each id: one on a dropped account is not asked at all.
  if (!made.ok) throw new Error("unreachable");
  const polled = await pool.poll([made.pixverseId], 5_000, { [made.pixverseId]: BOB.email });
  expect(polled.videos.map((v) => v.id)).toEqual([made.pixverseId]);
  expect(await pool.poll([made.pixverseId], 5_000, { [made.pixverseId]: ANN.email })).toEqual({ videos: [], gone: [] });
  expect((await stats(sim)).prompts.map((p) => p.prompt)).toEqual(["bob now"]);
});

test("with no account usable a submission is unavailable, not a concurrency wait", async () => {
  await addAccount(sim, ANN);
  const pool = await startAccounts([{ email: ANN.email, password: "wrong-password" }]);
  await settled(pool, { [ANN.email]: "login_failed" });
  expect(await submit(pool, ANN.email, "nobody can take this")).toMatchObject({ ok: false, kind: "unavailable" });
  expect((await stats(sim)).submissions.t2v).toBe(0);
});
