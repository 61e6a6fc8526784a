// The PostgreSQL store for hono-rate-limiter (src/db/rate-limit-store.ts), on PGlite and (with
// TEST_DATABASE_URL) PostgreSQL: counts per key in windows measured by the database, starts a fresh window
// once one has passed, and, shared by two apps as RATE_LIMIT_STORE=postgres shares it between instances,
// holds a per-user limit across both. Keys are unique per test: the counters are not emptied between tests.
import { describe, expect, test } from "bun:test";
import type { HonoConfigType } from "hono-rate-limiter";
import { createApp } from "../../src/app.ts";
import { PostgresRateLimitStore } from "../../src/db/rate-limit-store.ts";
import { memoryRateLimitStores, postgresRateLimitStores } from "../../src/http/rate-limit.ts";
import { silentLogger } from "../../src/log.ts";
import { jsonPost, statusUrl, TEST_ALLOWED } from "../support/app.ts";
import { describeEachDatabase } from "../support/db.ts";
import { recordingVideos, uniqueOwner } from "../http/helpers.ts";

const store = (db: ConstructorParameters<typeof PostgresRateLimitStore>[0], windowMs: number) => {
  const s = new PostgresRateLimitStore(db);
  s.init({ windowMs } as HonoConfigType);
  return s;
};

let keySeq = 0;
const uniqueKey = () => `test:${process.pid}:${++keySeq}:${crypto.randomUUID()}`;

/** A database whose every statement fails with `error`. */
const failingDb = (error: unknown) =>
  ({
    execute: () => Promise.reject(error),
  }) as unknown as ConstructorParameters<typeof PostgresRateLimitStore>[0];

describe("PostgresRateLimitStore when the database fails", () => {
  test("lets a request through uncounted while the database is unreachable, and reports it once a minute", async () => {
    const reports: unknown[] = [];
    const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" });
    const s = new PostgresRateLimitStore(failingDb(refused), { onUnavailable: (e) => reports.push(e) });
    s.init({ windowMs: 60_000 } as HonoConfigType);
    expect(await s.increment("k")).toEqual({ totalHits: 0, resetTime: undefined });
    expect(await s.increment("k")).toEqual({ totalHits: 0, resetTime: undefined });
    expect(reports).toEqual([refused]);
    s.shutdown();
  });

  test("passes any other failure on (a bug is a 500, not a silently disabled limit)", async () => {
    const s = new PostgresRateLimitStore(failingDb(Object.assign(new Error("syntax error"), { code: "42601" })));
    s.init({ windowMs: 60_000 } as HonoConfigType);
    await expect(s.increment("k")).rejects.toThrow("syntax error");
    s.shutdown();
  });
});

