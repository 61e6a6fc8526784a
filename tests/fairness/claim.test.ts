// Fair turns: queued jobs are claimed in rounds across end users (app_bundle_id + apphud_user_id), oldest first
// within each, with a per-app weight; claims stay exactly-once with several claimers; and only unfinished
// videos count against a user's active-video limit.
import { expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { createVideoRepository, type NewVideo } from "../../src/db/videos.ts";
import type { Database } from "../../src/db/client.ts";
import { describeEachDatabase } from "../support/db.ts";

const LIMITS = { maxActivePerUser: 1000, maxQueueDepth: 10_000, deadlineMinutes: 30 };

const job = (user: string, prompt: string, app = "com.example"): NewVideo => ({ appBundleId: app, apphudUserId: user, clientIp: null, kind: "t2v", prompt });

async function enqueue(database: Database, videos: NewVideo[]): Promise<void> {
  const out = await createVideoRepository(database).insertBatch(videos, LIMITS);
  expect(out.every((o) => o.ok)).toBe(true);
}

/** Claim `per` at a time until the queue is empty; the prompts in the order they were claimed. */
async function drain(database: Database, per: number, weights?: Record<string, number>): Promise<string[][]> {
  const repo = createVideoRepository(database);
  const rounds: string[][] = [];
  for (;;) {
    const claimed = await repo.claimQueued("me", per, "acct", weights);
    if (claimed.length === 0) return rounds;
    rounds.push(claimed.map((j) => j.prompt));
  }
}

describeEachDatabase("fair turns", (db) => {
  test("one heavy user's ten queued videos do not hold the light users' one each behind them", async () => {
    await enqueue(db(), Array.from({ length: 10 }, (_, i) => job("heavy", `heavy-${i + 1}`)));
    await enqueue(db(), [job("light-a", "light-a"), job("light-b", "light-b"), job("light-c", "light-c")]);
    const repo = createVideoRepository(db());
    // The first four slots: the heavy user's oldest and every light user's only video.
    const first = await repo.claimQueued("me", 4, "acct");
    expect(first.map((j) => j.prompt).sort()).toEqual(["heavy-1", "light-a", "light-b", "light-c"]);
    // Then the heavy user's, oldest first.
    expect((await drain(db(), 3)).flat()).toEqual(Array.from({ length: 9 }, (_, i) => `heavy-${i + 2}`));
  });

  test("the order is in rounds across users, oldest first within a round", async () => {
    await enqueue(db(), [job("a", "a1"), job("a", "a2"), job("a", "a3"), job("b", "b1"), job("c", "c1"), job("b", "b2")]);
    // One at a time shows the whole order: round 1 (a1, b1, c1), round 2 (a2, b2), round 3 (a3).
    expect((await drain(db(), 1)).flat()).toEqual(["a1", "b1", "c1", "a2", "b2", "a3"]);
  });

  test("a user is one app_bundle_id and apphud_user_id together: the same user id in two apps takes two turns", async () => {
    await enqueue(db(), [job("u", "x1", "com.x"), job("u", "x2", "com.x"), job("u", "y1", "com.y")]);
    expect((await drain(db(), 1)).flat()).toEqual(["x1", "y1", "x2"]);
  });

  test("an app's weight lets each of its users take that many jobs per round", async () => {
    await enqueue(db(), [
      ...Array.from({ length: 5 }, (_, i) => job("p", `paid-${i + 1}`, "com.paid")),
      job("f1", "free1-1", "com.free"),
      job("f1", "free1-2", "com.free"),
      job("f2", "free2-1", "com.free"),
      job("f2", "free2-2", "com.free"),
    ]);
    // Round 1: paid 1–3 and each free user's first; round 2: paid 4–5 and each free user's second.
    expect((await drain(db(), 1, { "com.paid": 3 })).flat()).toEqual([
      "paid-1", "paid-2", "paid-3", "free1-1", "free2-1",
      "paid-4", "paid-5", "free1-2", "free2-2",
    ]);
  });

  test("without weights every user takes one job per round", async () => {
    await enqueue(db(), [job("p", "paid-1", "com.paid"), job("p", "paid-2", "com.paid"), job("f", "free-1", "com.free")]);
    expect((await drain(db(), 1, {})).flat()).toEqual(["paid-1", "free-1", "paid-2"]);
  });

  test("the turns a user has had in this backlog count: videos at Pixverse and successes since it began", async () => {
    const repo = createVideoRepository(db());
    const claimOne = async () => (await repo.claimQueued("me", 1, "acct")).map((j) => j.prompt);
    await enqueue(db(), [job("heavy", "h1"), job("heavy", "h2"), job("heavy", "h3"), job("heavy", "h4")]);
    for (const j of await repo.claimQueued("me", 2, "acct")) await repo.markSubmitted(j.id, "me", `px-${j.id}`, "acct");
    await enqueue(db(), [job("light", "l1")]);
    // h3 is older, but its user has two generating: the light user's first goes first.
    expect(await claimOne()).toEqual(["l1"]);
    // h1 and h2 succeed: nothing of the heavy user's is in flight, yet it has had two turns since h3 waits.
    await repo.finish(1, "succeeded", { url: "https://m/1.mp4" });
    await repo.finish(2, "succeeded", { url: "https://m/2.mp4" });
    await enqueue(db(), [job("other", "o1")]);
    expect(await claimOne()).toEqual(["o1"]);
    await enqueue(db(), [job("light", "l2")]);
    expect(await claimOne()).toEqual(["l2"]);
    expect(await claimOne()).toEqual(["h3"]);
    expect(await claimOne()).toEqual(["h4"]);
    // Once the backlog is gone, a new one starts afresh: the heavy user's earlier turns no longer count.
    await db().db.execute(sql`update videos set state = 'succeeded', finished_at = now(), result_url = 'https://m/x.mp4' where state <> 'succeeded'`);
    await enqueue(db(), [job("heavy", "h5"), job("newcomer", "n1")]);
    expect(await claimOne()).toEqual(["h5"]);
  });

  test("within a user the oldest job goes first, also one that waited out a backoff, and none before it is due", async () => {
    await enqueue(db(), [job("a", "a1"), job("a", "a2"), job("b", "b1")]);
    const repo = createVideoRepository(db());
    const [first] = await repo.claimQueued("me", 1, "acct");
    expect(first!.prompt).toBe("a1");
    // Refused by Pixverse for a while: back in the queue, not due yet.
    await repo.requeue(first!.id, "me", { delayMs: 60_000, refundAttempt: true });
    // While a1 waits, a2 is a's oldest due job: it comes before b1 (same round, older).
    const [next] = await repo.claimQueued("me", 1, "acct");
    expect(next!.prompt).toBe("a2");
    const [then] = await repo.claimQueued("me", 1, "acct");
    expect(then!.prompt).toBe("b1");
    expect(await repo.claimQueued("me", 1, "acct")).toEqual([]);
    // Once due, a1 is taken again.
    await db().db.execute(sql`update videos set next_attempt_at = now() where id = ${first!.id}`);
    expect((await repo.claimQueued("me", 5, "acct")).map((j) => j.prompt)).toEqual(["a1"]);
  });

  test("claimers racing never take a job twice, and together take every job", async () => {
    const users = ["heavy", "heavy", "heavy", "l1", "l2", "l3", "l4"];
    await enqueue(db(), Array.from({ length: 140 }, (_, i) => job(users[i % users.length]!, `p${i}`)));
    // Two repositories: on PostgreSQL each claim runs on its own pooled connection, at the same time.
    const a = createVideoRepository(db());
    const b = createVideoRepository(db());
    const taken: number[] = [];
    for (let round = 0; round < 12 && taken.length < 140; round++) {
      const claims = await Promise.all(Array.from({ length: 8 }, (_, i) => (i % 2 ? a : b).claimQueued(i % 2 ? "a" : "b", 3, `acct-${i}`)));
      for (const jobs of claims) taken.push(...jobs.map((j) => j.id));
    }
    expect(new Set(taken).size).toBe(taken.length);
    expect(taken.length).toBe(140);
    const left = await db().db.execute<{ n: number }>(sql`select count(*)::int as n from videos where state = 'queued'`);
    expect(left.rows[0]!.n).toBe(0);
  });
});

describeEachDatabase("the active-video limit", (db) => {
  test("counts only queued, submitting and generating videos: failed, moderated, deleted and succeeded ones free their place", async () => {
    const repo = createVideoRepository(db());
    const limits = { maxActivePerUser: 2, maxQueueDepth: 100, deadlineMinutes: 30 };
    const accept = async (n: number) => (await repo.insertBatch(Array.from({ length: n }, () => job("u", "p")), limits)).map((o) => (o.ok ? o.id : o.limit));
    const [one, two] = await accept(2);
    expect(await accept(1)).toEqual(["active_videos_per_user"]);
    // A submitting and a generating video still count.
    const [claimed] = await repo.claimQueued("me", 1, "acct");
    expect(await accept(1)).toEqual(["active_videos_per_user"]);
    await repo.markSubmitted(claimed!.id, "me", "px-1", "acct");
    expect(await accept(1)).toEqual(["active_videos_per_user"]);
    // Failed and moderated videos do not.
    await repo.finish(one as number, "failed", { errorCode: "8" });
    await repo.finish(two as number, "moderated", { errorCode: "7" });
    expect(await accept(3)).toEqual([3, 4, "active_videos_per_user"]);
    // Nor succeeded ones, nor ones Pixverse deleted after delivery.
    await repo.finish(3, "succeeded", { url: "https://m/x.mp4" });
    expect(await accept(2)).toEqual([5, "active_videos_per_user"]);
    await repo.revokeSuccess(3, "deleted", 6);
    await repo.finish(5, "failed", {});
    expect(await accept(2)).toEqual([6, "active_videos_per_user"]);
  });
});
