// The database is what makes a key name one video: concurrent claims straight on the repository (no in-process
// coalescing) make one video; two app instances over two pools on one PostgreSQL racing make one; the purge
// deletes expired keys only, a bounded number at a time.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { openDatabase, type Database } from "../../src/db/client.ts";
import { createVideoRepository, type NewVideo } from "../../src/db/videos.ts";
import { buildApp, jsonPost, OWNER } from "../support/app.ts";
import { backends, describeEachDatabase, freshDatabase } from "../support/db.ts";
import { videoIdOf } from "../http/helpers.ts";

const LIMITS = { maxActivePerUser: 1000, maxQueueDepth: 100_000, deadlineMinutes: 30 };
const video = (user = "user-1", prompt = "p"): NewVideo => ({ appBundleId: "com.x", apphudUserId: user, clientIp: null, kind: "t2v", prompt });

async function videoCount(database: Database): Promise<number> {
  const result = await database.db.execute<{ n: number }>(sql`select count(*)::int as n from videos`);
  return Number(result.rows[0]!.n);
}

describeEachDatabase("idempotency keys in the database", (db) => {
  test("20 concurrent claims of one key on the repository make one video; the rest replay it", async () => {
    const repo = createVideoRepository(db());
    const outcomes = await Promise.all(Array.from({ length: 20 }, () => repo.acceptOnce(video(), { key: "k", hash: "h" }, LIMITS)));
    expect(outcomes.filter((o) => o.kind === "created").length).toBe(1);
    expect(outcomes.filter((o) => o.kind === "replayed").length).toBe(19);
    expect(new Set(outcomes.map((o) => (o.kind === "created" || o.kind === "replayed" ? o.id : 0))).size).toBe(1);
    expect(await videoCount(db())).toBe(1);
  });

  test("concurrent claims of one key with different hashes make one video; the others conflict", async () => {
    const repo = createVideoRepository(db());
    const outcomes = await Promise.all(Array.from({ length: 10 }, (_, i) => repo.acceptOnce(video(), { key: "k", hash: `h${i}` }, LIMITS)));
    expect(outcomes.filter((o) => o.kind === "created").length).toBe(1);
    expect(outcomes.filter((o) => o.kind === "conflict").length).toBe(9);
    expect(await videoCount(db())).toBe(1);
  });

  test("the purge deletes keys older than 24 hours, at most the given number, and keeps the others", async () => {
    const repo = createVideoRepository(db());
    for (let i = 0; i < 5; i++) await repo.acceptOnce(video(), { key: `old-${i}`, hash: "h" }, LIMITS);
    await repo.acceptOnce(video(), { key: "fresh", hash: "h" }, LIMITS);
    await db().db.execute(sql`update idempotency_keys set created_at = now() - interval '25 hours' where key like 'old-%'`);
    expect(await repo.purgeExpiredKeys(3)).toBe(3);
    expect(await repo.purgeExpiredKeys(3)).toBe(2);
    expect(await repo.purgeExpiredKeys(3)).toBe(0);
    const left = await db().db.execute<{ key: string }>(sql`select key from idempotency_keys`);
    expect(left.rows.map((r) => r.key)).toEqual(["fresh"]);
    // The videos stay: only the keys expire.
    expect(await videoCount(db())).toBe(6);
  });

  test("a keyed request purges expired keys on its way", async () => {
    const { app } = buildApp(db());
    const repo = createVideoRepository(db());
    await repo.acceptOnce(video(), { key: "stale", hash: "h" }, LIMITS);
    await db().db.execute(sql`update idempotency_keys set created_at = now() - interval '25 hours'`);
    await videoIdOf(await app.request(...jsonPost("/text2video", { ...OWNER, prompt: "p" }, { "Idempotency-Key": "new" })));
    let keys: string[] = [];
    // The purge runs beside the request, not before its answer.
    for (let i = 0; i < 100; i++) {
      keys = (await db().db.execute<{ key: string }>(sql`select key from idempotency_keys order by key`)).rows.map((r) => r.key);
      if (!keys.includes("stale")) break;
      await Bun.sleep(10);
    }
    expect(keys).toEqual(["new"]);
  });
});

// Two instances need two connection pools on one server: PostgreSQL only.
for (const backend of backends().filter((b) => b === "postgres")) {
  describe(`two instances on one database [${backend}]`, () => {
    let first: Awaited<ReturnType<typeof freshDatabase>>;
    let second: Database;
    beforeAll(async () => {
      first = await freshDatabase(backend);
      second = await openDatabase({ url: first.url!, poolSize: 8 });
    });
    afterAll(async () => {
      await second?.close();
      await first?.drop();
    });

    test("identical keyed requests racing through two apps over two pools make one video", async () => {
      const apps = [buildApp(first.database).app, buildApp(second).app];
      const request = () => jsonPost("/text2video", { ...OWNER, prompt: "a race" }, { "Idempotency-Key": "race-1" });
      const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => apps[i % 2]!.request(...request())));
      const ids = await Promise.all(answers.map(videoIdOf));
      expect(new Set(ids).size).toBe(1);
      expect(await videoCount(first.database)).toBe(1);
    });
  });
}
