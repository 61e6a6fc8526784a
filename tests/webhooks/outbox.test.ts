// The outbox (webhook_deliveries) and its statements, on PGlite and (with TEST_DATABASE_URL) PostgreSQL:
// the trigger writes one event per video with a callback URL at its first final state, claims are exclusive
// and leased, only the lease's owner records an outcome, and an event is retried for the whole window.
import { expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { describeEachDatabase } from "../support/db.ts";
import { createWebhookOutbox } from "../../src/db/webhooks.ts";
import { acceptJob, outboxRows, setState } from "./helpers.ts";

const HOOK = "https://hooks.example.com/pixverse";

describeEachDatabase("webhook outbox", (db) => {
  test("a video with a callback URL gets one event at its first final state, none before, none after", async () => {
    const id = await acceptJob(db(), HOOK);
    const without = await acceptJob(db(), null);
    await setState(db(), id, "generating");
    expect(await outboxRows(db())).toHaveLength(0);
    await setState(db(), id, "succeeded", "https://cdn.example/v.mp4");
    await setState(db(), without, "succeeded", "https://cdn.example/w.mp4");
    // Pixverse deletes it after delivery: the state changes again, and no second event is written.
    await setState(db(), id, "deleted");
    const rows = await outboxRows(db());
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ video_id: id, url: HOOK, state: "succeeded", result_url: "https://cdn.example/v.mp4", attempts: 0 });
    expect(String(rows[0]!.event_id)).toMatch(/^[0-9a-f-]{36}$/);
  });

  test("a claim is exclusive, carries the owner's ids, and lapses after its TTL", async () => {
    const outbox = createWebhookOutbox(db().db);
    const a = await acceptJob(db(), HOOK, "user-a");
    const b = await acceptJob(db(), HOOK, "user-b");
    await setState(db(), a, "failed");
    await setState(db(), b, "moderated");
    const [first, second] = await Promise.all([outbox.claimDue("one", 1, 60_000), outbox.claimDue("two", 5, 60_000)]);
    expect(first).toHaveLength(1);
    expect(second).toHaveLength(1);
    expect(new Set([first[0]!.videoId, second[0]!.videoId])).toEqual(new Set([a, b]));
    const claimedA = [...first, ...second].find((d) => d.videoId === a)!;
    expect(claimedA).toMatchObject({ state: "failed", appBundleId: "com.example.videoapp", apphudUserId: "user-a", attempts: 0, resultUrl: null });
    // Nothing is due while the leases last.
    expect(await outbox.claimDue("three", 5, 60_000)).toHaveLength(0);
    // A worker that died: its lease lapses and another takes the row.
    await db().db.execute(sql`update webhook_deliveries set next_attempt_at = now() - interval '1 second' where video_id = ${a}`);
    const taken = await outbox.claimDue("three", 5, 60_000);
    expect(taken.map((d) => d.videoId)).toEqual([a]);
    // The old owner can no longer record an outcome; the new one can.
    expect(await outbox.delivered(claimedA.eventId, first[0]!.videoId === a ? "one" : "two", 200)).toBe(false);
    expect(await outbox.delivered(claimedA.eventId, "three", 204)).toBe(true);
    const row = (await outboxRows(db())).find((r) => r.video_id === a)!;
    expect(row).toMatchObject({ attempts: 1, last_status: 204, lock_owner: null });
    expect(row.delivered_at).not.toBeNull();
    expect(await outbox.counts()).toEqual({ pending: 1, delivered: 1, failed: 0 });
  });

  test("a failed attempt is retried later until the event is older than the window, then given up", async () => {
    const outbox = createWebhookOutbox(db().db);
    const id = await acceptJob(db(), HOOK);
    await setState(db(), id, "failed");
    const [d] = await outbox.claimDue("w", 1, 60_000);
    const retry = await outbox.attemptFailed(d!.eventId, "w", { status: 500, error: "HTTP 500" }, 30_000, 24 * 3600_000);
    expect(retry?.gaveUp).toBe(false);
    expect(retry!.nextAttemptAt!.getTime()).toBeGreaterThan(Date.now() + 20_000);
    expect(await outbox.claimDue("w", 1, 60_000)).toHaveLength(0);
    // A day later (the event's time moved back), the next failure gives it up.
    await db().db.execute(sql`update webhook_deliveries set created_at = now() - interval '24 hours', next_attempt_at = now() where video_id = ${id}`);
    const [again] = await outbox.claimDue("w", 1, 60_000);
    expect(again!.attempts).toBe(1);
    const last = await outbox.attemptFailed(again!.eventId, "w", { status: null, error: "no answer within 10000 ms" }, 30_000, 24 * 3600_000);
    expect(last).toEqual({ gaveUp: true, nextAttemptAt: null });
    const row = (await outboxRows(db()))[0]!;
    expect(row).toMatchObject({ attempts: 2, last_status: null, last_error: "no answer within 10000 ms" });
    expect(row.failed_at).not.toBeNull();
    expect(await outbox.claimDue("w", 1, 60_000)).toHaveLength(0);
  });

  test("first attempts are claimed before retries, so a failing receiver does not hold back new events", async () => {
    const outbox = createWebhookOutbox(db().db);
    const old = await acceptJob(db(), HOOK, "a");
    await setState(db(), old, "failed");
    const [first] = await outbox.claimDue("w", 1, 60_000);
    await outbox.attemptFailed(first!.eventId, "w", { status: 500, error: "HTTP 500" }, 0, 24 * 3600_000);
    const fresh = await acceptJob(db(), HOOK, "b");
    await setState(db(), fresh, "failed");
    const [next] = await outbox.claimDue("w", 1, 60_000);
    expect(next!.videoId).toBe(fresh);
  });

  test("releaseAll hands back only the owner's unfinished leases, due at once", async () => {
    const outbox = createWebhookOutbox(db().db);
    const a = await acceptJob(db(), HOOK, "a");
    const b = await acceptJob(db(), HOOK, "b");
    await setState(db(), a, "failed");
    await setState(db(), b, "failed");
    await outbox.claimDue("mine", 1, 60_000);
    await outbox.claimDue("theirs", 1, 60_000);
    expect(await outbox.releaseAll("mine")).toBe(1);
    const due = await outbox.claimDue("next", 5, 60_000);
    expect(due).toHaveLength(1);
  });
});
