// MEDIA_STORE=local end to end inside one process: a scripted Pixverse finishes a video, the dispatcher hands it
// to the copier, get_status answers Generating until the copy exists and then our /media URL, which serves the
// very bytes Pixverse had (MP4 and first frame). Failed downloads are retried, a copy that cannot be made in
// time delivers Pixverse's URL, and a deletion at Pixverse after delivery leaves our copy delivered.
import { afterAll, afterEach, beforeAll, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createApp } from "../../src/app.ts";
import type { Database } from "../../src/db/client.ts";
import { createAdminQueries } from "../../src/db/admin.ts";
import { createVideoRepository } from "../../src/db/videos.ts";
import { createLogger } from "../../src/log.ts";
import { createLocalStore, type LocalStore } from "../../src/media/local.ts";
import { createVideoService } from "../../src/videos.ts";
import { describeEachDatabase } from "../support/db.ts";
import { TEST_ALLOWED } from "../support/app.ts";
import { mediaDispatcher, SAMPLE_JPG, SAMPLE_MP4, same, startOrigin, t2v, type Origin } from "./helpers.ts";

const LIMITS = { maxActivePerUser: 1000, maxQueueDepth: 1000, deadlineMinutes: 30 };
const OWNER = { app_bundle_id: "com.example.videoapp", apphud_user_id: "u1" };
const BASE = "http://media.test";

