// The HTTP contract where the database decides the answer, on PGlite and (with TEST_DATABASE_URL) on real
// PostgreSQL: what is stored, the status of every final state, the unfinished-video and queue-depth limits,
// group commit under concurrency, and persistence across a restart. Each test starts from an empty database.
import { expect, test } from "bun:test";
import { UPLOAD_MAX_BYTES } from "../../src/domain/limits.ts";
import type { FinalState } from "../../src/domain/status.ts";
import { buildApp, jsonPost, OWNER, statusUrl } from "../support/app.ts";
import { describeEachDatabase } from "../support/db.ts";
import { png } from "../support/images.ts";
import { expectError, multipartPost, videoIdOf } from "./helpers.ts";

type Owner = { app_bundle_id: string; apphud_user_id: string };
type App = ReturnType<typeof buildApp>["app"];

const OTHER: Owner = { app_bundle_id: OWNER.app_bundle_id, apphud_user_id: "user-2" };

const create = async (app: App, owner: Owner = OWNER, prompt = "a fox") =>
  videoIdOf(await app.request(...jsonPost("/text2video", { ...owner, prompt })));

async function statusText(app: App, id: number, owner: Owner = OWNER): Promise<string> {
  const res = await app.request(statusUrl(id, owner));
  const text = await res.text();
  expect(res.status, text).toBe(200);
  return text;
}

async function expectBusy(res: Response, limit: string): Promise<void> {
  const body = await expectError(res, 429);
  expect(body.limit, JSON.stringify(body)).toBe(limit);
  expect(res.headers.get("retry-after")).toMatch(/^[1-9][0-9]*$/);
}

const FINAL_ANSWERS: [FinalState, { url?: string }, string][] = [
  ["succeeded", { url: "https://media.example.com/video/42.mp4?sig=a%2Fb&x=1" }, '{"url":"https://media.example.com/video/42.mp4?sig=a%2Fb&x=1"}'],
  ["deleted", {}, '{"status":"Deleted"}'],
  ["moderated", {}, '{"status":"Contents moderation failed"}'],
  ["failed", {}, '{"status":"Generation failed"}'],
];

