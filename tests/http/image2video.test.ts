// POST /image2video against the contract: the type is decided by the bytes, the size limits hold to the byte
// and to the pixel, and a huge body is refused without being read. One PGlite for the file.
import { describe, expect, test } from "bun:test";
import { UPLOAD_MAX_BYTES } from "../../src/domain/limits.ts";
import { buildApp, jsonPost } from "../support/app.ts";
import { bmp, gif, jpeg, png, progressiveJpeg, svg, webp, withTrailer } from "../support/images.ts";
import { appWith, expectError, expectInvalid, multipartPost, recordingVideos, sharedPglite, uniqueOwner, urlencodedPost, videoIdOf } from "./helpers.ts";

const db = sharedPglite();
const MiB = 1024 * 1024;

function fields(overrides: Record<string, string> = {}): Record<string, string> {
  return { prompt: "the cat waves", ...uniqueOwner(), ...overrides };
}

function upload(bytes: Uint8Array, name = "photo.png", type = "image/png", extra: Record<string, string> = {}): [string, RequestInit] {
  return multipartPost("/image2video", fields(extra), { name, bytes, type });
}

describe("POST /image2video accepted images", () => {
  test("accepts a PNG named photo.jpg and declared image/jpeg, and stores its bytes as a PNG", async () => {
    const { app, repo } = buildApp(db());
    const bytes = png(64, 48);
    const id = await videoIdOf(await app.request(...upload(bytes, "photo.jpg", "image/jpeg")));
    const image = await repo.loadImage(id);
    expect(image).toMatchObject({ type: "png", width: 64, height: 48 });
    expect(Buffer.from(image!.bytes).equals(Buffer.from(bytes))).toBe(true);
    expect(await repo.findJob(id)).toMatchObject({ kind: "i2v", prompt: "the cat waves", state: "queued" });
  });

  test("accepts a JPEG", async () => {
    const { app, repo } = buildApp(db());
    const id = await videoIdOf(await app.request(...upload(jpeg(320, 240), "cat.jpeg", "image/jpeg")));
    expect(await repo.loadImage(id)).toMatchObject({ type: "jpg", width: 320, height: 240 });
  });

  test("accepts a WEBP whatever its declared name and type", async () => {
    const { app, repo } = buildApp(db());
    const id = await videoIdOf(await app.request(...upload(webp(300, 200), "cat.txt", "text/plain")));
    expect(await repo.loadImage(id)).toMatchObject({ type: "webp", width: 300, height: 200 });
  });

  test("accepts a JPEG with an MP4 after its end marker (a motion photo), and stores the JPEG alone", async () => {
    const { app, repo } = buildApp(db());
    const photo = jpeg(320, 240);
    const id = await videoIdOf(await app.request(...upload(withTrailer(photo, 64 * 1024), "motion.jpg", "image/jpeg")));
    const image = await repo.loadImage(id);
    expect(image).toMatchObject({ type: "jpg", width: 320, height: 240 });
    expect(Buffer.from(image!.bytes).equals(Buffer.from(photo))).toBe(true);
  });

  test("accepts a progressive JPEG with an EXIF thumbnail, restart markers and bytes after it, and stores it up to its own end", async () => {
    const { app, repo } = buildApp(db());
    const photo = progressiveJpeg(640, 480);
    const id = await videoIdOf(await app.request(...upload(withTrailer(photo, 5000), "camera.jpg", "image/jpeg")));
    const image = await repo.loadImage(id);
    expect(image).toMatchObject({ type: "jpg", width: 640, height: 480 });
    expect(Buffer.from(image!.bytes).equals(Buffer.from(photo))).toBe(true);
  });

  test("accepts a PNG and a WEBP with bytes after their end, and stores each up to its own end", async () => {
    const { app, repo } = buildApp(db());
    for (const [bytes, type] of [[png(64, 48), "png"], [webp(300, 200), "webp"]] as const) {
      const id = await videoIdOf(await app.request(...upload(withTrailer(bytes, 1000), `a.${type}`, `image/${type}`)));
      const image = await repo.loadImage(id);
      expect(image?.type).toBe(type);
      expect(Buffer.from(image!.bytes).equals(Buffer.from(bytes))).toBe(true);
    }
  });

  test("accepts a PNG of exactly 4000 × 4000 pixels", async () => {
    const { app, repo } = buildApp(db());
    const id = await videoIdOf(await app.request(...upload(png(4000, 4000))));
    expect(await repo.loadImage(id)).toMatchObject({ width: 4000, height: 4000 });
  }, 30_000);

  test("accepts a PNG of 20 MiB minus one byte with the longest legal fields around it, and hands all of it on", async () => {
    const videos = recordingVideos();
    const bytes = png(10, 10, UPLOAD_MAX_BYTES - 1);
    expect(bytes.byteLength).toBe(20 * MiB - 1);
    const longest = { prompt: "😀".repeat(2048), app_bundle_id: "🦊".repeat(255), apphud_user_id: "ж".repeat(255) };
    const res = await appWith(videos).request(...multipartPost("/image2video", longest, { name: `${"x".repeat(200)}.png`, bytes }));
    await videoIdOf(res);
    expect(videos.created[0]?.image?.bytes.byteLength).toBe(20 * MiB - 1);
    expect(videos.created[0]?.image?.type).toBe("png");
    expect(videos.created[0]?.prompt).toBe(longest.prompt);
  }, 30_000);

  test("accepts the ids and prompt in the query string with only the file in the multipart body", async () => {
    const { app, repo } = buildApp(db());
    const q = new URLSearchParams(fields());
    const id = await videoIdOf(await app.request(...multipartPost(`/image2video?${q}`, {}, { name: "a.png", bytes: png(10, 10) })));
    expect((await repo.findStatus(id))?.apphudUserId).toBe(q.get("apphud_user_id")!);
    expect((await repo.findJob(id))?.prompt).toBe("the cat waves");
  });
});