let origin: Origin;
let dir: string;
beforeAll(async () => {
  origin = startOrigin();
});
afterAll(async () => {
  await origin.stop();
});
afterEach(async () => {
  origin.fail(0);
  origin.release();
  origin.body = null;
  origin.frame = null;
  origin.frameStatus = null;
  origin.hits.length = 0;
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** The API and the dispatcher of one instance, with our copies in a fresh folder. */
async function setup(database: Database, o: Parameters<typeof mediaDispatcher>[2] = {}) {
  dir = await mkdtemp(join(tmpdir(), "media-local-"));
  const store = createLocalStore({ dir, baseUrl: () => BASE });
  const repo = createVideoRepository(database);
  const videos = createVideoService(repo, { limits: LIMITS });
  const lines: string[] = [];
  const app = createApp({
    videos,
    logger: createLogger("debug", (line) => lines.push(line)),
    limits: { generationsPerMinute: 10_000, statusPerMinute: 10_000 },
    allowed: TEST_ALLOWED,
    media: store,
  });
  const d = mediaDispatcher(database, store, { ...o, onChange: (id) => videos.changed(id) });
  const status = async (id: number) => {
    const res = await app.request(`/get_status?${new URLSearchParams({ video_id: String(id), ...OWNER })}`);
    return (await res.json()) as { url?: string; status?: string };
  };
  /** A path of ours (`/media/…`) from a URL get_status answered. */
  const mediaPath = (url: string) => {
    expect(url.startsWith(`${BASE}/media/`)).toBe(true);
    return url.slice(BASE.length);
  };
  return { ...d, store, app, status, mediaPath, requestLines: lines };
}

async function submitted(database: Database, s: Awaited<ReturnType<typeof setup>>): Promise<number> {
  const [out] = await createVideoRepository(database).insertBatch([t2v()], LIMITS);
  const id = out!.ok ? out!.id : -1;
  await s.dispatcher.runOnce();
  return id;
}

/** Poll rounds until the job has ended (the copier ends it), for at most 10 s. */
async function settle(s: Awaited<ReturnType<typeof setup>>, id: number): Promise<void> {
  const until = Date.now() + 10_000;
  while (Date.now() < until) {
    await s.copier!.idle();
    const job = await s.repo.findJob(id);
    if (job?.state !== "generating") return;
    await Bun.sleep(15);
    await s.dispatcher.runOnce();
  }
}

/** The job fails (its deadline, some time ago) and the operator puts it back in the queue (/admin). */
async function failAndRequeue(database: Database, s: Awaited<ReturnType<typeof setup>>, id: number): Promise<void> {
  expect(await s.repo.finish(id, "failed", { errorCode: "deadline" })).toBe(true);
  await database.db.execute(sql`update videos set finished_at = now() - interval '1 hour' where id = ${id}`);
  expect(await createAdminQueries(database.db).requeueFailed(id, 30)).toBe("requeued");
}

describeEachDatabase("MEDIA_STORE=local", (db) => {
  test("answers our /media URL only once the copy exists, and it serves Pixverse's exact MP4 and first frame", async () => {
    const s = await setup(db());
    const id = await submitted(db(), s);
    await s.finishAtPixverse(id, origin);
    origin.hold();
    await s.dispatcher.runOnce();
    // Pixverse is done, the copy is under way: still Generating, no file yet.
    expect(await s.status(id)).toEqual({ status: "Generating" });
    const job = await s.repo.findJob(id);
    expect(job?.state).toBe("generating");
    expect(job?.mediaKey).toMatch(/^[0-9a-f]{2}\/\d+-[0-9a-f]{32}$/);
    expect(existsSync(join(dir, `${job!.mediaKey}.mp4`))).toBe(false);
    origin.release();
    await settle(s, id);

    const answer = await s.status(id);
    expect(answer.url).toBe(`${BASE}/media/${job!.mediaKey}.mp4`);
    const video = await s.app.request(s.mediaPath(answer.url!));
    expect(video.status).toBe(200);
    expect(video.headers.get("content-type")).toBe("video/mp4");
    expect(same(new Uint8Array(await video.arrayBuffer()), SAMPLE_MP4)).toBe(true);
    const frame = await s.app.request(s.mediaPath(answer.url!).replace(/\.mp4$/, ".jpg"));
    expect(frame.status).toBe(200);
    expect(frame.headers.get("content-type")).toBe("image/jpeg");
    expect(same(new Uint8Array(await frame.arrayBuffer()), SAMPLE_JPG)).toBe(true);

    const row = (await db().db.execute(sql`select state, result_url, pixverse_url, first_frame_url, media_key from videos where id = ${id}`)).rows[0] as Record<string, string>;
    expect(row.state).toBe("succeeded");
    expect(row.pixverse_url).toBe(`${origin.url}/v/${job!.pixverseVideoId}.mp4`);
    expect(row.first_frame_url).toBe(`${origin.url}/f/${job!.pixverseVideoId}.jpg`);
    expect(row.media_key).toBe(job!.mediaKey!);
    // Requests to /media get the request log line, labelled with the route.
    const logged = s.requestLines.map((l) => JSON.parse(l)).filter((l) => l.msg === "request" && String(l.path).startsWith("/media/"));
    expect(logged.map((l) => l.status)).toEqual([200, 200]);
  });

  test("retries a failed download and records the attempts", async () => {
    const s = await setup(db());
    const id = await submitted(db(), s);
    await s.finishAtPixverse(id, origin);
    origin.fail(2, 503);
    await s.dispatcher.runOnce();
    await settle(s, id);
    const job = await s.repo.findJob(id);
    expect(job?.state).toBe("succeeded");
    expect((await s.status(id)).url).toBe(`${BASE}/media/${job!.mediaKey}.mp4`);
    const [row] = (await db().db.execute(sql`select media_attempts from videos where id = ${id}`)).rows as { media_attempts: number }[];
    expect(Number(row!.media_attempts)).toBe(2);
    expect(s.lines.filter((l) => l.msg === "video copy failed; will try again")).toHaveLength(2);
    const served = await s.app.request(s.mediaPath((await s.status(id)).url!));
    expect(same(new Uint8Array(await served.arrayBuffer()), SAMPLE_MP4)).toBe(true);
  });

  test("refuses a download that is not an MP4 (an error page answered with 200) and keeps the job generating", async () => {
    const s = await setup(db());
    const id = await submitted(db(), s);
    await s.finishAtPixverse(id, origin);
    origin.body = new TextEncoder().encode("<html>maintenance</html>");
    await s.dispatcher.runOnce();
    await s.copier!.idle();
    expect((await s.repo.findJob(id))?.state).toBe("generating");
    expect(await s.status(id)).toEqual({ status: "Generating" });
    expect(s.lines.some((l) => l.msg === "video copy failed; will try again" && String(l.error).includes("not a mp4"))).toBe(true);
  });

  test("delivers Pixverse's URL rather than fail a finished video whose copy cannot be made before its deadline", async () => {
    // Every attempt fails; the job's deadline is close (its copy grace is 2 × 100 ms + 20 ms).
    const s = await setup(db(), { timeoutMs: 100, deadlineMarginMs: 0, backoffBaseMs: 20 });
    const id = await submitted(db(), s);
    // Close, but far enough that a loaded machine reaches Pixverse's "done" before it (0.6 s and 2 s were
    // missed in CI, the job failing at its deadline before the poll saw it done).
    await db().db.execute(sql`update videos set deadline_at = now() + interval '4 seconds' where id = ${id}`);
    await s.finishAtPixverse(id, origin);
    origin.fail(1_000_000, 500);
    await s.dispatcher.runOnce();
    await settle(s, id);
    const job = await s.repo.findJob(id);
    expect(job?.state).toBe("succeeded");
    expect(job?.mediaKey).toBeNull();
    expect((await s.status(id)).url).toBe(`${origin.url}/v/${job!.pixverseVideoId}.mp4`);
    expect(s.lines.some((l) => l.level === "error" && l.msg === "video not copied before its deadline; answering Pixverse's URL")).toBe(true);
  });

  test("a deletion or moderation at Pixverse after delivery leaves our copy delivered (and says so once)", async () => {
    const s = await setup(db());
    const id = await submitted(db(), s);
    const pid = await s.finishAtPixverse(id, origin);
    await s.dispatcher.runOnce();
    await settle(s, id);
    const delivered = await s.status(id);
    expect(delivered.url).toStartWith(`${BASE}/media/`);
    s.generator.set(pid, 6); // Pixverse: deleted
    await s.dispatcher.runOnce();
    s.generator.set(pid, 7); // Pixverse: moderated
    await s.dispatcher.runOnce();
    expect(await s.status(id)).toEqual(delivered);
    expect((await s.repo.findJob(id))?.state).toBe("succeeded");
    expect(s.lines.filter((l) => l.msg === "Pixverse changed a delivered video; our copy is still answered").map((l) => l.change)).toEqual(["deleted"]);
    const served = await s.app.request(s.mediaPath(delivered.url!));
    expect(served.status).toBe(200);
  });

  /** Without a store: a job delivered with Pixverse's URL, and how to change what Pixverse says of it. */
  async function deliveredWithoutStore(d = mediaDispatcher(db(), null)) {
    const [out] = await d.repo.insertBatch([t2v()], LIMITS);
    const id = out!.ok ? out!.id : -1;
    await d.dispatcher.runOnce();
    const pid = await d.finishAtPixverse(id, origin);
    await d.dispatcher.runOnce();
    expect((await d.repo.findJob(id))?.state).toBe("succeeded");
    /** Pixverse reports `status` (and `url`) for it; the job's state after one more round. */
    const stateAfter = async (status: number, url: string | null = null) => {
      d.generator.set(pid, status, url);
      await d.dispatcher.runOnce();
      return (await d.repo.findJob(id))?.state;
    };
    return { ...d, id, pid, stateAfter };
  }

  test("without a store, a deletion at Pixverse after delivery still changes the answer to Deleted", async () => {
    const delivered = await deliveredWithoutStore();
    expect(origin.hits).toEqual([]);
    expect(await delivered.stateAfter(6)).toBe("deleted");
  });

  test("a delivered video whose output Pixverse later swaps for its placeholder is moderated (the delivered URL is dead)", async () => {
    const delivered = await deliveredWithoutStore();
    expect(await delivered.stateAfter(1, "https://media.pixverse.ai/pixverse%2Fmedia%2Fdefault.mp4")).toBe("moderated");
    // Another status-1 answer with a real URL changes nothing.
    const other = await deliveredWithoutStore(delivered);
    expect(await other.stateAfter(1, `${origin.url}/v/${other.pid}.mp4`)).toBe("succeeded");
  });

  test("copies the video without its first frame when the frame is not a JPEG", async () => {
    const s = await setup(db());
    const id = await submitted(db(), s);
    await s.finishAtPixverse(id, origin);
    origin.frame = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]); // a PNG's signature
    await s.dispatcher.runOnce();
    await settle(s, id);
    const url = (await s.status(id)).url!;
    expect((await s.app.request(s.mediaPath(url))).status).toBe(200);
    expect((await s.app.request(s.mediaPath(url).replace(/\.mp4$/, ".jpg"))).status).toBe(404);
    expect(s.lines.some((l) => l.msg === "first frame not copied" && String(l.error).includes("not a jpg"))).toBe(true);
    expect(s.lines.some((l) => l.msg === "video copy failed; will try again")).toBe(false);
  });

  for (const [what, frame] of [
    ["refused (HTTP 403)", 403],
    ["gone (HTTP 404)", 404],
    ["gone (HTTP 410)", 410],
    ["a malformed URL", "not a url"],
  ] as const) {
    test(`copies the video without its first frame, at once, when the frame is ${what}`, async () => {
      const s = await setup(db());
      const id = await submitted(db(), s);
      if (typeof frame === "number") origin.frameStatus = frame;
      await s.finishAtPixverse(id, origin, typeof frame === "string" ? frame : true);
      await s.dispatcher.runOnce();
      await settle(s, id);
      const job = await s.repo.findJob(id);
      expect(job?.state).toBe("succeeded");
      expect(job?.mediaKey).not.toBeNull();
      const url = (await s.status(id)).url!;
      expect(url).toBe(`${BASE}/media/${job!.mediaKey}.mp4`);
      expect((await s.app.request(s.mediaPath(url))).status).toBe(200);
      expect((await s.app.request(s.mediaPath(url).replace(/\.mp4$/, ".jpg"))).status).toBe(404);
      expect(s.lines.some((l) => l.level === "warn" && l.msg === "first frame not copied")).toBe(true);
      expect(s.lines.some((l) => l.msg === "video copy failed; will try again")).toBe(false);
    });
  }

  test("retries a first frame that fails on the network, and on the copy's last attempt copies the video without it", async () => {
    // Every frame download is refused (nothing listens on port 9); the deadline leaves room for a few attempts.
    const s = await setup(db(), { timeoutMs: 100, deadlineMarginMs: 0, backoffBaseMs: 20 });
    const id = await submitted(db(), s);
    // Close, but far enough that a loaded machine reaches Pixverse's "done" before it (0.6 s and 2 s were
    // missed in CI, the job failing at its deadline before the poll saw it done).
    await db().db.execute(sql`update videos set deadline_at = now() + interval '4 seconds' where id = ${id}`);
    await s.finishAtPixverse(id, origin, "http://127.0.0.1:9/f/1.jpg");
    await s.dispatcher.runOnce();
    await settle(s, id);
    const job = await s.repo.findJob(id);
    expect(job?.state).toBe("succeeded");
    expect(job?.mediaKey).not.toBeNull();
    const url = (await s.status(id)).url!;
    expect(url).toBe(`${BASE}/media/${job!.mediaKey}.mp4`);
    expect((await s.app.request(s.mediaPath(url).replace(/\.mp4$/, ".jpg"))).status).toBe(404);
    const retried = s.lines.filter((l) => l.msg === "video copy failed; will try again");
    expect(retried.length).toBeGreaterThanOrEqual(1);
    expect(s.lines.some((l) => l.msg === "first frame not copied" && l.no_attempt_left === true)).toBe(true);
    expect(s.lines.some((l) => l.msg === "video not copied before its deadline; answering Pixverse's URL")).toBe(false);
  });

  test("a copy that ends after its job was failed and requeued does not end the requeued run", async () => {
    const s = await setup(db());
    const id = await submitted(db(), s);
    const oldPid = await s.finishAtPixverse(id, origin);
    origin.hold();
    await s.dispatcher.runOnce();
    const old = (await s.repo.findJob(id))!;
    // Meanwhile the job fails (its deadline) and the operator puts it back in the queue: a new Pixverse video.
    await failAndRequeue(db(), s, id);
    await s.dispatcher.runOnce();
    const requeued = (await s.repo.findJob(id))!;
    expect(requeued.state).toBe("generating");
    expect(requeued.pixverseVideoId).not.toBe(oldPid);
    origin.release();
    await s.copier!.idle();
    // The stale copy wrote its files, but the new run is still generating, with no URL.
    expect((await s.repo.findJob(id))?.state).toBe("generating");
    expect(await s.status(id)).toEqual({ status: "Generating" });
    // The new video gets its own copy.
    const newPid = await s.finishAtPixverse(id, origin);
    await s.dispatcher.runOnce();
    await settle(s, id);
    const done = (await s.repo.findJob(id))!;
    expect(done.state).toBe("succeeded");
    expect(done.mediaKey).not.toBeNull();
    expect(done.mediaKey).not.toBe(old.mediaKey);
    expect((await s.status(id)).url).toBe(`${BASE}/media/${done.mediaKey}.mp4`);
    const [row] = (await db().db.execute(sql`select pixverse_url from videos where id = ${id}`)).rows as { pixverse_url: string }[];
    expect(row!.pixverse_url).toBe(`${origin.url}/v/${newPid}.mp4`);
  });

  test("a requeued job's new video gets a fresh copy, not the state of the old run's failed one", async () => {
    const s = await setup(db());
    const id = await submitted(db(), s);
    await s.finishAtPixverse(id, origin);
    origin.fail(1_000_000, 500);
    await s.dispatcher.runOnce();
    await s.copier!.idle();
    expect(s.lines.some((l) => l.msg === "video copy failed; will try again")).toBe(true);
    await failAndRequeue(db(), s, id);
    origin.fail(0);
    await s.dispatcher.runOnce();
    const newPid = await s.finishAtPixverse(id, origin);
    await Bun.sleep(20);
    await s.dispatcher.runOnce();
    await settle(s, id);
    const done = (await s.repo.findJob(id))!;
    expect(done.state).toBe("succeeded");
    expect((await s.status(id)).url).toBe(`${BASE}/media/${done.mediaKey}.mp4`);
    // Recorded by the new run's first sight: Pixverse's URL of the new video, a fresh attempt count.
    const [row] = (await db().db.execute(sql`select pixverse_url, media_attempts from videos where id = ${id}`)).rows as { pixverse_url: string; media_attempts: number }[];
    expect(row!.pixverse_url).toBe(`${origin.url}/v/${newPid}.mp4`);
    expect(Number(row!.media_attempts)).toBe(0);
  });

  test("copies a video without a first frame when Pixverse gives none", async () => {
    const s = await setup(db());
    const id = await submitted(db(), s);
    await s.finishAtPixverse(id, origin, false);
    await s.dispatcher.runOnce();
    await settle(s, id);
    const url = (await s.status(id)).url!;
    expect((await s.app.request(s.mediaPath(url))).status).toBe(200);
    expect((await s.app.request(s.mediaPath(url).replace(/\.mp4$/, ".jpg"))).status).toBe(404);
  });
});