describeEachDatabase("HTTP contract on the database", (db) => {
  test("stores a text2video request as a queued t2v row of its owner", async () => {
    const { app, repo } = buildApp(db());
    const prompt = "Лиса 🦊 бежит по снегу";
    const id = await create(app, OWNER, prompt);
    expect(await repo.findJob(id)).toMatchObject({ id, kind: "t2v", prompt, state: "queued" });
    expect(await repo.findStatus(id)).toMatchObject({ appBundleId: OWNER.app_bundle_id, apphudUserId: OWNER.apphud_user_id });
  });

  test("stores an image2video request with the image's bytes in video_images", async () => {
    const { app, repo } = buildApp(db());
    const bytes = png(33, 21);
    const res = await app.request(...multipartPost("/image2video", { ...OWNER, prompt: "cat" }, { name: "photo.jpg", bytes, type: "image/jpeg" }));
    const id = await videoIdOf(res);
    expect(await repo.findJob(id)).toMatchObject({ kind: "i2v", prompt: "cat", state: "queued" });
    const image = await repo.loadImage(id);
    expect(image).toMatchObject({ type: "png", width: 33, height: 21 });
    expect(Buffer.from(image!.bytes).equals(Buffer.from(bytes))).toBe(true);
  });

  test("stores every byte of a PNG of 20 MiB minus one byte", async () => {
    const { app, repo } = buildApp(db());
    const bytes = png(10, 10, UPLOAD_MAX_BYTES - 1);
    const id = await videoIdOf(await app.request(...multipartPost("/image2video", { ...OWNER, prompt: "cat" }, { name: "a.png", bytes })));
    const stored = await repo.loadImage(id);
    expect(stored?.bytes.byteLength).toBe(UPLOAD_MAX_BYTES - 1);
    expect(Buffer.from(stored!.bytes).equals(Buffer.from(bytes))).toBe(true);
  }, 30_000);

  test("answers Generating for a fresh video, and for one submitted to Pixverse", async () => {
    const { app, repo } = buildApp(db());
    const id = await create(app);
    expect(await statusText(app, id)).toBe('{"status":"Generating"}');
    const [claimed] = await repo.claimQueued("test-dispatcher", 1);
    expect(claimed?.id).toBe(id);
    expect(await statusText(app, id)).toBe('{"status":"Generating"}');
  });

  for (const [state, details, answer] of FINAL_ANSWERS) {
    test(`answers a ${state} video with ${answer} at once after the dispatcher's change`, async () => {
      const { app, repo, videos } = buildApp(db());
      const id = await create(app);
      expect(await statusText(app, id)).toBe('{"status":"Generating"}'); // now cached
      expect(await repo.finish(id, state, details)).toBe(true);
      videos.changed(id);
      expect(await statusText(app, id)).toBe(answer);
      expect(await statusText(app, id)).toBe(answer); // and from the cache
    });
  }

  test("answers another owner's finished video with the same 404 as a missing one", async () => {
    const { app, repo, videos } = buildApp(db());
    const id = await create(app);
    await repo.finish(id, "succeeded", { url: "https://media.example.com/v.mp4" });
    videos.changed(id);
    const theirs = await app.request(statusUrl(id, OTHER));
    const missing = await app.request(statusUrl(id + 1, OTHER));
    const [a, b] = [await theirs.text(), await missing.text()];
    expect(theirs.status, a).toBe(404);
    expect(a).toBe(b);
    expect(a).not.toContain("media.example.com");
  });

  test("answers 404, not 500, for an id beyond bigint", async () => {
    const { app } = buildApp(db());
    await create(app);
    await expectError(await app.request(statusUrl("99999999999999999999")), 404);
    await expectError(await app.request(statusUrl("9223372036854775807")), 404);
  });

  test("refuses a user's third unfinished video with 429 active_videos_per_user, not another user's, and again after one finishes", async () => {
    const { app, repo, videos } = buildApp(db(), { maxActivePerUser: 2 });
    const first = await create(app);
    const imageRes = await app.request(...multipartPost("/image2video", { ...OWNER, prompt: "cat" }, { name: "a.png", bytes: png(8, 8) }));
    await videoIdOf(imageRes);
    await expectBusy(await app.request(...jsonPost("/text2video", { ...OWNER, prompt: "third" })), "active_videos_per_user");
    await expectBusy(
      await app.request(...multipartPost("/image2video", { ...OWNER, prompt: "cat" }, { name: "a.png", bytes: png(8, 8) })),
      "active_videos_per_user",
    );
    await create(app, OTHER);
    await create(app, { ...OWNER, app_bundle_id: "com.example.other" });
    await repo.finish(first, "failed", { errorCode: "test" });
    videos.changed(first);
    await create(app);
    await expectBusy(await app.request(...jsonPost("/text2video", { ...OWNER, prompt: "again" })), "active_videos_per_user");
  });

  test("refuses any request past the queue depth with 429 queue_depth, and accepts again when the queue drains", async () => {
    const { app, repo, videos } = buildApp(db(), { maxQueueDepth: 2 });
    const first = await create(app, OWNER);
    await create(app, OTHER);
    await expectBusy(await app.request(...jsonPost("/text2video", { ...OWNER, apphud_user_id: "user-3", prompt: "x" })), "queue_depth");
    await repo.finish(first, "succeeded", { url: "https://media.example.com/v.mp4" });
    videos.changed(first);
    await create(app, { ...OWNER, apphud_user_id: "user-3" });
  });

  test("gives 50 parallel text2video requests distinct ids, each stored with its own prompt and owner", async () => {
    const { app, repo } = buildApp(db());
    const requests = Array.from({ length: 50 }, (_, i) => ({
      owner: { app_bundle_id: OWNER.app_bundle_id, apphud_user_id: `user-${i % 7}` },
      prompt: `prompt number ${i}`,
    }));
    const ids = await Promise.all(
      requests.map(async (r) => videoIdOf(await app.request(...jsonPost("/text2video", { ...r.owner, prompt: r.prompt })))),
    );
    expect(new Set(ids).size).toBe(50);
    for (const [i, id] of ids.entries()) {
      expect((await repo.findJob(id))?.prompt).toBe(requests[i]!.prompt);
      expect((await repo.findStatus(id))?.apphudUserId).toBe(requests[i]!.owner.apphud_user_id);
    }
    expect(await repo.queueDepth()).toBe(50);
  });

  test("accepts exactly the per-user limit out of 30 parallel requests of one user", async () => {
    const { app, repo } = buildApp(db(), { maxActivePerUser: 10 });
    const responses = await Promise.all(
      Array.from({ length: 30 }, (_, i) => app.request(...jsonPost("/text2video", { ...OWNER, prompt: `p${i}` }))),
    );
    const statuses = responses.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 200)).toHaveLength(10);
    expect(statuses.filter((s) => s === 429)).toHaveLength(20);
    expect(await repo.queueDepth()).toBe(10);
  });

  test("answers a video's status after a restart on the same database, and keeps numbering after it", async () => {
    const before = buildApp(db());
    const id = await create(before.app);
    await before.repo.finish(id, "moderated", {});
    const after = buildApp(db());
    expect(await statusText(after.app, id)).toBe('{"status":"Contents moderation failed"}');
    expect(await create(after.app)).toBeGreaterThan(id);
  });
});