describe("POST /image2video refused files", () => {
  const truncatedPng = png(64, 64).slice(0, -12);
  const truncatedJpeg = jpeg(64, 64).slice(0, -2);
  const truncatedWebp = webp(64, 64).slice(0, -4);
  const cases: [string, Uint8Array, string][] = [
    ["a GIF", gif(), "cat.png"],
    ["a BMP", bmp(), "cat.png"],
    ["an SVG", svg(), "cat.png"],
    ["a text file", new TextEncoder().encode("this is not an image, just some words\n"), "cat.jpg"],
    ["an empty file", new Uint8Array(0), "cat.png"],
    ["a PNG cut before its end", truncatedPng, "cat.png"],
    ["a PNG of only its header", png(64, 64).slice(0, 33), "cat.png"],
    ["a JPEG without its end marker", truncatedJpeg, "cat.jpg"],
    ["a progressive JPEG cut in its last scan, though its EXIF thumbnail has an end marker", progressiveJpeg(64, 64).slice(0, -4), "cat.jpg"],
    ["a WEBP shorter than its RIFF length", truncatedWebp, "cat.webp"],
  ];
  for (const [what, bytes, name] of cases) {
    test(`refuses ${what} with 400`, async () => {
      const { app, repo } = buildApp(db());
      const before = await repo.queueDepth();
      const err = await expectError(await app.request(...upload(bytes, name, "image/png")), 400);
      expect(err.error).toBe("invalid_image");
      expect(await repo.queueDepth()).toBe(before);
    });
  }

  test("refuses a PNG 4001 pixels wide with 413", async () => {
    const { app } = buildApp(db());
    await expectError(await app.request(...upload(png(4001, 10))), 413);
  });

  test("refuses a PNG 4001 pixels tall with 413", async () => {
    const { app } = buildApp(db());
    await expectError(await app.request(...upload(png(10, 4001))), 413);
  });

  test("refuses a JPEG 4001 pixels wide and a WEBP 4001 pixels tall with 413", async () => {
    const { app } = buildApp(db());
    await expectError(await app.request(...upload(jpeg(4001, 100), "a.jpg", "image/jpeg")), 413);
    await expectError(await app.request(...upload(webp(100, 4001), "a.webp", "image/webp")), 413);
  });

  test("refuses a PNG of exactly 20 MiB with 413", async () => {
    const { app } = buildApp(db());
    const bytes = png(10, 10, UPLOAD_MAX_BYTES);
    expect(bytes.byteLength).toBe(20 * MiB);
    await expectError(await app.request(...upload(bytes)), 413);
  }, 30_000);
});

/** A body that never ends; counts how much of it was pulled. */
function endlessBody(chunk = 64 * 1024) {
  const counter = { pulled: 0 };
  const stream = new ReadableStream<Uint8Array>({
    pull(ctrl) {
      counter.pulled += chunk;
      ctrl.enqueue(new Uint8Array(chunk));
    },
  });
  return { stream, counter };
}

