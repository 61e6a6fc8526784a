// MEDIA_STORE=s3 against a real S3-compatible server on this machine (s3rver, run in-process; Bun's built-in
// S3 client talks to it as to AWS or Tigris): the copy is uploaded before get_status shows its URL, and that
// URL (public base, or presigned at read time) gives back Pixverse's exact MP4 and first frame.
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Database } from "../../src/db/client.ts";
import { createVideoRepository } from "../../src/db/videos.ts";
import { createLogger } from "../../src/log.ts";
import { createMediaCopier } from "../../src/media/copier.ts";
import { createMediaQueries } from "../../src/media/queries.ts";
import { createS3Store } from "../../src/media/s3.ts";
import type { S3Settings } from "../../src/media/settings.ts";
import { createVideoService } from "../../src/videos.ts";
import { loadConfig } from "../../src/config.ts";
import { describeEachDatabase } from "../support/db.ts";
import { mediaDispatcher, SAMPLE_JPG, SAMPLE_MP4, same, startOrigin, startS3, t2v, type Origin } from "./helpers.ts";

const LIMITS = { maxActivePerUser: 1000, maxQueueDepth: 1000, deadlineMinutes: 30 };

let origin: Origin;
let s3: Awaited<ReturnType<typeof startS3>>;
beforeAll(async () => {
  origin = startOrigin();
  s3 = await startS3("videos");
});
afterAll(async () => {
  await origin.stop();
  await s3.stop();
});

/** The settings loadConfig makes of these variables (the same path main.ts takes). */
function settingsOf(env: Record<string, string>): S3Settings {
  const media = loadConfig({
    MEDIA_STORE: "s3",
    S3_BUCKET: s3.bucket,
    S3_ENDPOINT: s3.endpoint,
    S3_REGION: "us-east-1",
    S3_ACCESS_KEY_ID: "S3RVER",
    S3_SECRET_ACCESS_KEY: "S3RVER",
    ...env,
  }).media;
  if (media.store !== "s3") throw new Error("not s3");
  return media.s3;
}

/** A job that Pixverse finished, copied through the store; get_status's row from the API's service. */
async function copied(database: Database, settings: S3Settings) {
  const store = createS3Store(settings);
  const repo = createVideoRepository(database);
  const videos = createVideoService(repo, { limits: LIMITS, answerUrl: store.answerUrl });
  const d = mediaDispatcher(database, store, { onChange: (id) => videos.changed(id) });
  const [out] = await repo.insertBatch([t2v()], LIMITS);
  const id = out!.ok ? out!.id : -1;
  await d.dispatcher.runOnce();
  await d.finishAtPixverse(id, origin);
  origin.hold();
  await d.dispatcher.runOnce();
  const during = await videos.status(id);
  origin.release();
  await d.copier!.idle();
  const job = (await repo.findJob(id))!;
  return { id, job, during, videos, store };
}

const bytesAt = async (url: string) => {
  const res = await fetch(url);
  expect(res.status).toBe(200);
  return { type: res.headers.get("content-type"), bytes: new Uint8Array(await res.arrayBuffer()) };
};

describeEachDatabase("MEDIA_STORE=s3", (db) => {
  test("uploads the MP4 and its first frame before answering S3_PUBLIC_URL/<name>, byte for byte", async () => {
    const settings = settingsOf({ S3_PUBLIC_URL: `${s3.endpoint}/${s3.bucket}/` });
    const { job, during, videos, id } = await copied(db(), settings);
    expect(during?.state).toBe("generating");
    expect(during?.resultUrl).toBeNull();
    expect(job.state).toBe("succeeded");
    const row = await videos.status(id);
    expect(row?.resultUrl).toBe(`${s3.endpoint}/${s3.bucket}/${job.mediaKey}.mp4`);
    const video = await bytesAt(row!.resultUrl!);
    expect(video.type).toBe("video/mp4");
    expect(same(video.bytes, SAMPLE_MP4)).toBe(true);
    const frame = await bytesAt(row!.resultUrl!.replace(/\.mp4$/, ".jpg"));
    expect(frame.type).toBe("image/jpeg");
    expect(same(frame.bytes, SAMPLE_JPG)).toBe(true);
  });

  test("with S3_PRESIGN_SECONDS records the plain object URL and answers it presigned when read", async () => {
    const settings = settingsOf({ S3_PRESIGN_SECONDS: "3600" });
    const { job, videos, id, store } = await copied(db(), settings);
    const plain = `${s3.endpoint}/${s3.bucket}/${job.mediaKey}.mp4`;
    const recorded = await createVideoRepository(db()).findStatus(id);
    expect(recorded?.resultUrl).toBe(plain);
    const answered = (await videos.status(id))!.resultUrl!;
    const signed = new URL(answered);
    expect(`${signed.origin}${signed.pathname}`).toBe(plain);
    expect(signed.searchParams.get("X-Amz-Expires")).toBe("3600");
    expect(signed.searchParams.get("X-Amz-Signature")).toMatch(/^[0-9a-f]{64}$/);
    expect(same((await bytesAt(answered)).bytes, SAMPLE_MP4)).toBe(true);
    // Signed once and reused while it has at least half its life left; a URL not in the bucket is left alone.
    expect(store.answerUrl!(plain)).toBe(answered);
    expect(store.answerUrl!("https://media.pixverse.ai/a.mp4")).toBe("https://media.pixverse.ai/a.mp4");
  });
});

