// The Pixverse facts module on its own: answers, ids, codes and times, no browser.
import { describe, expect, test } from "bun:test";
import { TEST_SETTINGS } from "../support/settings.ts";
import {
  createdAtMs,
  createdVideoId,
  createTimeMs,
  expectedCredits,
  generationBody,
  listBody,
  parseUploadedImage,
  settingsFields,
  uploadErrorKind,
  genSimultaneously,
  loginFailure,
  parseCredits,
  parseEnvelope,
  parseVideoDetail,
  parseVideoList,
  submitErrorKind,
  toPixverseVideo,
} from "../../src/sidecar/pixverse.ts";

describe("answers", () => {
  test("keeps every digit of a video id larger than 2^53", () => {
    const env = parseEnvelope('{"ErrCode":0,"ErrMsg":"Success","Resp":{"video_id":90071992547409931}}');
    expect(createdVideoId(env.resp)).toBe("90071992547409931");
  });

  test("reads the id from Resp.video_ids[0] when there is no video_id", () => {
    const env = parseEnvelope('{"ErrCode":0,"ErrMsg":"Success","Resp":{"video_ids":[413080782435081, 413080782435082]}}');
    expect(createdVideoId(env.resp)).toBe("413080782435081");
  });

  test("leaves a prompt that merely mentions video_id untouched", () => {
    const text = JSON.stringify({ ErrCode: 0, ErrMsg: "", Resp: { data: [{ video_id: 5, video_status: 1, prompt: '"video_id":123 ok' }] } });
    const { items } = parseVideoList(parseEnvelope(text).resp);
    expect(items[0]?.prompt).toBe('"video_id":123 ok');
    expect(items[0]?.video_id).toBe("5");
  });

  test("refuses a body that is not Pixverse's envelope", () => {
    expect(() => parseEnvelope("<html>")).toThrow("not JSON");
    expect(() => parseEnvelope('{"ok":true}')).toThrow("no ErrCode");
  });

  test("maps a list item to the fields the status mapping needs, with an empty url as none", () => {
    const [item] = parseVideoList({ data: [{ video_id: 7, video_status: 5, url: "", output_width: 0, output_height: 0, created_at: "2026-01-01T00:00:00Z" }] }).items;
    expect(toPixverseVideo(item!)).toEqual({ id: "7", status: 5, url: null, outputWidth: 0, outputHeight: 0 });
  });

  test("reads list/detail whether Resp is the video or wraps it in data", () => {
    expect(parseVideoDetail({ video_id: 1, video_status: 1 })?.video_id).toBe("1");
    expect(parseVideoDetail({ data: { video_id: 2, video_status: 1 } })?.video_id).toBe("2");
    expect(parseVideoDetail({ data: [{ video_id: 3, video_status: 1 }] })?.video_id).toBe("3");
    expect(parseVideoDetail({})).toBeNull();
  });

  test("finds gen_simultaneously wherever the plan answer puts it", () => {
    expect(genSimultaneously({ gen_simultaneously: 5 })).toBe(5);
    expect(genSimultaneously({ plan: { limits: { gen_simultaneously: "3" } } })).toBe(3);
    expect(genSimultaneously({ plan_name: "Free" })).toBeNull();
  });

  test("adds the three kinds of credits", () => {
    expect(parseCredits({ credit_daily: 10, credit_monthly: "20", credit_package: 5 }).total).toBe(35);
  });
});

