// The delivery worker against a real HTTP receiver on 127.0.0.1: signed events, retries after a 500 with the
// same event_id and body, one event per video, time-outs, host names resolving to private addresses, and a
// shutdown that hands attempts under way back to the outbox.
import { afterEach, expect, test } from "bun:test";
import { hostname } from "node:os";
import { sql } from "drizzle-orm";
import { describeEachDatabase } from "../support/db.ts";
import { createWebhookOutbox } from "../../src/db/webhooks.ts";
import { createWebhookWorker, type WebhookWorker, type WebhookWorkerOptions } from "../../src/webhooks/worker.ts";
import { verifySignature } from "../../src/webhooks/signature.ts";
import { createMetrics } from "../../src/metrics.ts";
import type { Database } from "../../src/db/client.ts";
import { acceptJob, outboxRows, SECRET, setState, startReceiver, testLogger } from "./helpers.ts";

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function worker(database: Database, options: Partial<WebhookWorkerOptions> = {}) {
  const log = testLogger();
  const metrics = createMetrics({ processMetrics: false });
  const w: WebhookWorker = createWebhookWorker({
    outbox: createWebhookOutbox(database.db),
    secret: SECRET,
    owner: "test-instance",
    logger: log.logger,
    metrics,
    allowPrivate: true,
    pollMs: 20,
    backoffBaseMs: 50,
    backoffMaxMs: 200,
    ...options,
  });
  cleanups.push(() => w.stop());
  return { w, log, metrics };
}

async function until<T>(read: () => Promise<T>, ok: (v: T) => boolean, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await read();
    if (ok(v)) return v;
    if (Date.now() > end) throw new Error(`condition not met in ${ms} ms: ${JSON.stringify(v)}`);
    await Bun.sleep(20);
  }
}

