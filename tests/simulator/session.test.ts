// Signing in and sessions over the JSON API: the ErrCodes of docs/PIXVERSE.md "Signing in".
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { startSimulator, type Simulator } from "../../src/simulator/server.ts";
import { addAccount, api, control, login, manualClock, reset, submitT2v } from "./helpers.ts";

const clock = manualClock();
let sim: Simulator;

beforeAll(async () => {
  sim = await startSimulator({ port: 0, generationMs: 1000, now: clock.now });
});
afterAll(async () => {
  await sim.stop();
});
beforeEach(async () => {
  await reset(sim);
  await addAccount(sim, { email: "ann@example.com", password: "secret-1" });
});

describe("login", () => {
  test("answers a JWT-shaped token with the account id and username", async () => {
    const res = await api(sim, "/login", { Username: "ann@example.com", Password: "secret-1" });
    expect(res.ErrCode, res.ErrMsg).toBe(0);
    expect(res.ErrMsg).toBe("Success");
    const result = res.Resp.Result;
    expect(result.Token.split(".")).toHaveLength(3);
    expect(result.Username).toBe("ann");
    expect(Number.isSafeInteger(result.AccountId)).toBe(true);
    const payload = JSON.parse(Buffer.from(result.Token.split(".")[1], "base64url").toString());
    expect(payload.AccountId).toBe(result.AccountId);
  });

  test("accepts the username instead of the e-mail, in any case", async () => {
    const res = await api(sim, "/login", { Username: "ANN", Password: "secret-1" });
    expect(res.ErrCode, res.ErrMsg).toBe(0);
  });

  test("answers 500200 for an unknown user", async () => {
    const res = await api(sim, "/login", { Username: "nobody@example.com", Password: "x" });
    expect(res.ErrCode).toBe(500200);
  });

  test("answers 500201 for a wrong password", async () => {
    const res = await api(sim, "/login", { Username: "ann@example.com", Password: "wrong" });
    expect(res.ErrCode).toBe(500201);
    expect(res.ErrMsg.length).toBeGreaterThan(0);
  });

  test("tells an OAuth-only account to sign in via OAuth", async () => {
    await addAccount(sim, { email: "oauth@example.com", password: "irrelevant", oauthOnly: true });
    const res = await api(sim, "/login", { Username: "oauth@example.com", Password: "irrelevant" });
    expect(res.ErrCode).not.toBe(0);
    expect(res.ErrMsg).toContain("sign in via OAuth");
  });

  test("answers 500213 after five failed attempts, even with the right password", async () => {
    for (let i = 0; i < 5; i++) {
      expect((await api(sim, "/login", { Username: "ann@example.com", Password: "wrong" })).ErrCode).toBe(500201);
    }
    const res = await api(sim, "/login", { Username: "ann@example.com", Password: "secret-1" });
    expect(res.ErrCode).toBe(500213);
  });

  test("lets the account in again ten minutes after the lock", async () => {
    for (let i = 0; i < 5; i++) await api(sim, "/login", { Username: "ann@example.com", Password: "wrong" });
    clock.advance(10 * 60 * 1000 + 1);
    expect((await api(sim, "/login", { Username: "ann@example.com", Password: "secret-1" })).ErrCode).toBe(0);
  });

  test("answers 400 for a body that is not JSON", async () => {
    const res = await fetch(`${sim.url}/creative_platform/login`, { method: "POST", body: "{nope" });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { ErrCode: number }).ErrCode).toBe(400);
  });
});

describe("token", () => {
  test("answers 10003 without a Token header", async () => {
    expect((await api(sim, "/user/credits")).ErrCode).toBe(10003);
  });

  test("answers 10001 for an unknown token", async () => {
    expect((await api(sim, "/user/credits", undefined, "not-a-token")).ErrCode).toBe(10001);
  });

  test("answers 10005 to the older session after a second login, and serves the newer one", async () => {
    const first = await login(sim, "ann@example.com", "secret-1");
    const second = await login(sim, "ann@example.com", "secret-1");
    expect(second).not.toBe(first);
    expect((await api(sim, "/user/credits", undefined, first)).ErrCode).toBe(10005);
    expect((await submitT2v(sim, first, "a cat")).ErrCode).toBe(10005);
    expect((await api(sim, "/user/credits", undefined, second)).ErrCode).toBe(0);
  });

  test("answers 10005 after a kick and counts it", async () => {
    const token = await login(sim, "ann@example.com", "secret-1");
    const kick = await control(sim, "/kick", { email: "ann@example.com" });
    expect(kick.status).toBe(200);
    expect((await api(sim, "/toc/members/plan_details", {}, token)).ErrCode).toBe(10005);
    expect((await control(sim, "/stats")).json.kicks).toBe(1);
  });

  test("answers 10002 once the token's 30 days are over", async () => {
    const token = await login(sim, "ann@example.com", "secret-1");
    clock.advance(31 * 24 * 60 * 60 * 1000);
    expect((await api(sim, "/user/credits", undefined, token)).ErrCode).toBe(10002);
  });

  test("answers 10001 after a reset forgot the session", async () => {
    const token = await login(sim, "ann@example.com", "secret-1");
    await reset(sim);
    expect((await api(sim, "/user/credits", undefined, token)).ErrCode).toBe(10001);
  });
});

describe("account", () => {
  test("reports the plan's gen_simultaneously as the account's concurrency", async () => {
    await addAccount(sim, { email: "pro@example.com", password: "p", concurrency: 5 });
    const token = await login(sim, "pro@example.com", "p");
    const res = await api(sim, "/toc/members/plan_details", {}, token);
    expect(res.ErrCode).toBe(0);
    expect(res.Resp.gen_simultaneously).toBe(5);
  });

  test("reports credits as daily, monthly and package, and charges each generation", async () => {
    await addAccount(sim, { email: "few@example.com", password: "p", credits: 100 });
    const token = await login(sim, "few@example.com", "p");
    const before = (await api(sim, "/user/credits", undefined, token)).Resp;
    expect(before.credit_daily + before.credit_monthly + before.credit_package).toBe(100);
    expect((await submitT2v(sim, token, "a cat")).ErrCode).toBe(0);
    const after = (await api(sim, "/user/credits", undefined, token)).Resp;
    // 360p costs 4 credits a second; the body asks for 5 seconds.
    expect(after.credit_daily + after.credit_monthly + after.credit_package).toBe(80);
  });
});

describe("human check", () => {
  test("refuses an API login until the check is solved, then stays solved", async () => {
    expect((await control(sim, "/human-check", { on: true })).json).toEqual({ on: true, solved: false });
    const refused = await api(sim, "/login", { Username: "ann@example.com", Password: "secret-1" });
    expect(refused.ErrCode).not.toBe(0);
    expect((await control(sim, "/solve-human-check", {})).json).toEqual({ on: true, solved: true });
    expect((await api(sim, "/login", { Username: "ann@example.com", Password: "secret-1" })).ErrCode).toBe(0);
    expect((await api(sim, "/login", { Username: "ann@example.com", Password: "secret-1" })).ErrCode).toBe(0);
  });
});

describe("reset", () => {
  test("forgets accounts, sessions and counters", async () => {
    await login(sim, "ann@example.com", "secret-1");
    await reset(sim);
    const stats = (await control(sim, "/stats")).json;
    expect(stats.logins).toBe(0);
    expect((await api(sim, "/login", { Username: "ann@example.com", Password: "secret-1" })).ErrCode).toBe(500200);
  });
});
