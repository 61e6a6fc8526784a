// MEDIA_STORE=s3 against a real S3-compatible server on this machine (s3rver, run in-process; Bun's built-in
// S3 client talks to it as to AWS or Tigris): the copy is uploaded before get_status shows its URL, and that
// URL (public base, or presigned at read time) gives back Pixverse's exact MP4 and first frame.
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Database } from "../../src/db/client.ts";
import { createVideoRepository } from "../../src/db/videos.ts";
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
