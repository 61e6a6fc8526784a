// The account driver in real Chromium against the simulator: signing in, submitting through the page,
// polling, reconciling, and every way Pixverse says no.
import { TEST_SETTINGS } from "../support/settings.ts";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, setDefaultTimeout, test } from "bun:test";
import { stat } from "node:fs/promises";
import { mapPixverseVideo, type PixverseOutcome } from "../../src/domain/status.ts";
import type { SubmitInput } from "../../src/sidecar/account.ts";
import type { AccountPool } from "../../src/sidecar/pool.ts";
import { sessionFile } from "../../src/sidecar/browser.ts";
import { expectedCredits } from "../../src/sidecar/pixverse.ts";
import { startSimulator, type Simulator } from "../../src/simulator/server.ts";
import {
  addAccount,
  control,
  eventually,
  memoryLogger,
  pngHeader,
  reset,
  simPost,
  startPool,
  stats,
  TINY_PNG,
  type PoolSetup,
} from "./helpers.ts";

const EMAIL = "ann@example.com";
const PASSWORD = "correct horse";
const GENERATION_MS = 300;
const SUBMIT_BUDGET = 20_000;

let sim: Simulator;
let pools: AccountPool[] = [];
setDefaultTimeout(60_000);

beforeAll(async () => {
  sim = await startSimulator({ port: 0, generationMs: GENERATION_MS });
});
afterAll(async () => {
  await sim.stop();
});
beforeEach(async () => {
  await reset(sim);
  await addAccount(sim, { email: EMAIL, password: PASSWORD });
});
afterEach(async () => {
  await Promise.all(pools.map((p) => p.close()));
  pools = [];
});

async function open(setup: Partial<PoolSetup> = {}) {
  const started = await startPool({ sim, email: EMAIL, password: PASSWORD, ...setup });
  pools.push(started.pool);
  return { ...started, account: started.pool.accounts[0]! };
}

async function ready(setup: Partial<PoolSetup> = {}) {
  const opened = await open(setup);
  expect(await opened.account.waitUntilSignedIn(15_000), JSON.stringify(opened.account.status())).toBe(true);
  return opened;
}

async function submitOk(pool: AccountPool, input: SubmitInput): Promise<string> {
  const result = await pool.submit(input, SUBMIT_BUDGET);
  if (!result.ok) throw new Error(`submission failed: ${JSON.stringify(result)}`);
  return result.pixverseId;
}

/** Poll until the video reaches `kind` (or any final outcome when none is given). */
async function outcome(pool: AccountPool, id: string, kind?: PixverseOutcome["kind"], timeoutMs = 15_000): Promise<PixverseOutcome> {
  return eventually(
    async () => {
      const [video] = (await pool.poll([id], 5_000)).videos;
      if (!video) return undefined;
      const o = mapPixverseVideo(video);
      if (kind) return o.kind === kind ? o : undefined;
      return o.kind === "pending" || o.kind === "unknown" ? undefined : o;
    },
    timeoutMs,
    `video ${id} to reach ${kind ?? "a final state"}`,
  );
}

