import { expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { createDispatcher } from "../../src/dispatcher/dispatcher.ts";
import { createVideoRepository, type NewVideo } from "../../src/db/videos.ts";
import { silentLogger } from "../../src/log.ts";
import { describeEachDatabase } from "../support/db.ts";
import { ScriptedGenerator } from "../support/scripted-generator.ts";
import { png } from "../support/images.ts";
import { TEST_SETTINGS } from "../support/settings.ts";
import type { Database } from "../../src/db/client.ts";

const LIMITS = { maxActivePerUser: 1000, maxQueueDepth: 1000, deadlineMinutes: 30 };

function t2v(prompt = "a cat surfing", user = "u1"): NewVideo {
  return { appBundleId: "com.example", apphudUserId: user, clientIp: null, kind: "t2v", prompt };
}

async function enqueue(database: Database, videos: NewVideo[]): Promise<number[]> {
  const repo = createVideoRepository(database);
  const out = await repo.insertBatch(videos, LIMITS);
  return out.map((o) => (o.ok ? o.id : -1));
}

function setup(database: Database, owner = "instance-a") {
  const repo = createVideoRepository(database);
  const generator = new ScriptedGenerator();
  const changed: number[] = [];
  const dispatcher = createDispatcher({
    repo,
    generator,
    logger: silentLogger,
    owner,
    accounts: ["acct@example.com"],
    settings: TEST_SETTINGS,
    onChange: (id) => changed.push(id),
    reconcileGraceMs: 0,
    lockTtlMs: 60_000,
    watchPollMs: 0,
  });
  return { repo, generator, dispatcher, changed };
}

describeEachDatabase("dispatcher", (db) => {
  test("submits a queued text job and records Pixverse's id at once", async () => {
    const [id] = await enqueue(db(), [t2v("a red fox")]);
    const { repo, generator, dispatcher, changed } = setup(db());
    await dispatcher.runOnce();
    expect(generator.submitted.map((s) => s.prompt)).toEqual(["a red fox"]);
    const job = await repo.findJob(id!);
    expect(job?.state).toBe("generating");
    expect(job?.pixverseVideoId).toBe(String(400_000_000_000_000));
    expect(job?.account).toBe("acct@example.com");
    expect(job?.lockOwner).toBeNull();
    expect(changed).toContain(id!);
  });

  test("hands an image job its stored bytes and drops them once Pixverse has them", async () => {
    const image = png(64, 32);
    const repo = createVideoRepository(db());
    const [out] = await repo.insertBatch([{ ...t2v("animate this"), kind: "i2v", image: { bytes: image, type: "png", width: 64, height: 32 } }], LIMITS);
    const id = out!.ok ? out!.id : -1;
    const { generator, dispatcher } = setup(db());
    await dispatcher.runOnce();
    const sent = generator.submitted[0]!;
    expect(sent.kind).toBe("i2v");
    expect(sent.image?.type).toBe("png");
    expect(Buffer.from(sent.image!.bytes).equals(Buffer.from(image))).toBe(true);
    expect(await repo.loadImage(id)).toBeNull();
  });

  test("never has more jobs at Pixverse than the account's capacity, and fills a freed slot", async () => {
    await enqueue(db(), [t2v("1"), t2v("2"), t2v("3"), t2v("4"), t2v("5")]);
    const { repo, generator, dispatcher } = setup(db());
    generator.cap = 2;
    await dispatcher.runOnce();
    await dispatcher.runOnce();
    expect(generator.submitted.map((s) => s.prompt)).toEqual(["1", "2"]);
    const first = (await repo.listGenerating(["acct@example.com"]))[0]!;
    generator.set(first.pixverseVideoId!, 1, "https://media.pixverse.ai/a.mp4");
    await dispatcher.runOnce(); // polls: the first one finishes
    await dispatcher.runOnce(); // a slot is free: the third goes
    expect(generator.submitted.map((s) => s.prompt)).toEqual(["1", "2", "3"]);
  });

  test("maps Pixverse's final statuses onto the job states", async () => {
    const ids = await enqueue(db(), [t2v("ok"), t2v("mod"), t2v("fail"), t2v("del"), t2v("odd")]);
    const { repo, generator, dispatcher } = setup(db());
    generator.cap = 10;
    await dispatcher.runOnce();
    const byPrompt = new Map((await repo.listGenerating(["acct@example.com"])).map((j) => [j.prompt, j.pixverseVideoId!]));
    generator.set(byPrompt.get("ok")!, 1, "https://media.pixverse.ai/pixverse%2Fmp4%2Fx.mp4");
    generator.set(byPrompt.get("mod")!, 7);
    generator.set(byPrompt.get("fail")!, 8);
    generator.set(byPrompt.get("del")!, 6);
    generator.set(byPrompt.get("odd")!, 42);
    await dispatcher.runOnce();
    const states = await Promise.all(ids.map((id) => repo.findJob(id)));
    expect(states.map((j) => j?.state)).toEqual(["succeeded", "moderated", "failed", "deleted", "generating"]);
    expect(states[0]?.resultUrl).toBe("https://media.pixverse.ai/pixverse/mp4/x.mp4");
    const raw = await db().db.execute(sql`select pixverse_status from videos where id = ${ids[4]!}`);
    expect((raw as unknown as { rows: { pixverse_status: number }[] }).rows[0]?.pixverse_status).toBe(42);
  });

  test("a delivered video that Pixverse later deletes answers Deleted", async () => {
    const [id] = await enqueue(db(), [t2v("here, then gone")]);
    const { repo, generator, dispatcher, changed } = setup(db());
    await dispatcher.runOnce();
    const pixverseId = (await repo.findJob(id!))!.pixverseVideoId!;
    generator.set(pixverseId, 1, "https://media.pixverse.ai/x.mp4");
    await dispatcher.runOnce();
    expect((await repo.findStatus(id!))?.state).toBe("succeeded");
    generator.set(pixverseId, 6);
    changed.length = 0;
    await dispatcher.runOnce();
    expect((await repo.findStatus(id!))?.state).toBe("deleted");
    expect(changed).toContain(id!);
    expect(generator.polled.at(-1)).toContain(pixverseId);
  });

  test("a delivered video is no longer watched once the watch window has passed", async () => {
    const [id] = await enqueue(db(), [t2v()]);
    const { repo, generator, dispatcher } = setup(db());
    await dispatcher.runOnce();
    const pixverseId = (await repo.findJob(id!))!.pixverseVideoId!;
    generator.set(pixverseId, 1, "https://media.pixverse.ai/x.mp4");
    await dispatcher.runOnce();
    await db().db.execute(sql`update videos set finished_at = now() - interval '1 hour' where id = ${id!}`);
    generator.set(pixverseId, 6);
    const polls = generator.polled.length;
    await dispatcher.runOnce();
    expect(generator.polled.length).toBe(polls);
    expect((await repo.findStatus(id!))?.state).toBe("succeeded");
  });

  test("a placeholder URL from Pixverse is a failure, not a success", async () => {
    const [id] = await enqueue(db(), [t2v()]);
    const { repo, generator, dispatcher } = setup(db());
    await dispatcher.runOnce();
    const job = (await repo.findJob(id!))!;
    generator.set(job.pixverseVideoId!, 1, "https://media.pixverse.ai/media/default.mp4");
    await dispatcher.runOnce();
    expect((await repo.findJob(id!))?.state).toBe("failed");
  });

  test("ends a job refused at submission as moderated or failed, keeping Pixverse's code", async () => {
    const [mod, bad] = await enqueue(db(), [t2v("unsafe"), t2v("bad")]);
    const { repo, generator, dispatcher } = setup(db());
    generator.nextSubmits.push(
      { ok: false, kind: "moderation", code: 500063, message: "blocked" },
      { ok: false, kind: "bad_input", code: 400017, message: "bad parameter" },
    );
    await dispatcher.runOnce();
    expect((await repo.findJob(mod!))?.state).toBe("moderated");
    const failed = await repo.findJob(bad!);
    expect(failed?.state).toBe("failed");
    expect(failed?.errorCode).toBe("400017");
  });

  test("requeues on Pixverse's concurrency limit without counting an attempt", async () => {
    const [id] = await enqueue(db(), [t2v()]);
    const { repo, generator, dispatcher } = setup(db());
    generator.nextSubmits.push({ ok: false, kind: "concurrency", code: 500044, message: "too many" });
    await dispatcher.runOnce();
    const job = await repo.findJob(id!);
    expect(job?.state).toBe("queued");
    expect(job?.attempts).toBe(0);
    expect(job!.nextAttemptAt.getTime()).toBeGreaterThan(Date.now());
  });

  test("backs off exponentially on overload and counts the attempt", async () => {
    const [id] = await enqueue(db(), [t2v()]);
    const { repo, generator, dispatcher } = setup(db());
    generator.nextSubmits.push({ ok: false, kind: "overloaded", code: 500069, message: "busy" });
    await dispatcher.runOnce();
    const job = await repo.findJob(id!);
    expect(job?.state).toBe("queued");
    expect(job?.attempts).toBe(1);
    const delay = job!.nextAttemptAt.getTime() - Date.now();
    expect(delay).toBeGreaterThan(1000);
    expect(delay).toBeLessThanOrEqual(2400 + 1000);
    // Not due yet: the next pass leaves it alone.
    await dispatcher.runOnce();
    expect(generator.submitted).toHaveLength(1);
  });

  test("never resubmits a job whose submission outcome is unknown; reconciliation finds Pixverse's id", async () => {
    const [id] = await enqueue(db(), [t2v("did it go?")]);
    const { repo, generator, dispatcher } = setup(db());
    generator.nextSubmits.push({ ok: false, kind: "unknown_outcome", message: "timeout after click" });
    generator.reconcileAnswer = () => ({ kind: "unknown", message: "list unavailable" });
    await dispatcher.runOnce();
    expect((await repo.findJob(id!))?.state).toBe("submitting");
    await dispatcher.runOnce();
    expect(generator.submitted).toHaveLength(1);
    expect((await repo.findJob(id!))?.state).toBe("submitting");
    generator.reconcileAnswer = () => ({ kind: "found", pixverseId: "777", account: "acct@example.com" });
    await dispatcher.runOnce();
    const job = await repo.findJob(id!);
    expect(job?.state).toBe("generating");
    expect(job?.pixverseVideoId).toBe("777");
    expect(generator.submitted).toHaveLength(1);
    expect(generator.reconciled.at(-1)?.prompt).toBe("did it go?");
  });

  test("a submission that throws counts as unknown outcome, and a job Pixverse never saw is submitted again", async () => {
    const [id] = await enqueue(db(), [t2v("maybe")]);
    const { repo, generator, dispatcher } = setup(db());
    generator.nextSubmits.push(new Error("sidecar died"));
    await dispatcher.runOnce();
    expect((await repo.findJob(id!))?.state).toBe("submitting");
    generator.reconcileAnswer = () => ({ kind: "absent" });
    await dispatcher.runOnce(); // reconcile → queued again, then claimed and submitted in the same pass
    await dispatcher.runOnce();
    expect(generator.submitted).toHaveLength(2);
    expect((await repo.findJob(id!))?.state).toBe("generating");
  });

  test("ends a job past its deadline as failed", async () => {
    const [id] = await enqueue(db(), [t2v()]);
    await db().db.execute(sql`update videos set deadline_at = now() - interval '1 second' where id = ${id!}`);
    const { repo, generator, dispatcher } = setup(db());
    await dispatcher.runOnce();
    const job = await repo.findJob(id!);
    expect(job?.state).toBe("failed");
    expect(job?.errorCode).toBe("deadline");
    expect(generator.submitted).toHaveLength(0);
  });

  test("after a restart, the jobs this instance had locked are reconciled, not resubmitted", async () => {
    const [id] = await enqueue(db(), [t2v("in flight at crash")]);
    const first = setup(db(), "instance-a");
    await first.repo.claimQueued("instance-a", 1); // the crash: claimed, never recorded
    const second = setup(db(), "instance-a");
    second.generator.reconcileAnswer = () => ({ kind: "found", pixverseId: "555", account: "acct@example.com" });
    await second.dispatcher.start();
    await second.dispatcher.stop(5000);
    await second.dispatcher.runOnce();
    expect(second.generator.submitted).toHaveLength(0);
    expect((await second.repo.findJob(id!))?.pixverseVideoId).toBe("555");
  });

  test("another instance's stale lock is taken over for reconciliation after the lock expires", async () => {
    const [id] = await enqueue(db(), [t2v()]);
    const repo = createVideoRepository(db());
    await repo.claimQueued("instance-dead", 1);
    const live = setup(db(), "instance-b");
    live.generator.reconcileAnswer = () => ({ kind: "found", pixverseId: "999", account: "acct@example.com" });
    await live.dispatcher.runOnce();
    expect((await repo.findJob(id!))?.state).toBe("submitting"); // lock still fresh
    await db().db.execute(sql`update videos set locked_at = now() - interval '5 minutes' where id = ${id!}`);
    await live.dispatcher.runOnce();
    expect((await repo.findJob(id!))?.pixverseVideoId).toBe("999");
    expect(live.generator.submitted).toHaveLength(0);
  });

  test("two dispatchers claiming at once never take the same job", async () => {
    const prompts = Array.from({ length: 60 }, (_, i) => t2v(`job ${i}`, `u${i}`));
    await enqueue(db(), prompts);
    const a = createVideoRepository(db());
    const b = createVideoRepository(db());
    const claims = await Promise.all(
      Array.from({ length: 12 }, (_, i) => (i % 2 ? a : b).claimQueued(i % 2 ? "a" : "b", 7)),
    );
    const ids = claims.flat().map((j) => j.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBe(60);
  });

  test("a job's own settings overlay the defaults in what the generator is asked to make; a job without any gets the defaults", async () => {
    const chosen = { model: "v6", quality: "1080p", duration: 10, aspectRatio: "9:16", seed: 0, negativePrompt: "blurry" };
    await enqueue(db(), [{ ...t2v("chosen"), settings: chosen }, t2v("plain"), { ...t2v("some"), settings: { quality: "720p", seed: 42 } }]);
    const { generator, dispatcher } = setup(db());
    generator.cap = 10;
    await dispatcher.runOnce();
    const sent = new Map(generator.submitted.map((s) => [s.prompt, s.settings]));
    expect(TEST_SETTINGS).toMatchObject({ model: "v5.6", quality: "360p", duration: 5, aspectRatio: "16:9" }); // so the overlay shows
    expect(sent.get("chosen")).toEqual({ ...TEST_SETTINGS, ...chosen });
    expect(sent.get("plain")).toEqual(TEST_SETTINGS);
    expect(sent.get("plain")).not.toHaveProperty("seed");
    expect(sent.get("plain")).not.toHaveProperty("negativePrompt");
    expect(sent.get("some")).toEqual({ ...TEST_SETTINGS, quality: "720p", seed: 42 });
  });

  test("an image job's chosen settings reach the generator with its image", async () => {
    const image = png(16, 16);
    const repo = createVideoRepository(db());
    await repo.insertBatch(
      [{ ...t2v("animate"), kind: "i2v", settings: { model: "v5", duration: 8 }, image: { bytes: image, type: "png", width: 16, height: 16 } }],
      LIMITS,
    );
    const { generator, dispatcher } = setup(db());
    await dispatcher.runOnce();
    const sent = generator.submitted[0]!;
    expect(sent.kind).toBe("i2v");
    expect(sent.image?.width).toBe(16);
    expect(sent.settings).toEqual({ ...TEST_SETTINGS, model: "v5", duration: 8 });
  });

  test("a job resubmitted after reconciliation found nothing keeps its settings", async () => {
    const [id] = await enqueue(db(), [{ ...t2v("again"), settings: { seed: 7 } }]);
    const { repo, generator, dispatcher } = setup(db());
    generator.nextSubmits.push(new Error("the page crashed mid-click"));
    await dispatcher.runOnce(); // outcome unknown
    await dispatcher.runOnce(); // reconciliation finds nothing: queued again
    await dispatcher.runOnce();
    expect(generator.submitted).toHaveLength(2);
    for (const s of generator.submitted) expect(s.settings).toEqual({ ...TEST_SETTINGS, seed: 7 });
    expect((await repo.findJob(id!))?.settings).toEqual({ seed: 7 });
  });
});
