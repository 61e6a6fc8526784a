// The Idempotency-Key header at the HTTP boundary, with no database: a malformed key is a 400 naming the header
// before the body is read; the request hash tells the same request from another; the OpenAPI document declares
// the header, the replay header and the 409, and its examples are the bodies really sent.
import { describe, expect, test } from "bun:test";
import type { KeyedOutcome } from "../../src/db/videos.ts";
import { requestHash } from "../../src/http/idempotency.ts";
import { jsonPost, OWNER } from "../support/app.ts";
import { appWith, expectInvalid, multipartPost, recordingVideos, videoIdOf } from "../http/helpers.ts";
import { png } from "../support/images.ts";

const keyed = (key: string) => jsonPost("/text2video", { ...OWNER, prompt: "a cat" }, { "Idempotency-Key": key });

/** recordingVideos whose keyed requests all come to `outcome`. */
function videosAnswering(outcome: KeyedOutcome) {
  const videos = recordingVideos();
  const keys: string[] = [];
  return {
    keys,
    videos: {
      ...videos,
      createOnce: async (_v: unknown, once: { key: string }) => {
        keys.push(once.key);
        return outcome;
      },
    },
  };
}

describe("the Idempotency-Key header", () => {
  test("refuses an empty key, one over 255 characters, control characters and non-ASCII, naming the header", async () => {
    const bad = ["", "x".repeat(256), "tab\there", "caf\u00e9", "new\u007fline"];
    for (const key of bad) {
      const { videos } = videosAnswering({ kind: "created", id: 1 });
      const [path, init] = keyed("placeholder");
      // Headers that fetch itself refuses to carry (none here) would not reach the app; set them raw.
      const headers = new Headers(init.headers);
      headers.set("Idempotency-Key", key);
      const res = await appWith(videos).request(path, { ...init, headers });
      const body = await expectInvalid(res, "Idempotency-Key");
      expect(body.message).toContain("1 to 255 visible ASCII characters");
      expect(videos.created.length).toBe(0);
    }
  });

  test("takes keys of 1 and 255 visible characters, and spaces inside", async () => {
    for (const key of ["k", "~".repeat(255), "order 42 / retry", "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"]) {
      const { videos, keys } = videosAnswering({ kind: "created", id: 9 });
      expect(await videoIdOf(await appWith(videos).request(...keyed(key)))).toBe(9);
      expect(keys).toEqual([key]);
    }
  });

  test("a bad key on image2video is refused before the upload is read", async () => {
    const videos = recordingVideos();
    const [path, init] = multipartPost("/image2video", { ...OWNER, prompt: "p" }, { name: "a.png", bytes: png(4, 4) });
    const res = await appWith(videos).request(path, { ...init, headers: { "Idempotency-Key": "x".repeat(300) } });
    await expectInvalid(res, "Idempotency-Key");
    expect(videos.created.length).toBe(0);
  });

  test("no header takes the ordinary path", async () => {
    const { videos, keys } = videosAnswering({ kind: "conflict" });
    await videoIdOf(await appWith(videos).request(...jsonPost("/text2video", { ...OWNER, prompt: "a cat" })));
    expect(keys).toEqual([]);
    expect(videos.created.length).toBe(1);
  });
});

describe("the request hash", () => {
  const base = { app_bundle_id: "a", apphud_user_id: "u", prompt: "p", quality: "540p", seed: 3, model: undefined };

  test("ignores the fields' order, unset fields and the owner", () => {
    const h = requestHash("text2video", base);
    expect(requestHash("text2video", { seed: 3, quality: "540p", prompt: "p" })).toBe(h);
    expect(requestHash("text2video", { ...base, apphud_user_id: "someone else", negative_prompt: undefined })).toBe(h);
    expect(h).toMatch(/^[0-9a-f]{64}$/);
  });

  test("changes with any field's value, a new field, the route or the image's bytes", () => {
    const h = requestHash("text2video", base);
    const others = [
      requestHash("text2video", { ...base, prompt: "q" }),
      requestHash("text2video", { ...base, seed: 4 }),
      requestHash("text2video", { ...base, seed: "3" }),
      requestHash("text2video", { ...base, callback_url: "https://example.com/hook" }),
      requestHash("image2video", base),
      requestHash("image2video", base, png(2, 2)),
      requestHash("image2video", base, png(2, 3)),
    ];
    expect(new Set([h, ...others]).size).toBe(others.length + 1);
    expect(requestHash("image2video", base, png(2, 2))).toBe(requestHash("image2video", { ...base, file: "ignored" }, png(2, 2)));
  });
});

describe("the OpenAPI document", () => {
  type Json = Record<string, any>;
  const doc = async () => (await (await appWith(recordingVideos()).request("/openapi.json")).json()) as Json;

  test("declares the optional header, the replay header and the 409 on both POST routes", async () => {
    const d = await doc();
    for (const path of ["/text2video", "/image2video"]) {
      const op = d.paths[path].post;
      expect(op.parameters).toContainEqual(expect.objectContaining({ name: "Idempotency-Key", in: "header", required: false }));
      expect(Object.keys(op.responses["200"].headers)).toContain("Idempotent-Replayed");
      expect(op.responses["409"]).toBeDefined();
    }
  });

  test("its 409 and malformed-key 400 examples are the bodies really sent", async () => {
    const d = await doc();
    const examples = (status: string) =>
      Object.values(d.paths["/text2video"].post.responses[status].content["application/json"].examples as Json).map((e) => (e as Json).value);
    const conflict = await appWith(videosAnswering({ kind: "conflict" }).videos).request(...keyed("k"));
    expect(conflict.status).toBe(409);
    expect(examples("409")).toContainEqual(await conflict.json());
    const bad = await appWith(recordingVideos()).request(...keyed("x".repeat(256)));
    expect(examples("400")).toContainEqual(await bad.json());
  });

  test("a replayed answer says so in its header; a new one does not", async () => {
    const replayed = await appWith(videosAnswering({ kind: "replayed", id: 5 }).videos).request(...keyed("k"));
    expect(replayed.headers.get("idempotent-replayed")).toBe("true");
    expect(await videoIdOf(replayed)).toBe(5);
    const created = await appWith(videosAnswering({ kind: "created", id: 6 }).videos).request(...keyed("k"));
    expect(created.headers.get("idempotent-replayed")).toBeNull();
  });
});
