// Idempotency-Key on POST /text2video and POST /image2video, through the HTTP app over a real database (PGlite,
// and PostgreSQL with TEST_DATABASE_URL): a burst of identical keyed requests makes one video and all answer its
// id; other parameters under the same key are a 409; keys are per end user; a key is free again after 24 hours
// and after a refused (429) request; no key, no change.
import { expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import type { Database } from "../../src/db/client.ts";
import { buildApp, GENEROUS, OWNER, TEST_ALLOWED, jsonPost } from "../support/app.ts";
import { createApp } from "../../src/app.ts";
import { createVideoRepository } from "../../src/db/videos.ts";
import { createVideoService } from "../../src/videos.ts";
import { silentLogger } from "../../src/log.ts";
import { memoryRateLimitStores, postgresRateLimitStores } from "../../src/http/rate-limit.ts";
import { describeEachDatabase } from "../support/db.ts";
import { png } from "../support/images.ts";
import { expectError, multipartPost, videoIdOf } from "../http/helpers.ts";

const KEY = "order-8f14e45f-retry safe";

const t2v = (body: Record<string, unknown>, key: string | null = KEY, owner: { app_bundle_id: string; apphud_user_id: string } = OWNER) =>
  jsonPost("/text2video", { ...owner, prompt: "a red fox running through snow", ...body }, key === null ? {} : { "Idempotency-Key": key });

function i2v(image: Uint8Array, fields: Record<string, string> = {}, key: string = KEY): [string, RequestInit] {
  const [path, init] = multipartPost("/image2video", { ...OWNER, prompt: "the cat waves", ...fields }, { name: "cat.png", bytes: image, type: "image/png" });
  return [path, { ...init, headers: { "Idempotency-Key": key } }];
}

async function count(database: Database, table: "videos" | "idempotency_keys" | "video_images"): Promise<number> {
  const result = await database.db.execute<{ n: number }>(sql.raw(`select count(*)::int as n from ${table}`));
  return Number(result.rows[0]!.n);
}

/** `n` copies of the same request at once; their answers. */
async function burst(app: ReturnType<typeof buildApp>["app"], request: () => [string, RequestInit], n = 20): Promise<Response[]> {
  return Promise.all(Array.from({ length: n }, () => app.request(...request())));
}

describeEachDatabase("Idempotency-Key", (db) => {
  test("20 identical keyed text2video requests at once make one video, and all answer its id", async () => {
    const { app } = buildApp(db());
    const answers = await burst(app, () => t2v({ quality: "540p", seed: 7 }));
    const ids = await Promise.all(answers.map(videoIdOf));
    expect(new Set(ids).size).toBe(1);
    expect(await count(db(), "videos")).toBe(1);
    expect(await count(db(), "idempotency_keys")).toBe(1);
    // Exactly one answer made it; the others say they repeat it.
    expect(answers.filter((r) => r.headers.get("idempotent-replayed") === "true").length).toBe(19);
  });

  test("20 identical keyed image2video requests at once make one video with one stored image", async () => {
    const { app, repo } = buildApp(db());
    const image = png(32, 24);
    const ids = await Promise.all((await burst(app, () => i2v(image))).map(videoIdOf));
    expect(new Set(ids).size).toBe(1);
    expect(await count(db(), "videos")).toBe(1);
    expect(await count(db(), "video_images")).toBe(1);
    expect(Buffer.from((await repo.loadImage(ids[0]!))!.bytes).equals(Buffer.from(image))).toBe(true);
  });

  test("a repeat later answers the same id, with the fields in another order and numbers as strings", async () => {
    const { app } = buildApp(db());
    const first = await videoIdOf(await app.request(...t2v({ duration: 5, seed: 42, negative_prompt: "blur" })));
    const [path, init] = jsonPost("/text2video", { negative_prompt: "blur", seed: "42", duration: "5", prompt: "a red fox running through snow", ...OWNER }, { "Idempotency-Key": KEY });
    const again = await app.request(path, init);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(await videoIdOf(again)).toBe(first);
    expect(await count(db(), "videos")).toBe(1);
  });

  test("the same key with another prompt, another setting or another route is a 409 and stores nothing", async () => {
    const { app } = buildApp(db());
    await videoIdOf(await app.request(...t2v({ quality: "540p" })));
    const changed = [
      t2v({ quality: "540p", prompt: "a blue fox" }),
      t2v({ quality: "720p" }),
      t2v({ quality: "540p", seed: 1 }),
      t2v({}),
      i2v(png(8, 8), { prompt: "a red fox running through snow", quality: "540p" }),
    ];
    for (const request of changed) {
      const body = await expectError(await app.request(...request), 409);
      expect(body).toEqual({
        error: "idempotency_conflict",
        message: "this Idempotency-Key was used in the last 24 hours with other parameters; send a new key for a new request",
      });
    }
    expect(await count(db(), "videos")).toBe(1);
  });

  test("the same key on image2video with another image is a 409", async () => {
    const { app } = buildApp(db());
    await videoIdOf(await app.request(...i2v(png(16, 16))));
    await expectError(await app.request(...i2v(png(16, 17))), 409);
    await expectError(await app.request(...i2v(png(16, 16), { prompt: "the dog waves" })), 409);
    expect(await videoIdOf(await app.request(...i2v(png(16, 16))))).toBe(1);
    expect(await count(db(), "videos")).toBe(1);
  });

  test("the same key from another end user or another app makes a separate video", async () => {
    const { app } = buildApp(db());
    const mine = await videoIdOf(await app.request(...t2v({})));
    const otherUser = await videoIdOf(await app.request(...t2v({}, KEY, { ...OWNER, apphud_user_id: "user-2" })));
    const otherApp = await videoIdOf(await app.request(...t2v({}, KEY, { ...OWNER, app_bundle_id: "com.example.other" })));
    expect(new Set([mine, otherUser, otherApp]).size).toBe(3);
    expect(await count(db(), "videos")).toBe(3);
  });

  test("after 24 hours the key makes a new video, even with other parameters", async () => {
    const { app } = buildApp(db());
    const first = await videoIdOf(await app.request(...t2v({})));
    await db().db.execute(sql`update idempotency_keys set created_at = now() - interval '24 hours 1 second'`);
    const second = await app.request(...t2v({ prompt: "a new day" }));
    expect(second.headers.get("idempotent-replayed")).toBeNull();
    const secondId = await videoIdOf(second);
    expect(secondId).not.toBe(first);
    // The key now names the new video, for another 24 hours.
    expect(await videoIdOf(await app.request(...t2v({ prompt: "a new day" })))).toBe(secondId);
    await expectError(await app.request(...t2v({})), 409);
    expect(await count(db(), "videos")).toBe(2);
  });

  test("retries answered with the first request's id do not count against generations_per_minute", async () => {
    // The default limit: 10 generations a minute per user. Twenty retries of one request make one generation.
    const { app } = buildApp(db(), { generationsPerMinute: 10 });
    const ids = await Promise.all((await burst(app, () => t2v({}))).map(videoIdOf));
    expect(new Set(ids).size).toBe(1);
    for (let i = 0; i < 5; i++) expect(await videoIdOf(await app.request(...t2v({})))).toBe(ids[0]!);
    // The other nine generations of the minute are still there.
    for (let i = 0; i < 9; i++) await videoIdOf(await app.request(...t2v({ prompt: `another ${i}` }, `key-${i}`)));
    expect(await count(db(), "videos")).toBe(10);
  });

  test("with the limits in the database (RATE_LIMIT_STORE=postgres), keyed requests at once are counted exactly, none a 503", async () => {
    const videos = createVideoService(createVideoRepository(db()), {
      limits: { maxActivePerUser: GENEROUS.maxActivePerUser, maxQueueDepth: GENEROUS.maxQueueDepth, deadlineMinutes: GENEROUS.deadlineMinutes },
    });
    const app = createApp({
      videos,
      logger: silentLogger,
      limits: { generationsPerMinute: 3, statusPerMinute: GENEROUS.statusPerMinute },
      allowed: TEST_ALLOWED,
      rateLimitStores: postgresRateLimitStores(db().db),
    });
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => app.request(...t2v({ prompt: `video ${i}` }, `key-${i}`))));
    const statuses = answers.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 200)).toHaveLength(3);
    expect(statuses.filter((s) => s === 429)).toHaveLength(17);
    expect(await count(db(), "videos")).toBe(3);
    expect(await count(db(), "idempotency_keys")).toBe(3);
  });

  test("a keyed request over generations_per_minute is a 429 that leaves its key free", async () => {
    const { app } = buildApp(db(), { generationsPerMinute: 2 });
    for (let i = 0; i < 2; i++) await videoIdOf(await app.request(...t2v({ prompt: `video ${i}` }, null)));
    const refused = await expectError(await app.request(...t2v({})), 429);
    expect(refused.limit).toBe("generations_per_minute");
    expect(await count(db(), "idempotency_keys")).toBe(0);
    expect(await count(db(), "videos")).toBe(2);
  });

  test("keyed retries refused by active_videos_per_user are not counted against generations_per_minute", async () => {
    const stores = memoryRateLimitStores();
    const tight = buildApp(db(), { maxActivePerUser: 1, generationsPerMinute: 2 }, undefined, null, stores);
    await videoIdOf(await tight.app.request(...t2v({}, null)));
    for (let i = 0; i < 3; i++) expect((await expectError(await tight.app.request(...t2v({})), 429)).limit).toBe("active_videos_per_user");
    // One generation of two used: once the user has room, the key makes the video (5 counted would refuse it).
    const roomy = buildApp(db(), { maxActivePerUser: 5, generationsPerMinute: 2 }, undefined, null, stores);
    expect(await videoIdOf(await roomy.app.request(...t2v({})))).toBe(2);
  });

  test("keyed retries refused by generations_per_minute itself leave the count where it was", async () => {
    const stores = memoryRateLimitStores();
    const two = buildApp(db(), { generationsPerMinute: 2 }, undefined, null, stores);
    for (let i = 0; i < 2; i++) await videoIdOf(await two.app.request(...t2v({ prompt: `video ${i}` }, null)));
    for (let i = 0; i < 3; i++) expect((await expectError(await two.app.request(...t2v({})), 429)).limit).toBe("generations_per_minute");
    // With a limit of three over the same counters, the third generation is still free.
    const three = buildApp(db(), { generationsPerMinute: 3 }, undefined, null, stores);
    expect(await videoIdOf(await three.app.request(...t2v({})))).toBe(3);
  });

  test("a keyed request refused by a limit (429) leaves the key free for the retry", async () => {
    const tight = buildApp(db(), { maxActivePerUser: 1 });
    await videoIdOf(await tight.app.request(...t2v({}, null)));
    const refused = await expectError(await tight.app.request(...t2v({})), 429);
    expect(refused.limit).toBe("active_videos_per_user");
    expect(await count(db(), "idempotency_keys")).toBe(0);
    // Once the user has room, the same key makes the video.
    const roomy = buildApp(db(), { maxActivePerUser: 5 });
    const made = await roomy.app.request(...t2v({}));
    expect(made.headers.get("idempotent-replayed")).toBeNull();
    expect(await videoIdOf(made)).toBe(2);
    expect(await count(db(), "videos")).toBe(2);
  });

  test("without the header nothing changes: identical requests make a video each", async () => {
    const { app } = buildApp(db());
    const answers = await burst(app, () => t2v({}, null), 5);
    const ids = await Promise.all(answers.map(videoIdOf));
    expect(new Set(ids).size).toBe(5);
    expect(answers.every((r) => r.headers.get("idempotent-replayed") === null)).toBe(true);
    expect(await count(db(), "idempotency_keys")).toBe(0);
  });

  test("the keyed video is a queued job like any other, with the caller's settings", async () => {
    const { app, repo } = buildApp(db());
    const id = await videoIdOf(await app.request(...t2v({ quality: "720p" })));
    expect(await repo.findJob(id)).toMatchObject({ kind: "t2v", state: "queued", prompt: "a red fox running through snow", settings: { quality: "720p" } });
  });
});