describe("signing in", () => {
  test("signs in through the login page and keeps the session in an owner-only file", async () => {
    const { account, sessionDir } = await ready();
    expect(account.status()).toMatchObject({ state: "ready", detail: "logged in", capacity: 2 });
    const file = sessionFile(sessionDir, EMAIL, sim.url);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await stat(sessionDir)).mode & 0o777).toBe(0o700);
    expect((await stats(sim)).logins).toBe(1);
  });

  test("reuses the saved session on the next start instead of logging in again", async () => {
    const first = await ready();
    await first.pool.close();
    const second = await ready({ sessionDir: first.sessionDir });
    expect(second.account.status().detail).toBe("saved session reused");
    expect((await stats(sim)).logins).toBe(1);
    await submitOk(second.pool, { kind: "t2v", prompt: "after a restart", settings: TEST_SETTINGS });
  });

  test("a wrong password leaves the account login_failed with a clear reason and no retry loop", async () => {
    const { account, pool } = await open({ password: "wrong" });
    await eventually(async () => (account.status().state === "login_failed" ? true : undefined), 15_000, "login_failed");
    expect(account.status().detail).toContain("check EMAIL and PASSWORD");
    const result = await pool.submit({ kind: "t2v", prompt: "never sent", settings: TEST_SETTINGS }, SUBMIT_BUDGET);
    expect(result).toMatchObject({ ok: false, kind: "unavailable" });
    expect((await stats(sim)).failedLogins).toBe(1);
  });

  test("an OAuth-only account is login_failed and says how to fix it", async () => {
    await addAccount(sim, { email: "oauth@example.com", password: "x", oauthOnly: true });
    const { account } = await open({ email: "oauth@example.com", password: "x" });
    await eventually(async () => (account.status().state === "login_failed" ? true : undefined), 15_000, "login_failed");
    expect(account.status().detail).toContain("Google/Apple/Discord");
  });

  test("too many login attempts (500213) stops logging in for ten minutes", async () => {
    // Five failed logins elsewhere make the simulator lock the account, as Pixverse does.
    for (let i = 0; i < 5; i++) {
      await fetch(`${sim.url}/creative_platform/login`, { method: "POST", body: JSON.stringify({ Username: EMAIL, Password: "bad" }) });
    }
    const failedBefore = (await stats(sim)).failedLogins;
    const { account } = await open();
    await eventually(async () => (account.status().state === "login_blocked" ? true : undefined), 15_000, "login_blocked");
    const until = Date.parse(/no login until (\S+)/.exec(account.status().detail ?? "")?.[1] ?? "");
    expect(until - Date.now()).toBeGreaterThan(9 * 60_000);
    expect((await stats(sim)).failedLogins).toBe(failedBefore);
  });
});

describe("submitting and polling", () => {
  test("a text video is submitted through the page and polled to a fetchable URL", async () => {
    const { pool } = await ready();
    const id = await submitOk(pool, { kind: "t2v", prompt: "a lighthouse at dawn", settings: TEST_SETTINGS });
    const done = await outcome(pool, id, "succeeded");
    if (done.kind !== "succeeded") throw new Error("unreachable");
    expect(done.url).not.toContain("%2F");
    const media = await fetch(done.url);
    expect(media.status).toBe(200);
    expect(media.headers.get("content-type")).toContain("video/mp4");
    const s = await stats(sim);
    expect(s.submissions).toEqual({ t2v: 1, i2v: 0 });
    expect(s.prompts.map((p) => p.prompt)).toEqual(["a lighthouse at dawn"]);
  });

  test("an image video is uploaded by the page itself and finishes with a URL", async () => {
    const { pool } = await ready();
    const image = { name: "image.png", mimeType: "image/png", buffer: Buffer.from(TINY_PNG) };
    const id = await submitOk(pool, { kind: "i2v", prompt: "the cat waves", settings: TEST_SETTINGS, image });
    const done = await outcome(pool, id, "succeeded");
    expect(done.kind).toBe("succeeded");
    expect((await stats(sim)).submissions).toEqual({ t2v: 0, i2v: 1 });
  });

  test("text after image goes back to text mode on the same page", async () => {
    const { pool } = await ready();
    const image = { name: "image.png", mimeType: "image/png", buffer: Buffer.from(TINY_PNG) };
    await submitOk(pool, { kind: "i2v", prompt: "image first", settings: TEST_SETTINGS, image });
    await submitOk(pool, { kind: "t2v", prompt: "then text", settings: TEST_SETTINGS });
    expect((await stats(sim)).submissions).toEqual({ t2v: 1, i2v: 1 });
  });

  test.each([
    ["[sim:moderation]", "moderated"],
    ["[sim:fail]", "failed"],
    ["[sim:deleted]", "deleted"],
  ] as const)("a video marked %s ends %s", async (marker, kind) => {
    const { pool } = await ready();
    const id = await submitOk(pool, { kind: "t2v", prompt: `a fox ${marker}`, settings: TEST_SETTINGS });
    expect((await outcome(pool, id, kind)).kind).toBe(kind);
  });

  test("a [sim:slow] video is still generating when a normal one is done, then finishes", async () => {
    const { pool } = await ready();
    const slow = await submitOk(pool, { kind: "t2v", prompt: "a glacier [sim:slow]", settings: TEST_SETTINGS });
    const quick = await submitOk(pool, { kind: "t2v", prompt: "a hummingbird", settings: TEST_SETTINGS });
    await outcome(pool, quick, "succeeded");
    const [video] = (await pool.poll([slow], 5_000)).videos;
    expect(mapPixverseVideo(video!).kind).toBe("pending");
    expect((await outcome(pool, slow, "succeeded", 20_000)).kind).toBe("succeeded");
  });

  test("one poll call refreshes every in-flight video of the account", async () => {
    const { pool } = await ready();
    const a = await submitOk(pool, { kind: "t2v", prompt: "one", settings: TEST_SETTINGS });
    const b = await submitOk(pool, { kind: "t2v", prompt: "two", settings: TEST_SETTINGS });
    const before = (await stats(sim)).listCalls;
    const videos = (await pool.poll([a, b], 5_000)).videos;
    expect(videos.map((v) => v.id).sort()).toEqual([a, b].sort());
    expect((await stats(sim)).listCalls - before).toBe(1);
  });

  test("a video that fell out of the list is fetched with list/detail", async () => {
    await addAccount(sim, { email: EMAIL, password: PASSWORD, concurrency: 60 });
    const { pool } = await ready({ tuning: { pollMaxPages: 1 } });
    const old = await submitOk(pool, { kind: "t2v", prompt: "the oldest", settings: TEST_SETTINGS });
    // 50 newer videos, made over the API with a second login, push it off the first page.
    const login = await fetch(`${sim.url}/creative_platform/login`, { method: "POST", body: JSON.stringify({ Username: EMAIL, Password: PASSWORD }) });
    const token = ((await login.json()) as { Resp: { Result: { Token: string } } }).Resp.Result.Token;
    for (let i = 0; i < 50; i++) {
      const res = await fetch(`${sim.url}/creative_platform/video/t2v`, {
        method: "POST",
        headers: { Token: token, "Content-Type": "application/json" },
        body: JSON.stringify({ prompt: `filler ${i}`, model: "v5", duration: 5, quality: "360p", aspect_ratio: "16:9" }),
      });
      expect(((await res.json()) as { ErrCode: number }).ErrCode).toBe(0);
    }
    // That login replaced the pool's session: the poll logs in again (no cooldown in these tests), then asks.
    const detailsBefore = (await stats(sim)).detailCalls;
    const [video] = (await pool.poll([old], 15_000)).videos;
    expect(video?.id).toBe(old);
    expect((await stats(sim)).detailCalls - detailsBefore).toBe(1);
  });
});

