// The real entry point in demo mode (simulator, sidecar, Chromium) with our own copies on: a client's video
// comes back as a URL of ours that serves the simulator's exact MP4 and first frame, from the local folder
// (links to where the service listens, no PUBLIC_URL needed in the demo) and from an S3-compatible bucket.
import { afterAll, afterEach, expect, test } from "bun:test";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startService, type ServiceProcess } from "../support/service-process.ts";
import { eventually } from "../simulator/helpers.ts";
import { requireChromium } from "../sidecar/helpers.ts";
import { SAMPLE_JPG, SAMPLE_MP4, same, startS3 } from "./helpers.ts";

const OWNER = { app_bundle_id: "com.example.media", apphud_user_id: "media-user" };
const dirs: string[] = [];
const services: ServiceProcess[] = [];
const stops: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const s of services.splice(0)) await s.stop("SIGKILL");
});
afterAll(async () => {
  for (const stop of stops) await stop();
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function demo(env: Record<string, string>): Promise<ServiceProcess> {
  requireChromium();
  const dir = await mkdtemp(join(tmpdir(), "media-e2e-"));
  dirs.push(dir);
  // get_status is polled every 20 ms below: well past the default per-minute limit.
  const s = await startService({ DATA_DIR: dir, SIM_GENERATION_MS: "300", RATE_LIMIT_STATUS_PER_MINUTE: "100000", ...env });
  services.push(s);
  return s;
}

/** Make one video and wait for get_status's URL. */
async function videoUrl(s: ServiceProcess): Promise<string> {
  const res = await fetch(`${s.url}/text2video`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ prompt: "a lighthouse in a storm", ...OWNER }),
  });
  expect(res.status).toBe(200);
  const { video_id } = (await res.json()) as { video_id: number };
  return eventually(
    async () => {
      const answer = (await (await fetch(`${s.url}/get_status?${new URLSearchParams({ video_id: String(video_id), ...OWNER })}`)).json()) as { url?: string };
      return answer.url;
    },
    45_000,
    "the video's URL",
  );
}

const fetched = async (url: string) => {
  const res = await fetch(url);
  expect(res.status).toBe(200);
  return new Uint8Array(await res.arrayBuffer());
};

test("MEDIA_STORE=local in demo mode: get_status answers /media on the service itself, serving the exact MP4 and first frame", async () => {
  const s = await demo({ MEDIA_STORE: "local" });
  const url = await videoUrl(s);
  expect(url).toMatch(new RegExp(`^${s.url}/media/[0-9a-f]{2}/\\d+-[0-9a-f]{32}\\.mp4$`));
  expect(same(await fetched(url), SAMPLE_MP4)).toBe(true);
  expect(same(await fetched(url.replace(/\.mp4$/, ".jpg")), SAMPLE_JPG)).toBe(true);
  // A player's range request, through the real server.
  const part = await fetch(url, { headers: { range: "bytes=100-199" } });
  expect(part.status).toBe(206);
  expect(part.headers.get("content-range")).toBe(`bytes 100-199/${SAMPLE_MP4.length}`);
  expect(same(new Uint8Array(await part.arrayBuffer()), SAMPLE_MP4.slice(100, 200))).toBe(true);
  // Logged just after the job's end is recorded, so possibly after get_status answered.
  await eventually(async () => (s.logs().some((l) => l.msg === "video copied" && l.store === "local") ? true : undefined), 5000, "the copy's log line");
}, 60_000);

test("MEDIA_STORE=s3: get_status answers the bucket's URL, serving the exact MP4 and first frame; the secret never reaches the log", async () => {
  const bucket = await startS3("e2e");
  stops.push(bucket.stop);
  const secret = "e2e-secret-access-key-0123";
  const s = await demo({
    MEDIA_STORE: "s3",
    S3_BUCKET: bucket.bucket,
    S3_ENDPOINT: bucket.endpoint,
    S3_REGION: "us-east-1",
    S3_ACCESS_KEY_ID: "S3RVER",
    S3_SECRET_ACCESS_KEY: secret,
    S3_PUBLIC_URL: `${bucket.endpoint}/${bucket.bucket}`,
  });
  const url = await videoUrl(s);
  expect(url).toMatch(new RegExp(`^${bucket.endpoint}/${bucket.bucket}/[0-9a-f]{2}/\\d+-[0-9a-f]{32}\\.mp4$`));
  expect(same(await fetched(url), SAMPLE_MP4)).toBe(true);
  expect(same(await fetched(url.replace(/\.mp4$/, ".jpg")), SAMPLE_JPG)).toBe(true);
  expect(JSON.stringify(s.logs())).not.toContain(secret);
}, 60_000);