describeEachDatabase("webhook worker", (db) => {
  test("with presigned media URLs (S3_PRESIGN_SECONDS), the event's url is presigned at each attempt", async () => {
    const receiver = startReceiver();
    cleanups.push(receiver.stop);
    let n = 0;
    const { w } = worker(db(), { answerUrl: (url) => `${url}?X-Amz-Signature=sig${++n}` });
    w.start();
    const id = await acceptJob(db(), receiver.url);
    await setState(db(), id, "succeeded", "https://bucket.example/ab/1-x.mp4");
    await receiver.waitFor(1);
    expect(JSON.parse(receiver.received[0]!.body).url).toBe("https://bucket.example/ab/1-x.mp4?X-Amz-Signature=sig1");
    // What the outbox keeps is the plain URL: each attempt signs it again.
    const [row] = await outboxRows(db());
    expect(row!.result_url).toBe("https://bucket.example/ab/1-x.mp4");
  });

  test("POSTs the signed video.finished event once the job ends, and records it delivered", async () => {
    const receiver = startReceiver();
    cleanups.push(receiver.stop);
    const { w, log } = worker(db());
    w.start();
    const id = await acceptJob(db(), receiver.url);
    await setState(db(), id, "succeeded", "https://cdn.example/fox.mp4");
    await receiver.waitFor(1);
    const got = receiver.received[0]!;
    expect(verifySignature(SECRET, got.body, got.headers.get("x-signature"))).toBe(true);
    const body = JSON.parse(got.body);
    const [row] = await until(() => outboxRows(db()), (r) => r[0]?.delivered_at != null);
    expect(body).toEqual({
      event: "video.finished",
      event_id: row!.event_id,
      video_id: id,
      app_bundle_id: "com.example.videoapp",
      apphud_user_id: "user-1",
      status: "Generation successful",
      url: "https://cdn.example/fox.mp4",
    });
    expect(got.headers.get("x-event-id")).toBe(String(row!.event_id));
    expect(got.headers.get("content-type")).toBe("application/json");
    expect(got.headers.get("user-agent")).toMatch(/^pixverse-video-api-webhooks\//);
    expect(row).toMatchObject({ attempts: 1, last_status: 200 });
    const line = log.lines().find((l) => l.msg === "webhook delivered")!;
    expect(line).toMatchObject({ event_id: row!.event_id, video_id: id, status_code: 200, attempt: 1, host: `127.0.0.1:${receiver.port}` });
    // Neither the secret, the signature nor the receiver's own token in its URL is logged.
    const text = JSON.stringify(log.lines());
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain(got.headers.get("x-signature")!);
    expect(text).not.toContain("receiver-own-token");
  });

  test("after a 500 it retries with the same event_id and the same body bytes, then records the 200", async () => {
    const receiver = startReceiver([500]);
    cleanups.push(receiver.stop);
    const { w, log, metrics } = worker(db());
    w.start();
    const id = await acceptJob(db(), receiver.url);
    await setState(db(), id, "moderated");
    await receiver.waitFor(2);
    const [first, second] = receiver.received;
    expect(second!.body).toBe(first!.body);
    expect(second!.headers.get("x-event-id")).toBe(first!.headers.get("x-event-id")!);
    expect(verifySignature(SECRET, first!.body, first!.headers.get("x-signature"))).toBe(true);
    expect(verifySignature(SECRET, second!.body, second!.headers.get("x-signature"))).toBe(true);
    expect(JSON.parse(first!.body)).toMatchObject({ video_id: id, status: "Contents moderation failed" });
    expect("url" in JSON.parse(first!.body)).toBe(false);
    const [row] = await until(() => outboxRows(db()), (r) => r[0]?.delivered_at != null);
    expect(row).toMatchObject({ attempts: 2, last_status: 200 });
    const failed = log.lines().find((l) => l.msg === "webhook attempt failed; retrying")!;
    expect(failed).toMatchObject({ video_id: id, status_code: 500, attempt: 1, error: "HTTP 500" });
    expect(typeof failed.next_attempt_at).toBe("string");
    const text = await metrics.text();
    expect(text).toContain('webhook_deliveries_total{outcome="retry"} 1');
    expect(text).toContain('webhook_deliveries_total{outcome="delivered"} 1');
  });

  test("sends one event per video: a later deletion at Pixverse sends nothing more", async () => {
    const receiver = startReceiver();
    cleanups.push(receiver.stop);
    const { w } = worker(db());
    w.start();
    const a = await acceptJob(db(), receiver.url, "user-a");
    const b = await acceptJob(db(), receiver.url, "user-b");
    await setState(db(), a, "succeeded", "https://cdn.example/a.mp4");
    await setState(db(), b, "failed");
    await receiver.waitFor(2);
    await setState(db(), a, "deleted");
    await setState(db(), b, "deleted");
    // Many polls later, still the same two events.
    await Bun.sleep(300);
    expect(receiver.received).toHaveLength(2);
    const bodies = receiver.received.map((r) => JSON.parse(r.body));
    expect(new Set(bodies.map((x) => x.event_id)).size).toBe(2);
    expect(bodies.find((x) => x.video_id === a)).toMatchObject({ status: "Generation successful", url: "https://cdn.example/a.mp4" });
    expect(bodies.find((x) => x.video_id === b)).toMatchObject({ status: "Generation failed" });
  });

  test("a receiver that does not answer in time is a failed attempt, retried later", async () => {
    const receiver = startReceiver();
    receiver.slow(1_000);
    cleanups.push(receiver.stop);
    const { w } = worker(db(), { timeoutMs: 100, backoffBaseMs: 60_000, backoffMaxMs: 60_000 });
    w.start();
    const id = await acceptJob(db(), receiver.url);
    await setState(db(), id, "failed");
    const [row] = await until(() => outboxRows(db()), (r) => Number(r[0]?.attempts ?? 0) >= 1);
    expect(row).toMatchObject({ attempts: 1, last_status: null, last_error: "no answer within 100 ms", delivered_at: null, failed_at: null });
  });

  test("a host name that resolves to a loopback address is refused at delivery, and recorded as a failure", async () => {
    const receiver = startReceiver();
    cleanups.push(receiver.stop);
    const { w } = worker(db(), { allowPrivate: false, backoffBaseMs: 60_000, backoffMaxMs: 60_000 });
    w.start();
    // This machine's own name resolves to itself: like a public name re-pointed by DNS after acceptance.
    const id = await acceptJob(db(), `http://${hostname()}:${receiver.port}/hook`);
    await setState(db(), id, "failed");
    const [row] = await until(() => outboxRows(db()), (r) => Number(r[0]?.attempts ?? 0) >= 1);
    expect(String(row!.last_error)).toMatch(/resolves to a (loopback|private) address/);
    expect(receiver.received).toHaveLength(0);
  });

  test("notify() sends at once without waiting for the next poll", async () => {
    const receiver = startReceiver();
    cleanups.push(receiver.stop);
    const { w } = worker(db(), { pollMs: 60_000 });
    w.start();
    await Bun.sleep(100); // the first look at the outbox is done; the next poll is a minute away
    const id = await acceptJob(db(), receiver.url);
    await setState(db(), id, "failed");
    w.notify();
    await receiver.waitFor(1, 5_000);
    expect(JSON.parse(receiver.received[0]!.body).video_id).toBe(id);
  });

  test("stop() cuts off an attempt under way and hands the event back, due at once, without counting it", async () => {
    const receiver = startReceiver();
    receiver.slow(5_000);
    cleanups.push(receiver.stop);
    const { w } = worker(db(), { stopGraceMs: 50 });
    w.start();
    const id = await acceptJob(db(), receiver.url);
    await setState(db(), id, "failed");
    await receiver.waitFor(1);
    await w.stop();
    const [row] = await outboxRows(db());
    expect(row).toMatchObject({ attempts: 0, lock_owner: null, delivered_at: null });
    const due = await db().db.execute<{ due: boolean }>(sql`select next_attempt_at <= now() as due from webhook_deliveries`);
    expect(due.rows[0]!.due).toBe(true);
  });
});
