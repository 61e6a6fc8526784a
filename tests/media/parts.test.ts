// The media parts on their own: names, byte ranges, the bounded and checked download, the local store's
// all-or-nothing write, and what MEDIA_STORE=local needs from the configuration.
import { afterAll, expect, test } from "bun:test";
import { existsSync, readdirSync } from "node:fs";
import { mkdir, mkdtemp, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../../src/config.ts";
import { checkedStream, download, DownloadError } from "../../src/media/download.ts";
import { mediaName, newMediaKey, parseMediaName } from "../../src/media/keys.ts";
import { createLocalStore } from "../../src/media/local.ts";
import { createLogger } from "../../src/log.ts";
import { createMedia, listeningBase } from "../../src/media/media.ts";
import { parseRange } from "../../src/media/range.ts";
import { SAMPLE_JPG, SAMPLE_MP4, startOrigin } from "./helpers.ts";

const dirs: string[] = [];
const origin = startOrigin();
afterAll(async () => {
  await origin.stop();
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

const streamOf = (...chunks: Uint8Array[]) =>
  new ReadableStream<Uint8Array>({
    start(c) {
      for (const chunk of chunks) c.enqueue(chunk);
      c.close();
    },
  });
const drain = async (s: ReadableStream<Uint8Array>) => new Uint8Array(await new Response(s).arrayBuffer());

test("a key is unguessable from the video id, and only exact names of ours parse", () => {
  const a = newMediaKey(42);
  const b = newMediaKey(42);
  expect(a).not.toBe(b);
  expect(a).toMatch(/^[0-9a-f]{2}\/42-[0-9a-f]{32}$/);
  expect(a.slice(0, 2)).toBe(a.split("-")[1]!.slice(0, 2));
  expect(parseMediaName(mediaName(a, "mp4"))).toEqual({ name: `${a}.mp4`, kind: "mp4" });
  expect(parseMediaName(mediaName(a, "jpg"))?.kind).toBe("jpg");
  for (const bad of [`${a}.png`, `../${a}.mp4`, `${a}.mp4/..`, `ab/0-${"0".repeat(32)}.mp4`, `AB/1-${"0".repeat(32)}.mp4`, `ab/1-${"0".repeat(31)}.mp4`]) {
    expect(parseMediaName(bad)).toBeNull();
  }
});

test("byte ranges: one valid range is served, one past the end is unsatisfiable, anything else is the whole file", () => {
  expect(parseRange(undefined, 100)).toEqual({ kind: "whole" });
  expect(parseRange("bytes=0-0", 100)).toEqual({ kind: "part", start: 0, end: 0 });
  expect(parseRange("bytes=50-", 100)).toEqual({ kind: "part", start: 50, end: 99 });
  expect(parseRange("bytes=-200", 100)).toEqual({ kind: "part", start: 0, end: 99 });
  expect(parseRange("bytes=90-1000", 100)).toEqual({ kind: "part", start: 90, end: 99 });
  expect(parseRange("bytes=100-", 100)).toEqual({ kind: "unsatisfiable" });
  expect(parseRange("bytes=-0", 100)).toEqual({ kind: "unsatisfiable" });
  expect(parseRange("bytes=5-1", 100)).toEqual({ kind: "whole" });
  expect(parseRange("bytes=-", 100)).toEqual({ kind: "whole" });
  expect(parseRange("bytes=0-1, 4-5", 100)).toEqual({ kind: "whole" });
});

test("a checked stream passes a real MP4 and JPEG through unchanged, even when the first bytes come in pieces", async () => {
  const pieces = [SAMPLE_MP4.slice(0, 3), SAMPLE_MP4.slice(3, 6), SAMPLE_MP4.slice(6)];
  expect(Buffer.from(await drain(checkedStream(streamOf(...pieces), "mp4", 1 << 20))).equals(Buffer.from(SAMPLE_MP4))).toBe(true);
  expect(Buffer.from(await drain(checkedStream(streamOf(SAMPLE_JPG), "jpg", 1 << 20))).equals(Buffer.from(SAMPLE_JPG))).toBe(true);
});

test("a checked stream fails on the wrong kind of file, a too short one, and past the size limit", async () => {
  await expect(drain(checkedStream(streamOf(SAMPLE_JPG), "mp4", 1 << 20))).rejects.toThrow("not a mp4 file");
  await expect(drain(checkedStream(streamOf(SAMPLE_MP4), "jpg", 1 << 20))).rejects.toThrow("not a jpg file");
  await expect(drain(checkedStream(streamOf(SAMPLE_MP4.slice(0, 4)), "mp4", 1 << 20))).rejects.toThrow("not a mp4 file");
  await expect(drain(checkedStream(streamOf(SAMPLE_MP4.slice(0, 4000), SAMPLE_MP4.slice(4000)), "mp4", 5000))).rejects.toThrow("larger than 5000 bytes");
});

test("a download refuses an error status and a Content-Length over the limit before reading the body", async () => {
  const signal = AbortSignal.timeout(5000);
  origin.fail(1, 404);
  await expect(download(`${origin.url}/v/1.mp4`, "mp4", { maxBytes: 1 << 20, signal })).rejects.toThrow("answered HTTP 404");
  const err = await download(`${origin.url}/v/1.mp4`, "mp4", { maxBytes: 100, signal }).catch((e) => e);
  expect(err).toBeInstanceOf(DownloadError);
  expect(String(err.message)).toContain(`Content-Length ${SAMPLE_MP4.length}`);
  // A refused connection names its kind, never the URL.
  const closed = await download("http://127.0.0.1:9/v/1.mp4", "mp4", { maxBytes: 100, signal }).catch((e) => e);
  expect(closed).toBeInstanceOf(DownloadError);
  expect(String(closed.message)).not.toContain("127.0.0.1");
});

test("the local store writes a file whole or not at all", async () => {
  const dir = await mkdtemp(join(tmpdir(), "media-store-"));
  dirs.push(dir);
  const store = createLocalStore({ dir, baseUrl: () => "https://api.example.com" });
  const key = newMediaKey(7);
  const cut = new ReadableStream<Uint8Array>({
    start(c) {
      c.enqueue(SAMPLE_MP4.slice(0, 100));
      c.error(new DownloadError("cut off"));
    },
  });
  await expect(store.put(mediaName(key, "mp4"), cut, "mp4")).rejects.toThrow("cut off");
  expect(existsSync(join(dir, mediaName(key, "mp4")))).toBe(false);
  expect(readdirSync(join(dir, key.slice(0, 2)))).toEqual([]);
  await store.put(mediaName(key, "mp4"), streamOf(SAMPLE_MP4), "mp4");
  expect(Buffer.from(await Bun.file(join(dir, mediaName(key, "mp4"))).bytes()).equals(Buffer.from(SAMPLE_MP4))).toBe(true);
  expect(store.urlOf(mediaName(key, "mp4"))).toBe(`https://api.example.com/media/${key}.mp4`);
  await expect(store.put("../escape.mp4", streamOf(SAMPLE_MP4), "mp4")).rejects.toThrow("not a media name");
});

test("the local store stops a write when its signal aborts (the copy's time-out), leaving no file", async () => {
  const dir = await mkdtemp(join(tmpdir(), "media-store-"));
  dirs.push(dir);
  const store = createLocalStore({ dir, baseUrl: () => "https://api.example.com" });
  const key = newMediaKey(8);
  // A body that never ends (a media host that stops sending).
  const endless = new ReadableStream<Uint8Array>({
    start(c) {
      c.enqueue(SAMPLE_MP4.slice(0, 100));
    },
  });
  const started = Date.now();
  const outcome = await Promise.race([
    store.put(mediaName(key, "mp4"), endless, "mp4", AbortSignal.timeout(100)).then(
      () => "written",
      (e: Error) => e.name,
    ),
    Bun.sleep(3000).then(() => "hung"),
  ]);
  expect(outcome).toBe("TimeoutError");
  expect(Date.now() - started).toBeLessThan(1000);
  expect(readdirSync(join(dir, key.slice(0, 2)))).toEqual([]);
  // Already aborted: nothing is written.
  const stopped = new AbortController();
  stopped.abort();
  await expect(store.put(mediaName(key, "mp4"), streamOf(SAMPLE_MP4), "mp4", stopped.signal)).rejects.toThrow();
  expect(readdirSync(join(dir, key.slice(0, 2)))).toEqual([]);
});

test("the local store removes the temporary files a killed process left behind, and only those", async () => {
  const dir = await mkdtemp(join(tmpdir(), "media-store-"));
  dirs.push(dir);
  const key = newMediaKey(9);
  const sub = join(dir, key.slice(0, 2));
  await mkdir(sub, { recursive: true });
  const complete = join(dir, mediaName(key, "mp4"));
  const stale = `${complete}.part-0badf00d`;
  const staleFrame = join(dir, "ff", "3-0123456789abcdef0123456789abcdef.jpg.part-12345678");
  const fresh = `${complete}.part-0000beef`; // a copy still writing (another instance on a shared folder)
  await mkdir(join(dir, "ff"));
  for (const f of [complete, stale, staleFrame, fresh]) await writeFile(f, "x");
  const hourAgo = new Date(Date.now() - 3600_000);
  for (const f of [complete, stale, staleFrame]) await utimes(f, hourAgo, hourAgo);
  await writeFile(join(dir, "README"), "not ours");

  const store = createLocalStore({ dir, baseUrl: () => "https://api.example.com" });
  expect(await store.removeStalePartials(60_000)).toBe(2);
  expect([existsSync(complete), existsSync(stale), existsSync(staleFrame), existsSync(fresh)]).toEqual([true, false, false, true]);
  expect(existsSync(join(dir, "README"))).toBe(true);
  // A folder that does not exist yet (first start) is nothing to clean.
  expect(await createLocalStore({ dir: join(dir, "none"), baseUrl: () => "" }).removeStalePartials(0)).toBe(0);

  // At start (createMedia), older than the copy's time-out.
  await utimes(fresh, hourAgo, hourAgo);
  const lines: Record<string, unknown>[] = [];
  const copy = { maxBytes: 1 << 20, timeoutMs: 5000, concurrency: 1 };
  createMedia({ store: "local", dir, publicUrl: "https://api.example.com", copy }, { db: {} as never, logger: createLogger("debug", (l) => lines.push(JSON.parse(l))), listening: () => "" });
  const until = Date.now() + 2000;
  while (existsSync(fresh) && Date.now() < until) await Bun.sleep(10);
  expect(existsSync(fresh)).toBe(false);
  expect(existsSync(complete)).toBe(true);
});

test("MEDIA_STORE=local needs PUBLIC_URL outside demo mode; the demo links to where the service listens", () => {
  const account = { EMAIL: "a@example.com", PASSWORD: "secret-password" };
  expect(() => loadConfig({ MEDIA_STORE: "local", ...account })).toThrow("PUBLIC_URL");
  const real = loadConfig({ MEDIA_STORE: "local", PUBLIC_URL: "https://api.example.com/", ...account }).media;
  expect(real).toMatchObject({ store: "local", publicUrl: "https://api.example.com", dir: "./data/media" });
  expect(loadConfig({ MEDIA_STORE: "local" }).media).toMatchObject({ store: "local", publicUrl: null });
  expect(loadConfig({}).media).toEqual({ store: "off" });
  expect(() => loadConfig({ MEDIA_STORE: "disk" })).toThrow("MEDIA_STORE");
  expect(listeningBase("0.0.0.0", 3000)).toBe("http://127.0.0.1:3000");
  expect(listeningBase("::", 3000)).toBe("http://127.0.0.1:3000");
  expect(listeningBase("10.1.2.3", 8080)).toBe("http://10.1.2.3:8080");
  expect(listeningBase("fd00::1", 8080)).toBe("http://[fd00::1]:8080");
});