describeEachDatabase("PostgresRateLimitStore", (db) => {
  test("counts hits per key, with the window's end about windowMs ahead, and keeps keys apart", async () => {
    const s = store(db().db, 60_000);
    const [a, b] = [uniqueKey(), uniqueKey()];
    const first = await s.increment(a);
    expect(first.totalHits).toBe(1);
    const ahead = first.resetTime!.getTime() - Date.now();
    expect(ahead).toBeGreaterThan(50_000);
    expect(ahead).toBeLessThanOrEqual(61_000);
    expect((await s.increment(a)).totalHits).toBe(2);
    const third = await s.increment(a);
    expect(third.totalHits).toBe(3);
    // Same window: the end does not move with each hit.
    expect(third.resetTime!.getTime()).toBe(first.resetTime!.getTime());
    expect((await s.increment(b)).totalHits).toBe(1);
    expect((await s.get(a))?.totalHits).toBe(3);
    s.shutdown();
  });

  test("starts a fresh window once the last one has passed", async () => {
    const s = store(db().db, 300);
    const key = uniqueKey();
    await s.increment(key);
    await s.increment(key);
    expect((await s.increment(key)).totalHits).toBe(3);
    await Bun.sleep(450);
    expect(await s.get(key)).toBeUndefined();
    const fresh = await s.increment(key);
    expect(fresh.totalHits).toBe(1);
    expect(fresh.resetTime!.getTime()).toBeGreaterThan(Date.now());
    s.shutdown();
  });

  test("decrement takes one hit back (never below zero) and resetKey forgets the key", async () => {
    const s = store(db().db, 60_000);
    const key = uniqueKey();
    await s.increment(key);
    await s.increment(key);
    await s.decrement(key);
    expect((await s.get(key))?.totalHits).toBe(1);
    await s.decrement(key);
    await s.decrement(key);
    expect((await s.get(key))?.totalHits).toBe(0);
    await s.resetKey(key);
    expect(await s.get(key)).toBeUndefined();
    expect((await s.increment(key)).totalHits).toBe(1);
    s.shutdown();
  });

  test("the increments of one turn are one statement, and a key counted twice in it gets consecutive counts", async () => {
    let statements = 0;
    const counting = new Proxy(db().db, {
      get(target, name, receiver) {
        if (name !== "execute") return Reflect.get(target, name, receiver);
        return (query: Parameters<typeof target.execute>[0]) => (statements++, target.execute(query));
      },
    });
    const s = store(counting, 60_000);
    const [a, b] = [uniqueKey(), uniqueKey()];
    expect((await s.increment(a)).totalHits).toBe(1);
    expect(statements).toBe(1);
    const turn = await Promise.all([s.increment(b), s.increment(a), s.increment(b), s.increment(a)]);
    expect(turn.map((r) => r.totalHits)).toEqual([1, 2, 2, 3]);
    expect(statements).toBe(2);
    expect(turn[0]!.resetTime!.getTime()).toBe(turn[2]!.resetTime!.getTime());
    s.shutdown();
  });

  test("counts concurrent increments of one key exactly (one atomic upsert each)", async () => {
    const s = store(db().db, 60_000);
    const key = uniqueKey();
    const results = await Promise.all(Array.from({ length: 20 }, () => s.increment(key)));
    expect(results.map((r) => r.totalHits).sort((x, y) => x - y)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    s.shutdown();
  });

  test("two app instances sharing the store hold one user's limit across both", async () => {
    const limits = { generationsPerMinute: 3, statusPerMinute: 2 };
    const apps = [0, 1].map(() =>
      createApp({ videos: recordingVideos(), logger: silentLogger, limits, allowed: TEST_ALLOWED, rateLimitStores: postgresRateLimitStores(db().db) }),
    );
    const owner = uniqueOwner();
    const t2v = () => jsonPost("/text2video", { ...owner, prompt: "a fox" });
    const answers = [];
    for (const app of [apps[0]!, apps[1]!, apps[0]!, apps[1]!]) answers.push(await app.request(...t2v()));
    expect(answers.map((r) => r.status)).toEqual([200, 200, 200, 429]);
    const limited = (await answers[3]!.json()) as { error: string; limit: string };
    expect(limited).toMatchObject({ error: "rate_limited", limit: "generations_per_minute" });
    expect(Number(answers[3]!.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    // Another user, on either instance, is not limited.
    expect((await apps[1]!.request(...jsonPost("/text2video", { ...uniqueOwner(), prompt: "a fox" }))).status).toBe(200);
    // Status reads have their own budget, shared the same way (404: the recording service is per app).
    const statuses = [];
    for (const app of [apps[1]!, apps[0]!, apps[1]!]) statuses.push((await app.request(statusUrl(999, owner))).status);
    expect(statuses).toEqual([404, 404, 429]);
  });

  test("with each app's own memory store (the default), the same traffic is counted per instance", async () => {
    const limits = { generationsPerMinute: 3, statusPerMinute: 2 };
    const apps = [0, 1].map(() =>
      createApp({ videos: recordingVideos(), logger: silentLogger, limits, allowed: TEST_ALLOWED, rateLimitStores: memoryRateLimitStores() }),
    );
    const owner = uniqueOwner();
    const statuses = [];
    for (const app of [apps[0]!, apps[1]!, apps[0]!, apps[1]!]) statuses.push((await app.request(...jsonPost("/text2video", { ...owner, prompt: "x" }))).status);
    expect(statuses).toEqual([200, 200, 200, 200]);
  });
});