describe("Pixverse refusing a submission", () => {
  test("[sim:blocked] is refused as moderation with ErrCode 500063", async () => {
    const { pool } = await ready();
    const result = await pool.submit({ kind: "t2v", prompt: "something [sim:blocked]", settings: TEST_SETTINGS }, SUBMIT_BUDGET);
    expect(result).toMatchObject({ ok: false, kind: "moderation", code: 500063 });
  });

  test("a prompt over 5000 characters is bad_input (400018)", async () => {
    const { pool } = await ready();
    const result = await pool.submit({ kind: "t2v", prompt: "x".repeat(5001), settings: TEST_SETTINGS }, SUBMIT_BUDGET);
    expect(result).toMatchObject({ ok: false, kind: "bad_input", code: 400018 });
  });

  test("an image wider than 4000 px is refused at upload as bad_input and nothing is submitted", async () => {
    const { pool } = await ready();
    const image = { name: "image.png", mimeType: "image/png", buffer: Buffer.from(pngHeader(5000, 10)) };
    const result = await pool.submit({ kind: "i2v", prompt: "too wide", settings: TEST_SETTINGS, image }, SUBMIT_BUDGET);
    expect(result).toMatchObject({ ok: false, kind: "bad_input", code: 500033 });
    expect((await stats(sim)).submissions).toEqual({ t2v: 0, i2v: 0 });
  });

  for (const [fault, code, kind] of [
    ["concurrency", 500044, "concurrency"],
    ["overloaded", 500069, "overloaded"],
  ] as const) {
    test(`the ${fault} fault (${code}) maps to ${kind} and the next submission goes through`, async () => {
      const { pool } = await ready();
      await simPost(sim, "/faults", { [fault]: 1 });
      expect(await pool.submit({ kind: "t2v", prompt: "refused", settings: TEST_SETTINGS }, SUBMIT_BUDGET)).toMatchObject({ ok: false, kind, code });
      await submitOk(pool, { kind: "t2v", prompt: "accepted", settings: TEST_SETTINGS });
    });
  }

  test("Pixverse's rarer refusals reach the dispatcher as their kinds, through the real page", async () => {
    const { pool } = await ready();
    const cases = [
      [500042, "bad_input"],
      [500054, "moderation"],
      [500090, "credits"],
      [500045, "overloaded"],
    ] as const;
    await simPost(sim, "/faults", { codes: cases.map(([code]) => code) });
    for (const [code, kind] of cases) {
      expect(await pool.submit({ kind: "t2v", prompt: `refused ${code}`, settings: TEST_SETTINGS }, SUBMIT_BUDGET)).toMatchObject({ ok: false, kind, code });
    }
  });

  test("more generations than the plan allows are refused as concurrency (500044)", async () => {
    await addAccount(sim, { email: EMAIL, password: PASSWORD, concurrency: 1 });
    const { pool } = await ready();
    expect((await pool.capacity(1000)).slots).toBe(1);
    await submitOk(pool, { kind: "t2v", prompt: "first [sim:slow]", settings: TEST_SETTINGS });
    expect(await pool.submit({ kind: "t2v", prompt: "second", settings: TEST_SETTINGS }, SUBMIT_BUDGET)).toMatchObject({ ok: false, kind: "concurrency", code: 500044 });
  });

  test("capacity follows the plan's gen_simultaneously", async () => {
    await addAccount(sim, { email: EMAIL, password: PASSWORD, concurrency: 5 });
    const { pool } = await ready();
    expect((await pool.capacity(1000)).slots).toBe(5);
  });

  test("out of credits pauses the account; it resumes when credits are back", async () => {
    const { pool, account } = await ready();
    await simPost(sim, "/faults", { credits: 1 });
    expect(await pool.submit({ kind: "t2v", prompt: "no credits", settings: TEST_SETTINGS }, SUBMIT_BUDGET)).toMatchObject({ ok: false, kind: "credits", code: 500043 });
    expect(account.status().state).toBe("paused_credits");
    // The simulator's balance is still plenty: the next submission finds credits and goes through.
    await submitOk(pool, { kind: "t2v", prompt: "credits are back", settings: TEST_SETTINGS });
    expect(account.status().state).toBe("ready");
  });

  test("a paused account answers credits without touching Pixverse until the recheck is due", async () => {
    await addAccount(sim, { email: EMAIL, password: PASSWORD, credits: 0 });
    const { pool, account } = await ready({ tuning: { creditsRecheckMs: 60_000 } });
    expect(await pool.submit({ kind: "t2v", prompt: "first", settings: TEST_SETTINGS }, SUBMIT_BUDGET)).toMatchObject({ ok: false, kind: "credits" });
    expect(account.status().state).toBe("paused_credits");
    const refusedBefore = (await stats(sim)).refused;
    expect(await pool.submit({ kind: "t2v", prompt: "second", settings: TEST_SETTINGS }, SUBMIT_BUDGET)).toMatchObject({ ok: false, kind: "credits" });
    expect((await stats(sim)).refused).toEqual(refusedBefore);
  });

  test("an account with fewer credits than a video costs stays paused at each recheck, without a refused submission each time", async () => {
    await addAccount(sim, { email: EMAIL, password: PASSWORD, credits: 5 });
    expect(expectedCredits(TEST_SETTINGS).credits!).toBeGreaterThan(5);
    // A recheck before every submission: only the balance decides.
    const { pool, account } = await ready({ tuning: { creditsRecheckMs: 0 } });
    expect(await pool.submit({ kind: "t2v", prompt: "too dear", settings: TEST_SETTINGS }, SUBMIT_BUDGET)).toMatchObject({ ok: false, kind: "credits" });
    const refusedBefore = (await stats(sim)).refused;
    for (let i = 0; i < 3; i++) {
      expect(await pool.submit({ kind: "t2v", prompt: `still too dear ${i}`, settings: TEST_SETTINGS }, SUBMIT_BUDGET)).toMatchObject({ ok: false, kind: "credits" });
    }
    expect(account.status().state).toBe("paused_credits");
    expect((await stats(sim)).refused).toEqual(refusedBefore);
  });
});

