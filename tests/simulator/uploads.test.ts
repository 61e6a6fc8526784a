// The image upload steps and i2v over HTTP: upload token → storage PUT → media record → video/i2v.
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { startSimulator, type Simulator } from "../../src/simulator/server.ts";
import { addAccount, api, control, detail, login, manualClock, pngHeader, reset, TINY_PNG } from "./helpers.ts";

const clock = manualClock();
let sim: Simulator;
let token: string;

beforeAll(async () => {
  sim = await startSimulator({ port: 0, generationMs: 1000, now: clock.now });
});
afterAll(async () => {
  await sim.stop();
});
beforeEach(async () => {
  await reset(sim);
  await addAccount(sim, { email: "ann@example.com", password: "pw" });
  token = await login(sim, "ann@example.com", "pw");
});

async function put(path: string, bytes: Uint8Array<ArrayBuffer>, securityToken?: string): Promise<Response> {
  const headers: Record<string, string> = { "Content-Type": "image/png" };
  if (securityToken) headers["X-Oss-Security-Token"] = securityToken;
  return fetch(`${sim.url}/oss/${path}`, { method: "PUT", headers, body: bytes });
}

/** The three upload steps; answers the batch_upload_media envelope. */
async function uploadImage(bytes: Uint8Array<ArrayBuffer>, path = `upload/${crypto.randomUUID()}.png`, as = token) {
  const grant = await api(sim, "/getUploadToken", {}, as);
  expect(grant.ErrCode, grant.ErrMsg).toBe(0);
  const res = await put(path, bytes, grant.Resp.Token);
  expect(res.status, await res.clone().text()).toBe(200);
  return api(sim, "/media/batch_upload_media", { images: [{ name: "cat.png", size: bytes.byteLength, path }] }, as);
}

function i2vBody(path: string, url: string, prompt = "the cat waves") {
  return { prompt, model: "v5", duration: 5, quality: "540p", create_count: 1, customer_img_path: path, customer_img_url: url };
}

describe("upload", () => {
  test("getUploadToken answers STS-like credentials", async () => {
    const res = await api(sim, "/getUploadToken", {}, token);
    expect(res.ErrCode).toBe(0);
    expect(Object.keys(res.Resp)).toEqual(expect.arrayContaining(["Ak", "Sk", "Token"]));
  });

  test("records an uploaded image and serves it back under /media/upload", async () => {
    const res = await uploadImage(TINY_PNG);
    expect(res.ErrCode, res.ErrMsg).toBe(0);
    const media = res.Resp.result[0];
    expect(media.path).toMatch(/^upload\/[0-9a-f-]+\.png$/);
    expect(media.url).toBe(`${sim.url}/media/${media.path}`);
    const back = await fetch(media.url);
    expect(back.status).toBe(200);
    expect(new Uint8Array(await back.arrayBuffer())).toEqual(TINY_PNG);
  });

  test("refuses a storage PUT without a live upload token", async () => {
    expect((await put("upload/abc.png", TINY_PNG)).status).toBe(403);
    expect((await put("upload/abc.png", TINY_PNG, "forged")).status).toBe(403);
  });

  test("answers 500032 for bytes that are not an image", async () => {
    const res = await uploadImage(new TextEncoder().encode("definitely not a picture"));
    expect(res.ErrCode).toBe(500032);
  });

  test("answers 500033 for an image over 4000 px a side", async () => {
    expect((await uploadImage(pngHeader(4001, 100))).ErrCode).toBe(500033);
    expect((await uploadImage(pngHeader(4000, 100))).ErrCode).toBe(0);
  });

  test("refuses the next n images for content with ErrCode 400 when the uploadModeration fault is armed", async () => {
    expect((await control(sim, "/faults", { uploadModeration: 2 })).json.faults.uploadModeration).toBe(2);
    for (let i = 0; i < 2; i++) {
      const refused = await uploadImage(TINY_PNG);
      expect(refused.ErrCode).toBe(400);
      expect(refused.ErrMsg).toContain("content policy");
    }
    expect((await uploadImage(TINY_PNG)).ErrCode).toBe(0);
    expect((await control(sim, "/stats")).json.faults.uploadModeration).toBe(0);
  });

  test("judges the image's format before its content: a bad file keeps the moderation fault armed", async () => {
    await control(sim, "/faults", { uploadModeration: 1 });
    expect((await uploadImage(new TextEncoder().encode("not a picture"))).ErrCode).toBe(500032);
    expect((await uploadImage(TINY_PNG)).ErrCode).toBe(400);
  });

  test("answers 500042 for a path that was never uploaded", async () => {
    const res = await api(sim, "/media/batch_upload_media", { images: [{ path: "upload/missing.png" }] }, token);
    expect(res.ErrCode).toBe(500042);
  });
});