describe("the list", () => {
  test("reads created_at, and create_time only where created_at is absent", () => {
    const at = Date.parse("2026-11-30T10:00:00Z");
    expect(createdAtMs({ created_at: "2026-11-30T10:00:00Z", create_time: "1999-01-01T00:00:00Z" })).toBe(at);
    expect(createdAtMs({ create_time: "2026-11-30T10:00:00Z" })).toBe(at);
    expect(createdAtMs({})).toBeNull();
  });

  test("pages the way the web app does: web_offset in, web_next_offset out, no filter that hides queued videos", () => {
    expect(listBody(50)).toMatchObject({ web_offset: 50, limit: 50, filter: {} });
    const full = Array.from({ length: 50 }, (_, i) => ({ video_id: i + 1, video_status: 1 }));
    expect(parseVideoList({ data: full, web_next_offset: 73 }, 0).next).toBe(73);
    expect(parseVideoList({ data: full }, 50).next).toBe(100);
    expect(parseVideoList({ data: full.slice(0, 3), web_next_offset: 53 }, 50).next).toBeNull();
    expect(parseVideoList({ data: full, next: false }, 0).next).toBeNull();
    expect(parseVideoList({ data: [] }, 0).next).toBeNull();
  });

  test("reads the paging fields whatever their JSON type: next as 1 or \"true\", web_next_offset as a string", () => {
    const full = Array.from({ length: 50 }, (_, i) => ({ video_id: i + 1, video_status: 1 }));
    expect(parseVideoList({ data: full, next: 1, web_next_offset: "60" }, 0).next).toBe(60);
    expect(parseVideoList({ data: full, next: "true" }, 0).next).toBe(50);
    expect(parseVideoList({ data: full, next: 0 }, 0).next).toBeNull();
    // An unreadable paging field is as if absent: a full page means there may be more.
    expect(parseVideoList({ data: full, next: { more: true }, web_next_offset: "soon" }, 0).next).toBe(50);
  });

  test("reads the asset library's paging spelling too: web_has_more / has_more with web_next_offset", () => {
    const full = Array.from({ length: 50 }, (_, i) => ({ video_id: i + 1, video_status: 1 }));
    // As captured from the 2026 web app's asset library: the last page says no more, whatever its offset.
    expect(parseVideoList({ data: full, has_more: false, next_offset: 0, web_has_more: false, web_next_offset: 17 }, 0).next).toBeNull();
    expect(parseVideoList({ data: full, has_more: true, next_offset: 50, web_has_more: true, web_next_offset: 50 }, 0).next).toBe(50);
    expect(parseVideoList({ data: full.slice(0, 3), has_more: true, web_next_offset: 53 }, 50).next).toBe(53);
    // next_offset alone (the app-side spelling of the same capture) places the next page too.
    expect(parseVideoList({ data: full, has_more: true, next_offset: 61 }, 0).next).toBe(61);
  });

  test("an item whose video_status is not an integer is left out, never read as 0 or 1", () => {
    const items = [null, "", true, false, "1.5", 1.5, "done", { v: 1 }].map((video_status, i) => ({ video_id: i + 1, video_status, url: "https://m/x.mp4" }));
    const page = parseVideoList({ data: [...items, { video_id: 99, video_status: "1" }, { video_id: 98, video_status: -1 }], next: false }, 0);
    expect(page.items.map((i) => [i.video_id, i.video_status])).toEqual([["99", 1], ["98", -1]]);
    expect(page.unreadable).toHaveLength(3);
  });

  test("an item it cannot read is left out and reported by its keys; the rest of the page is kept, and paging counts it", () => {
    const page = parseVideoList({ data: [{ video_id: 1, video_status: 1 }, { id: 2, status: 5, prompt: "private words" }, { video_id: 3, video_status: 5 }], next: false }, 0);
    expect(page.items.map((i) => i.video_id)).toEqual(["1", "3"]);
    expect(page.unreadable).toEqual(["id,status,prompt"]);
    const full = [...Array.from({ length: 49 }, (_, i) => ({ video_id: i + 1, video_status: 1 })), { id: 50 }];
    expect(parseVideoList({ data: full }, 0).next).toBe(50);
  });
});

