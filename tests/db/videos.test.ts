import { expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { createVideoRepository, type NewVideo } from "../../src/db/videos.ts";
import { describeEachDatabase } from "../support/db.ts";

const v = (user: string, prompt = "p"): NewVideo => ({ appBundleId: "com.x", apphudUserId: user, clientIp: "10.0.0.1", kind: "t2v", prompt });

describeEachDatabase("video repository", (db) => {
  test("a batch is stored in order and its ids follow the batch order", async () => {
    const repo = createVideoRepository(db());
    const out = await repo.insertBatch([v("a", "first"), v("b", "second"), v("c", "third")], { maxActivePerUser: 5, maxQueueDepth: 100, deadlineMinutes: 30 });
    const ids = out.map((o) => (o.ok ? o.id : 0));
    expect(ids).toEqual([1, 2, 3]);
    expect((await repo.findJob(2))?.prompt).toBe("second");
    const job = await repo.findJob(3);
    expect(job!.deadlineAt.getTime() - job!.createdAt.getTime()).toBe(30 * 60_000);
  });

  test("ids stop at 2^53 - 1, the last exact JSON number: a request past it fails and stores nothing", async () => {
    const repo = createVideoRepository(db());
    const limits = { maxActivePerUser: 5, maxQueueDepth: 100, deadlineMinutes: 30 };
    await db().db.execute(sql`select setval('videos_id_seq', ${Number.MAX_SAFE_INTEGER - 1})`);
    const [last] = await repo.insertBatch([v("max")], limits);
    expect(last).toEqual({ ok: true, id: Number.MAX_SAFE_INTEGER });
    await expect(repo.insertBatch([v("max"), v("past")], limits)).rejects.toThrow();
    const stored = await db().db.execute<{ n: number }>(sql`select count(*)::int as n from videos where apphud_user_id in ('max', 'past')`);
    expect(stored.rows[0]!.n).toBe(1);
  });

  test("the per-user limit counts unfinished videos within one batch and across batches", async () => {
    const repo = createVideoRepository(db());
    const limits = { maxActivePerUser: 2, maxQueueDepth: 100, deadlineMinutes: 30 };
    const first = await repo.insertBatch([v("a"), v("a"), v("a"), v("b")], limits);
    expect(first.map((o) => (o.ok ? "ok" : o.limit))).toEqual(["ok", "ok", "active_videos_per_user", "ok"]);
    await repo.finish(1, "succeeded", { url: "https://m/x.mp4" });
    const second = await repo.insertBatch([v("a"), v("a")], limits);
    expect(second.map((o) => (o.ok ? "ok" : o.limit))).toEqual(["ok", "active_videos_per_user"]);
  });

  test("the queue-depth counter follows every transition exactly", async () => {
    const repo = createVideoRepository(db());
    const limits = { maxActivePerUser: 100, maxQueueDepth: 3, deadlineMinutes: 30 };
    const out = await repo.insertBatch([v("a"), v("b"), v("c"), v("d")], limits);
    expect(out.map((o) => (o.ok ? "ok" : o.limit))).toEqual(["ok", "ok", "ok", "queue_depth"]);
    expect(await repo.queueDepth()).toBe(3);
    const [claimed] = await repo.claimQueued("me", 1);
    expect(await repo.queueDepth()).toBe(3); // submitting still waits for Pixverse
    await repo.markSubmitted(claimed!.id, "me", "123", "acct");
    expect(await repo.queueDepth()).toBe(2);
    await repo.finish(2, "failed", {});
    expect(await repo.queueDepth()).toBe(1);
    const counted = await db().db.execute<{ n: number }>(sql`select count(*)::int as n from videos where state in ('queued', 'submitting')`);
    expect(counted.rows[0]!.n).toBe(1);
    expect((await repo.insertBatch([v("e"), v("f")], limits)).every((o) => o.ok)).toBe(true);
  });

  test("the queue-depth counter equals the waiting rows after accepted, partly refused and wholly refused batches", async () => {
    const repo = createVideoRepository(db());
    const limits = { maxActivePerUser: 1, maxQueueDepth: 4, deadlineMinutes: 30 };
    const waitingRows = async () =>
      (await db().db.execute<{ n: number }>(sql`select count(*)::int as n from videos where state in ('queued', 'submitting')`)).rows[0]!.n;
    const batches = [
      [v("a"), v("a"), v("b")], // one refused for its user
      [{ ...v("c"), kind: "i2v" as const, image: { bytes: new Uint8Array([1, 2]), type: "png" as const, width: 1, height: 1 } }],
      [v("a"), v("b")], // both refused for their users
      [v("d"), v("e")], // the last place, then the queue is full
    ];
    const decided: string[][] = [];
    for (const batch of batches) {
      decided.push((await repo.insertBatch(batch, limits)).map((o) => (o.ok ? "ok" : o.limit)));
      expect(await repo.queueDepth()).toBe(await waitingRows());
    }
    expect(decided).toEqual([["ok", "active_videos_per_user", "ok"], ["ok"], ["active_videos_per_user", "active_videos_per_user"], ["ok", "queue_depth"]]);
    expect(await repo.queueDepth()).toBe(4);
  });

  test("jobs not yet final are counted by state, and finished ones not at all", async () => {
    const repo = createVideoRepository(db());
    const limits = { maxActivePerUser: 100, maxQueueDepth: 100, deadlineMinutes: 30 };
    await repo.insertBatch([v("a"), v("b"), v("c"), v("d"), v("e")], limits);
    expect(await repo.countByState()).toEqual({ queued: 5 });
    const [first, second] = await repo.claimQueued("me", 2);
    await repo.markSubmitted(first!.id, "me", "px-1", "acct");
    await repo.finish(5, "failed", {});
    expect(await repo.countByState()).toEqual({ queued: 2, submitting: 1, generating: 1 });
    await repo.finish(second!.id, "succeeded", { url: "https://m/x.mp4" });
    expect(await repo.countByState()).toEqual({ queued: 2, generating: 1 });
  });

  test("finishing is idempotent: a finished job keeps its first final state", async () => {
    const repo = createVideoRepository(db());
    await repo.insertBatch([v("a")], { maxActivePerUser: 5, maxQueueDepth: 5, deadlineMinutes: 30 });
    expect(await repo.finish(1, "succeeded", { url: "https://m/1.mp4" })).toBe(true);
    expect(await repo.finish(1, "failed", {})).toBe(false);
    expect((await repo.findStatus(1))?.state).toBe("succeeded");
  });

  test("an image is stored byte for byte and removed with its job's end", async () => {
    const repo = createVideoRepository(db());
    const bytes = Uint8Array.from({ length: 5000 }, (_, i) => (i * 7) % 256);
    await repo.insertBatch([{ ...v("a"), kind: "i2v", image: { bytes, type: "webp", width: 3, height: 4 } }], { maxActivePerUser: 5, maxQueueDepth: 5, deadlineMinutes: 30 });
    const image = await repo.loadImage(1);
    expect(image?.type).toBe("webp");
    expect([image?.width, image?.height]).toEqual([3, 4]);
    expect(Buffer.from(image!.bytes).equals(Buffer.from(bytes))).toBe(true);
    await repo.finish(1, "failed", {});
    expect(await repo.loadImage(1)).toBeNull();
  });

  test("only the lock owner may record a submission", async () => {
    const repo = createVideoRepository(db());
    await repo.insertBatch([v("a")], { maxActivePerUser: 5, maxQueueDepth: 5, deadlineMinutes: 30 });
    await repo.claimQueued("owner-1", 1);
    expect(await repo.markSubmitted(1, "owner-2", "999", "acct")).toBe(false);
    expect(await repo.markSubmitted(1, "owner-1", "999", "acct")).toBe(true);
  });

  test("prompts and ids with quotes, backslashes, dollar quotes and any Unicode are stored exactly", async () => {
    const repo = createVideoRepository(db());
    const tricky = [
      "it's a 'quoted' \\ back\\slash \\' end",
      "E'\\x41' $$ $tag$ ); drop table videos; --",
      "\u{1F600} кот 🐈‍⬛ 中文 \t tab \n newline \r\n crlf",
      "\\",
      "'",
      "\u0001 control \u007f",
    ];
    const batch = tricky.map((p, i) => ({ ...v(`u'\\${i}`, p), appBundleId: `com.o'brien\\${i}` }));
    const out = await repo.insertBatch(batch, { maxActivePerUser: 5, maxQueueDepth: 100, deadlineMinutes: 30 });
    expect(out.every((o) => o.ok)).toBe(true);
    for (let i = 0; i < tricky.length; i++) {
      const id = (out[i] as { id: number }).id;
      expect((await repo.findJob(id))?.prompt).toBe(tricky[i]!);
      const status = await repo.findStatus(id);
      expect([status?.appBundleId, status?.apphudUserId]).toEqual([`com.o'brien\\${i}`, `u'\\${i}`]);
    }
  });
});