describeEachDatabase("MEDIA_STORE=s3, a bucket that never answers", (db) => {
  /** Accepts connections and reads what it is sent, never answering a byte. */
  let silent: Bun.TCPSocketListener<undefined>;
  beforeAll(() => {
    silent = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  });
  afterAll(() => silent.stop(true));
  const silentStore = () => createS3Store({ ...settingsOf({ S3_PUBLIC_URL: "http://cdn.test" }), endpoint: `http://127.0.0.1:${silent.port}` });

  test("an upload is bounded by the copy's time-out: the attempt fails and is retried, the job stays generating", async () => {
    const d = mediaDispatcher(db(), silentStore(), { timeoutMs: 300 });
    const [out] = await d.repo.insertBatch([t2v()], LIMITS);
    const id = out!.ok ? out!.id : -1;
    await d.dispatcher.runOnce();
    await d.finishAtPixverse(id, origin, false);
    const failures = () => d.lines.filter((l) => l.msg === "video copy failed; will try again");
    const until = Date.now() + 5000;
    while (Date.now() < until && failures().length < 2) {
      await Bun.sleep(20);
      await d.dispatcher.runOnce();
    }
    expect(failures().length).toBeGreaterThanOrEqual(2);
    expect(String(failures()[0]!.error)).toContain("took too long");
    expect((await d.repo.findJob(id))?.state).toBe("generating");
    const closing = Date.now();
    expect(await Promise.race([d.copier!.close().then(() => "closed"), Bun.sleep(3000).then(() => "hung")])).toBe("closed");
    expect(Date.now() - closing).toBeLessThan(1000);
  });

  test("close() stops an upload that hangs, without waiting for its time-out", async () => {
    const repo = createVideoRepository(db());
    const d = mediaDispatcher(db(), null);
    const [out] = await repo.insertBatch([t2v()], LIMITS);
    const id = out!.ok ? out!.id : -1;
    await d.dispatcher.runOnce();
    const pid = await d.finishAtPixverse(id, origin, false);
    const copier = createMediaCopier({
      store: silentStore(),
      queries: createMediaQueries(db().db),
      logger: createLogger("silent"),
      limits: { maxBytes: 1 << 20, timeoutMs: 60_000, concurrency: 1 },
    });
    const job = (await repo.findJob(id))!;
    await copier.offer(job, { url: `${origin.url}/v/${pid}.mp4`, firstFrame: null, pixverseStatus: 1 }, async () => true);
    await Bun.sleep(300); // downloaded; the upload waits for an answer that never comes
    const closing = Date.now();
    expect(await Promise.race([copier.close().then(() => "closed"), Bun.sleep(3000).then(() => "hung")])).toBe("closed");
    expect(Date.now() - closing).toBeLessThan(1000);
    expect((await repo.findJob(id))?.state).toBe("generating");
  });
});

test("s3 settings: the four S3 variables are required, and exactly one of S3_PUBLIC_URL and S3_PRESIGN_SECONDS", () => {
  const problems = (env: Record<string, string>) => {
    try {
      loadConfig({ MEDIA_STORE: "s3", ...env });
      return [];
    } catch (e) {
      return (e as { problems: string[] }).problems;
    }
  };
  expect(problems({}).map((p) => p.split(":")[0])).toEqual(["S3_BUCKET", "S3_ENDPOINT", "S3_ACCESS_KEY_ID", "S3_SECRET_ACCESS_KEY", "S3_PUBLIC_URL"]);
  const full = { S3_BUCKET: "b", S3_ENDPOINT: "https://fly.storage.tigris.dev", S3_ACCESS_KEY_ID: "tid_x", S3_SECRET_ACCESS_KEY: "tsec_very-secret-value" };
  expect(problems({ ...full, S3_PUBLIC_URL: "https://b.fly.storage.tigris.dev", S3_PRESIGN_SECONDS: "600" })).toHaveLength(1);
  expect(problems({ ...full, S3_PRESIGN_SECONDS: "59" }).join()).toContain("S3_PRESIGN_SECONDS");
  expect(problems({ ...full, S3_PRESIGN_SECONDS: "600" })).toEqual([]);
  // Never the secret's value in a problem.
  expect(problems({ ...full, S3_ENDPOINT: "ftp://x" }).join()).not.toContain("tsec_");
});
