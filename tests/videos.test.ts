import { afterAll, beforeAll, expect, test } from "bun:test";
import { createVideoRepository } from "../src/db/videos.ts";
import { createVideoService } from "../src/videos.ts";
import { freshDatabase } from "./support/db.ts";

let fresh: Awaited<ReturnType<typeof freshDatabase>>;
beforeAll(async () => {
  fresh = await freshDatabase("pglite");
}, 30_000);
afterAll(async () => {
  await fresh.drop();
});

test("announces each accepted video once committed, and not a refused one", async () => {
  const accepted: number[] = [];
  const videos = createVideoService(createVideoRepository(fresh.database), {
    limits: { maxActivePerUser: 1, maxQueueDepth: 10, deadlineMinutes: 30 },
    onAccepted: (id) => accepted.push(id),
  });
  const v = { appBundleId: "com.x", apphudUserId: "u", clientIp: null, kind: "t2v" as const, prompt: "p" };
  const first = await videos.create(v);
  const second = await videos.create(v);
  expect(first).toEqual({ ok: true, id: 1 });
  expect(second).toEqual({ ok: false, limit: "active_videos_per_user" });
  expect(accepted).toEqual([1]);
  expect((await videos.status(1))?.state).toBe("queued");
});

test("passes a video's settings through to the store, and stores none for a video without", async () => {
  const repo = createVideoRepository(fresh.database);
  const videos = createVideoService(repo, { limits: { maxActivePerUser: 10, maxQueueDepth: 10, deadlineMinutes: 30 } });
  const v = { appBundleId: "com.x", apphudUserId: "settings", clientIp: null, kind: "t2v" as const, prompt: "p" };
  const [a, b] = await Promise.all([videos.create({ ...v, settings: { model: "v6", seed: 0 } }), videos.create(v)]);
  expect((await repo.findJob(a.ok ? a.id : -1))?.settings).toEqual({ model: "v6", seed: 0 });
  expect((await repo.findJob(b.ok ? b.id : -1))?.settings).toBeNull();
});