describe("POST /image2video bodies too large to read", () => {
  test("refuses a body announced as 100 MiB with 413 without reading it", async () => {
    const { app } = buildApp(db());
    const { stream, counter } = endlessBody();
    const req = new Request("http://localhost/image2video", {
      method: "POST",
      headers: { "content-type": "multipart/form-data; boundary=----x", "content-length": String(100 * MiB) },
      body: stream,
    });
    await expectError(await app.request(req), 413);
    expect(counter.pulled).toBeLessThanOrEqual(1 * MiB);
  });

  test("refuses an endless body with no Content-Length with 413 after reading little more than the limit", async () => {
    const { app } = buildApp(db());
    const { stream, counter } = endlessBody(MiB);
    const req = new Request("http://localhost/image2video", {
      method: "POST",
      headers: { "content-type": "multipart/form-data; boundary=----x" },
      body: stream,
    });
    await expectError(await app.request(req), 413);
    expect(counter.pulled).toBeGreaterThan(20 * MiB);
    expect(counter.pulled).toBeLessThanOrEqual(24 * MiB);
  }, 30_000);
});

describe("POST /image2video parameters", () => {
  test("refuses a multipart body without a file with 400 naming file", async () => {
    const { app } = buildApp(db());
    await expectInvalid(await app.request(...multipartPost("/image2video", fields())), "file");
  });

  test("refuses `file` sent as a text field (no filename) with 400 naming file and saying so, whatever its bytes", async () => {
    const { app } = buildApp(db());
    const message = "file must be sent as a file (a multipart part with a filename), not as a text field";
    expect((await expectInvalid(await app.request(...multipartPost("/image2video", { ...fields(), file: "iVBORw0KGgo=" })), "file")).message).toBe(message);
    // A PNG's bytes in a text part: not UTF-8, which for a text parameter would be the error; for file it is the part's kind.
    const boundary = "b0undary";
    const head = `--${boundary}\r\nContent-Disposition: form-data; name="file"\r\nContent-Type: image/png\r\n\r\n`;
    const text = Object.entries(fields()).map(([k, v]) => `--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`).join("");
    const body = new Uint8Array([...new TextEncoder().encode(text + head), ...png(8, 8), ...new TextEncoder().encode(`\r\n--${boundary}--\r\n`)]);
    const res = await app.request("/image2video", { method: "POST", headers: { "content-type": `multipart/form-data; boundary=${boundary}` }, body });
    expect((await expectInvalid(res, "file")).message).toBe(message);
  });

  test("refuses an image under another field name with 400 naming file", async () => {
    const { app } = buildApp(db());
    const res = await app.request(...multipartPost("/image2video", fields(), { name: "a.png", bytes: png(10, 10), field: "image" }));
    await expectInvalid(res, "file");
  });

  for (const field of ["prompt", "app_bundle_id", "apphud_user_id"]) {
    test(`refuses a missing ${field} with a valid image with 400 naming ${field}`, async () => {
      const { app } = buildApp(db());
      const f = fields();
      delete f[field];
      await expectInvalid(await app.request(...multipartPost("/image2video", f, { name: "a.png", bytes: png(10, 10) })), field);
    });
  }

  test("refuses a prompt of 2049 code points with 400 and accepts 2048", async () => {
    const { app } = buildApp(db());
    await expectInvalid(await app.request(...upload(png(10, 10), "a.png", "image/png", { prompt: "ё".repeat(2049) })), "prompt");
    await videoIdOf(await app.request(...upload(png(10, 10), "a.png", "image/png", { prompt: "😀".repeat(2048) })));
  });

  test("refuses a JSON body with 400", async () => {
    const { app } = buildApp(db());
    await expectError(await app.request(...jsonPost("/image2video", fields())), 400);
  });

  test("refuses an urlencoded body with 400", async () => {
    const { app } = buildApp(db());
    await expectError(await app.request(...urlencodedPost("/image2video", fields())), 400);
  });

  test("refuses multipart/form-data without a boundary with 400", async () => {
    const { app } = buildApp(db());
    const res = await app.request("/image2video", {
      method: "POST",
      headers: { "content-type": "multipart/form-data" },
      body: "--x\r\nContent-Disposition: form-data; name=prompt\r\n\r\nfox\r\n--x--\r\n",
    });
    await expectError(res, 400);
  });

  test("refuses a malformed multipart body with 400", async () => {
    const { app } = buildApp(db());
    const res = await app.request("/image2video", {
      method: "POST",
      headers: { "content-type": "multipart/form-data; boundary=abc" },
      body: "this is not multipart at all",
    });
    await expectError(res, 400);
  });
});