describe("lost sessions", () => {
  test("a kicked session is noticed at submission, logged into again, and the submission goes through", async () => {
    const { pool } = await ready();
    await simPost(sim, "/kick", { email: EMAIL });
    await submitOk(pool, { kind: "t2v", prompt: "after the kick", settings: TEST_SETTINGS });
    const s = await stats(sim);
    expect(s.logins).toBe(2);
    expect(s.kicks).toBe(1);
    expect(s.prompts.filter((p) => p.prompt === "after the kick")).toHaveLength(1);
  });

  test("a kicked session is noticed by a poll, which logs in again and answers", async () => {
    const { pool } = await ready();
    const id = await submitOk(pool, { kind: "t2v", prompt: "before the kick", settings: TEST_SETTINGS });
    await simPost(sim, "/kick", { email: EMAIL });
    const videos = (await pool.poll([id], 15_000)).videos;
    expect(videos.map((v) => v.id)).toEqual([id]);
    expect((await stats(sim)).logins).toBe(2);
  });

  test("within the re-login cooldown a lost session is not logged into again", async () => {
    const { pool, account } = await ready({ tuning: { reloginCooldownMs: 60_000 } });
    await simPost(sim, "/kick", { email: EMAIL });
    const result = await pool.submit({ kind: "t2v", prompt: "during the cooldown", settings: TEST_SETTINGS }, SUBMIT_BUDGET);
    expect(result).toMatchObject({ ok: false, kind: "session" });
    expect(account.status()).toMatchObject({ state: "signed_out" });
    expect(account.status().detail).toContain("cooldown");
    expect((await stats(sim)).logins).toBe(1);
  });
});