describe("i2v", () => {
  test("starts a generation from an uploaded image and finishes with the image's orientation", async () => {
    const media = (await uploadImage(pngHeader(300, 600))).Resp.result[0];
    const res = await api(sim, "/video/i2v", i2vBody(media.path, media.url), token);
    expect(res.ErrCode, res.ErrMsg).toBe(0);
    const id = res.Resp.video_id;
    expect(Number.isSafeInteger(id)).toBe(true);
    clock.advance(1201);
    const video = (await detail(sim, token, id)).Resp;
    expect(video).toMatchObject({ video_status: 1, output_width: 540, output_height: 1080, customer_img_url: media.url });
    const stats = (await control(sim, "/stats")).json;
    expect(stats.submissions).toEqual({ t2v: 0, i2v: 1 });
    expect(stats.prompts[0]).toMatchObject({ kind: "i2v", videoId: id });
  });

  test("answers 500042 for an image path the account never recorded", async () => {
    const res = await api(sim, "/video/i2v", i2vBody("upload/nope.png", "x"), token);
    expect(res.ErrCode).toBe(500042);
  });

  test("answers 500042 for another account's image", async () => {
    const media = (await uploadImage(TINY_PNG)).Resp.result[0];
    await addAccount(sim, { email: "bob@example.com", password: "pw" });
    const bob = await login(sim, "bob@example.com", "pw");
    expect((await api(sim, "/video/i2v", i2vBody(media.path, media.url), bob)).ErrCode).toBe(500042);
  });

  test("takes the image by img_id alone, as batch_upload_media answered it", async () => {
    const media = (await uploadImage(pngHeader(600, 300))).Resp.result[0];
    const res = await api(sim, "/video/i2v", { prompt: "the cat waves", model: "v5", duration: 5, quality: "360p", img_id: media.id, audio: 0 }, token);
    expect(res.ErrCode, res.ErrMsg).toBe(0);
    clock.advance(1201);
    expect((await detail(sim, token, res.Resp.video_id)).Resp).toMatchObject({ video_status: 1, output_width: 720, output_height: 360, customer_img_url: media.url });
  });

  test("answers 500042 for an unknown img_id and 400017 when img_id and customer_img_path name different images", async () => {
    const a = (await uploadImage(TINY_PNG)).Resp.result[0];
    const b = (await uploadImage(TINY_PNG)).Resp.result[0];
    expect((await api(sim, "/video/i2v", { ...i2vBody(a.path, a.url), img_id: a.id }, token)).ErrCode).toBe(0);
    clock.advance(1201);
    expect((await api(sim, "/video/i2v", { ...i2vBody(a.path, a.url), img_id: b.id }, token)).ErrCode).toBe(400017);
    expect((await api(sim, "/video/i2v", { prompt: "x", model: "v5", duration: 5, quality: "360p", img_id: 12345 }, token)).ErrCode).toBe(500042);
  });

  test("takes the image by customer_img_url alone, and refuses a URL that names another image than the path", async () => {
    const a = (await uploadImage(pngHeader(600, 300))).Resp.result[0];
    const b = (await uploadImage(TINY_PNG)).Resp.result[0];
    const byUrl = await api(sim, "/video/i2v", { prompt: "the cat waves", model: "v5", duration: 5, quality: "360p", customer_img_url: a.url }, token);
    expect(byUrl.ErrCode, byUrl.ErrMsg).toBe(0);
    clock.advance(1201);
    expect((await detail(sim, token, byUrl.Resp.video_id)).Resp).toMatchObject({ video_status: 1, output_width: 720, customer_img_url: a.url });
    expect((await api(sim, "/video/i2v", i2vBody(a.path, b.url), token)).ErrCode).toBe(400017);
    expect((await api(sim, "/video/i2v", { prompt: "x", model: "v5", duration: 5, quality: "360p", customer_img_url: "https://elsewhere/x.png" }, token)).ErrCode).toBe(500042);
  });

  test("answers 400011 without any image reference", async () => {
    expect((await api(sim, "/video/i2v", { prompt: "x", model: "v5", duration: 5, quality: "360p" }, token)).ErrCode).toBe(400011);
  });
});