describeEachDatabase("GET /media", (db) => {
  let store: LocalStore;
  let app: ReturnType<typeof createApp>;
  const NAME = "ab/12-0123456789abcdef0123456789abcdef";
  const bytes = Uint8Array.from({ length: 1000 }, (_, i) => i % 251);

  async function serve() {
    dir = await mkdtemp(join(tmpdir(), "media-serve-"));
    store = createLocalStore({ dir, baseUrl: () => BASE });
    const stream = new Response(bytes).body!;
    await store.put(`${NAME}.mp4`, stream, "mp4");
    const videos = createVideoService(createVideoRepository(db()), { limits: LIMITS });
    app = createApp({ videos, logger: createLogger("silent"), limits: { generationsPerMinute: 10, statusPerMinute: 10 }, allowed: TEST_ALLOWED, media: store });
  }

  test("serves a file whole with long immutable caching, an ETag and 304 for a matching If-None-Match", async () => {
    await serve();
    const res = await app.request(`/media/${NAME}.mp4`);
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    expect(res.headers.get("accept-ranges")).toBe("bytes");
    expect(res.headers.get("content-length")).toBe("1000");
    expect(res.headers.get("x-request-id")).toBeTruthy();
    expect(same(new Uint8Array(await res.arrayBuffer()), bytes)).toBe(true);
    const etag = res.headers.get("etag")!;
    expect(etag).toMatch(/^"[0-9a-f]+-[0-9a-f]+"$/);
    const again = await app.request(`/media/${NAME}.mp4`, { headers: { "if-none-match": etag } });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe("");
  });

  test("answers one byte range with 206 and Content-Range: a span, an open end and a suffix", async () => {
    await serve();
    const part = async (range: string) => {
      const res = await app.request(`/media/${NAME}.mp4`, { headers: { range } });
      return { status: res.status, range: res.headers.get("content-range"), length: res.headers.get("content-length"), body: new Uint8Array(await res.arrayBuffer()) };
    };
    const span = await part("bytes=10-19");
    expect(span).toMatchObject({ status: 206, range: "bytes 10-19/1000", length: "10" });
    expect(same(span.body, bytes.slice(10, 20))).toBe(true);
    const open = await part("bytes=990-");
    expect(open).toMatchObject({ status: 206, range: "bytes 990-999/1000" });
    expect(same(open.body, bytes.slice(990))).toBe(true);
    const suffix = await part("bytes=-5");
    expect(suffix).toMatchObject({ status: 206, range: "bytes 995-999/1000" });
    expect(same(suffix.body, bytes.slice(995))).toBe(true);
    const past = await part("bytes=900-5000");
    expect(past).toMatchObject({ status: 206, range: "bytes 900-999/1000" });
    // Not one valid byte range: the whole file, as RFC 9110 allows.
    expect((await part("bytes=0-1,5-6")).status).toBe(200);
    expect((await part("items=0-1")).status).toBe(200);
  });

  test("a range past the end is 416 with the file's length in Content-Range, as JSON", async () => {
    await serve();
    const res = await app.request(`/media/${NAME}.mp4`, { headers: { range: "bytes=1000-" } });
    expect(res.status).toBe(416);
    expect(res.headers.get("content-range")).toBe("bytes */1000");
    // An error is not the file: neither cached for a year nor given the file's ETag.
    expect(res.headers.get("cache-control")).toBeNull();
    expect(res.headers.get("etag")).toBeNull();
    expect(await res.json()).toEqual({ error: "range_not_satisfiable", message: "the range is outside the file" });
  });

  test("HEAD gives the headers without the body", async () => {
    await serve();
    const res = await app.request(`/media/${NAME}.mp4`, { method: "HEAD" });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-length")).toBe("1000");
    expect(res.headers.get("content-type")).toBe("video/mp4");
    expect((await res.arrayBuffer()).byteLength).toBe(0);
  });

  test("anything that is not exactly one of our names is a JSON 404, never a file outside the folder", async () => {
    await serve();
    for (const path of [
      `/media/${NAME}.jpg`, // ours in form, not written
      "/media/ab/12-0123456789abcdef0123456789abcdeX.mp4",
      "/media/ab/12-0123456789abcdef0123456789abcdef.txt",
      "/media/..%2F..%2Fetc/passwd",
      "/media/%2e%2e/%2e%2e%2fetc%2fpasswd",
      "/media/ab/..%2F..%2F..%2Fetc%2Fpasswd",
      `/media/${NAME}.mp4.part-1234`,
      // A written file's name with one character escaped: one spelling per file.
      `/media/${NAME.replace("12-", "%31%32-")}.mp4`,
      `/media/${NAME.replace("/", "%2F")}.mp4`,
    ]) {
      const res = await app.request(path);
      expect(res.status, path).toBe(404);
      expect((await res.json()).error, path).toBe("not_found");
    }
  });

  test("another method on a file's URL is a JSON 405 with Allow", async () => {
    await serve();
    for (const method of ["POST", "PUT", "DELETE"]) {
      const res = await app.request(`/media/${NAME}.mp4`, { method });
      expect((await res.json()).error, method).toBe("method_not_allowed");
      expect(res.status).toBe(405);
      expect(res.headers.get("allow")).toBe("GET, HEAD");
    }
  });

  test("the route exists only with the local store", async () => {
    const videos = createVideoService(createVideoRepository(db()), { limits: LIMITS });
    const plain = createApp({ videos, logger: createLogger("silent"), limits: { generationsPerMinute: 10, statusPerMinute: 10 }, allowed: TEST_ALLOWED });
    expect((await plain.request(`/media/${NAME}.mp4`)).status).toBe(404);
    await serve();
    type Doc = { paths: Record<string, { get: { responses: Record<string, { content?: Record<string, { schema: unknown }> }> } }> };
    const doc = (await (await app.request("/openapi.json")).json()) as Doc;
    // The file's answers say what they carry: the bytes of an MP4 or a JPEG.
    const answers = doc.paths["/media/{dir}/{file}"]!.get.responses;
    for (const status of ["200", "206"]) {
      expect(Object.keys(answers[status]!.content ?? {}).sort(), status).toEqual(["image/jpeg", "video/mp4"]);
      expect(answers[status]!.content!["video/mp4"]!.schema).toEqual({ type: "string", format: "binary" });
    }
  });
});