describe("human check", () => {
  test("headless: the account waits in needs_human with instructions; once solved, submissions go through", async () => {
    await simPost(sim, "/human-check", { on: true });
    const { logger, lines } = memoryLogger();
    const { pool, account } = await open({ logger });
    await eventually(async () => (account.status().state === "needs_human" ? true : undefined), 15_000, "needs_human");
    expect(account.status().detail).toContain("HEADLESS=false");
    const hint = lines().find((l) => l.msg === "login needs a person");
    expect(String(hint?.action)).toContain("HEADLESS=false");
    // Production's own words: nothing of the simulator's.
    expect(String(hint?.action)).not.toContain("__sim");
    expect(await pool.submit({ kind: "t2v", prompt: "waits", settings: TEST_SETTINGS }, SUBMIT_BUDGET)).toMatchObject({ ok: false, kind: "unavailable" });
    // The automation never ticks the box itself.
    expect((await control(sim, "/stats")).json.humanCheck).toEqual({ on: true, solved: false });
    await simPost(sim, "/solve-human-check", {});
    await eventually(async () => (account.status().state === "ready" ? true : undefined), 15_000, "ready after the check");
    await submitOk(pool, { kind: "t2v", prompt: "after a person helped", settings: TEST_SETTINGS });
  });

  test("headless: a check nobody solves is tried again on a fresh login page", async () => {
    await simPost(sim, "/human-check", { on: true });
    const { logger, lines } = memoryLogger();
    const { account } = await open({ logger, humanLoginTimeoutMs: 500, tuning: { actionTimeoutMs: 2_000 } });
    await eventually(async () => (lines().some((l) => l.msg === "login still needs a person") ? true : undefined), 15_000, "a second round");
    expect(account.status().state).toBe("needs_human");
    await simPost(sim, "/solve-human-check", {});
    await eventually(async () => (account.status().state === "ready" ? true : undefined), 15_000, "ready after the check");
  });
});

describe("reconciling an unknown outcome", () => {
  test("finds the video a submission created, by prompt and time", async () => {
    const { pool } = await ready();
    const submittedAt = Date.now();
    const id = await submitOk(pool, { kind: "t2v", prompt: "reconcile me", settings: TEST_SETTINGS });
    expect(await pool.reconcile("reconcile me", submittedAt, new Set(), 10_000)).toEqual({ kind: "found", pixverseId: id, account: EMAIL });
  });

  test("answers absent for a prompt never submitted, once the list reaches back far enough", async () => {
    const { pool } = await ready();
    await submitOk(pool, { kind: "t2v", prompt: "something else", settings: TEST_SETTINGS });
    expect(await pool.reconcile("never sent", Date.now() - 1000, new Set(), 10_000)).toEqual({ kind: "absent" });
  });

  test("never matches an id already reported for another job, nor a video older than the submission", async () => {
    const { pool } = await ready({ tuning: { reconcileSkewMs: 0 } });
    const id = await submitOk(pool, { kind: "t2v", prompt: "same words", settings: TEST_SETTINGS });
    expect(await pool.reconcile("same words", Date.now() - 60_000, new Set([id]), 10_000)).toEqual({ kind: "absent" });
    expect(await pool.reconcile("same words", Date.now() + 5_000, new Set(), 10_000)).toEqual({ kind: "absent" });
  });
});
