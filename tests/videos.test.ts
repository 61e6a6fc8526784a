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

test("status reads that miss the cache together are one statement, each answered its own row or none", async () => {
  const repo = createVideoRepository(fresh.database);
  const statements: number[][] = [];
  const counted = { ...repo, findStatuses: (ids: readonly number[]) => (statements.push([...ids]), repo.findStatuses(ids)) };
  const videos = createVideoService(counted, { limits: { maxActivePerUser: 10, maxQueueDepth: 100, deadlineMinutes: 30 } });
  const v = { appBundleId: "com.x", apphudUserId: "reads", clientIp: null, kind: "t2v" as const, prompt: "p" };
  const [a, b] = await Promise.all([videos.create(v), videos.create({ ...v, apphudUserId: "reads-2" })]);
  const ids = [a.ok ? a.id : -1, b.ok ? b.id : -1];
  const missing = 999_999;
  const rows = await Promise.all([...ids, missing].map((id) => videos.status(id)));
  expect(rows.map((r) => r?.apphudUserId ?? null)).toEqual(["reads", "reads-2", null]);
  expect(statements).toEqual([[...ids, missing]]);
  // Answered from the cache now: no statement.
  await Promise.all(ids.map((id) => videos.status(id)));
  expect(statements).toHaveLength(1);
});

test("a status read that fails fails every read of its statement, and the next reads still run", async () => {
  const repo = createVideoRepository(fresh.database);
  let fail = true;
  const flaky = {
    ...repo,
    findStatuses: (ids: readonly number[]) => (fail ? Promise.reject(new Error("statement failed")) : repo.findStatuses(ids)),
  };
  const videos = createVideoService(flaky, { limits: { maxActivePerUser: 10, maxQueueDepth: 100, deadlineMinutes: 30 } });
  const failed = await Promise.all([1, 2].map((id) => videos.status(id).then(() => "answered", (e: Error) => e.message)));
  expect(failed).toEqual(["statement failed", "statement failed"]);
  fail = false;
  expect((await videos.status(1))?.id).toBe(1);
});