describe("creating a video", () => {
  test("a text body spells out every setting, audio and multi-shot included", () => {
    const body = generationBody("a fox", { ...TEST_SETTINGS, seed: 7, negativePrompt: "blur" });
    expect(body).toEqual({
      prompt: "a fox",
      model: TEST_SETTINGS.model,
      duration: TEST_SETTINGS.duration,
      quality: TEST_SETTINGS.quality,
      aspect_ratio: TEST_SETTINGS.aspectRatio,
      seed: 7,
      negative_prompt: "blur",
      audio: 0,
      multi_shot: 0,
      create_count: 1,
    });
    // Switched on: 1, the integers the web app sends.
    expect(generationBody("a fox", { ...TEST_SETTINGS, audio: true, multiShot: true })).toMatchObject({ audio: 1, multi_shot: 1 });
  });

  test("an image body names the uploaded image and no aspect ratio; a seed is always sent", () => {
    const body = generationBody("wave", TEST_SETTINGS, { id: "123", path: "upload/a.png", url: "https://x/a.png" });
    expect(body).toMatchObject({ img_id: 123, customer_img_path: "upload/a.png", customer_img_url: "https://x/a.png" });
    expect(body).not.toHaveProperty("aspect_ratio");
    expect(typeof body.seed).toBe("number");
  });

  test("the settings laid over a page's own body carry no prompt, image or random seed", () => {
    expect(settingsFields(TEST_SETTINGS, "t2v")).toEqual({
      model: TEST_SETTINGS.model,
      duration: TEST_SETTINGS.duration,
      quality: TEST_SETTINGS.quality,
      aspect_ratio: TEST_SETTINGS.aspectRatio,
      audio: 0,
      multi_shot: 0,
      create_count: 1,
    });
    expect(settingsFields({ ...TEST_SETTINGS, seed: 9 }, "i2v")).not.toHaveProperty("aspect_ratio");
    expect(settingsFields({ ...TEST_SETTINGS, seed: 9 }, "i2v").seed).toBe(9);
  });

  test("reads the uploaded image's id and path from batch_upload_media", () => {
    expect(parseUploadedImage({ result: [{ id: 5, path: "upload/x.png", url: "u" }] })).toEqual({ id: "5", path: "upload/x.png", url: "u" });
    expect(parseUploadedImage({ result: [] })).toBeNull();
    expect(parseUploadedImage({})).toBeNull();
  });

  test("an image refused for content at upload is moderation; other upload refusals keep their kind", () => {
    expect(uploadErrorKind(400, "The image violates our content policy")).toBe("moderation");
    expect(uploadErrorKind(400, "Invalid req")).toBe("bad_input");
    expect(uploadErrorKind(500033, "Invalid image size")).toBe("bad_input");
  });

  test("expected credits follow quality and duration; audio and multi-shot are named as unpriced extras", () => {
    expect(expectedCredits({ ...TEST_SETTINGS, quality: "360p", duration: 5 })).toEqual({ credits: 20, extras: [] });
    expect(expectedCredits({ ...TEST_SETTINGS, quality: "1080p", duration: 10, audio: true, multiShot: true })).toEqual({ credits: 160, extras: ["audio", "multi-shot"] });
    expect(expectedCredits({ ...TEST_SETTINGS, quality: "4k" }).credits).toBeNull();
  });
});

describe("create_time", () => {
  test("reads ISO strings, epoch seconds and epoch milliseconds alike", () => {
    const ms = Date.parse("2026-03-01T12:00:00Z");
    expect(createTimeMs("2026-03-01T12:00:00Z")).toBe(ms);
    expect(createTimeMs(ms / 1000)).toBe(ms);
    expect(createTimeMs(String(ms))).toBe(ms);
  });

  test("reads a date without a zone as UTC and refuses nonsense", () => {
    expect(createTimeMs("2026-03-01 12:00:00")).toBe(Date.parse("2026-03-01T12:00:00Z"));
    expect(createTimeMs("yesterday")).toBeNull();
    expect(createTimeMs(null)).toBeNull();
  });
});

describe("error codes", () => {
  test.each([
    [500044, "concurrency"],
    [500069, "overloaded"],
    [500045, "overloaded"],
    [500043, "credits"],
    [500090, "credits"],
    [500060, "credits"],
    [500063, "moderation"],
    [500054, "moderation"],
    [400011, "bad_input"],
    [400017, "bad_input"],
    [400018, "bad_input"],
    [400019, "bad_input"],
    [500030, "bad_input"],
    [500031, "bad_input"],
    [500032, "bad_input"],
    [500033, "bad_input"],
    [500047, "bad_input"],
    [400, "bad_input"],
    [500020, "bad_input"],
    [500070, "bad_input"],
    [500071, "bad_input"],
    [10001, "session"],
    [10002, "session"],
    [10003, "session"],
    [10005, "session"],
  ] as const)("submission ErrCode %d means %s", (code, kind) => {
    expect(submitErrorKind(code)).toBe(kind);
  });

  test("an ErrCode the table does not know is retried, not final", () => {
    expect(submitErrorKind(599999)).toBe("overloaded");
  });

  test("login refusals tell blocked, OAuth-only, unknown user and bad credentials apart", () => {
    expect(loginFailure(500213, "Too many login attempts")).toBe("too_many_attempts");
    expect(loginFailure(500201, "This account was registered with Google: please sign in via OAuth")).toBe("oauth_only");
    expect(loginFailure(500200, "User does not exist")).toBe("unknown_user");
    expect(loginFailure(500201, "Incorrect username or password")).toBe("bad_credentials");
  });

  test("a login refused until a person passes a human check asks for a person, never reads as bad credentials", () => {
    expect(loginFailure(400, "Please verify you are human before signing in")).toBe("human_check");
    expect(loginFailure(500201, "Captcha verification failed")).toBe("human_check");
    expect(loginFailure(400, "Verify that you are a human")).toBe("human_check");
    expect(loginFailure(500201, "Incorrect username or password")).toBe("bad_credentials");
  });
});
