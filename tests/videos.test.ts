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
