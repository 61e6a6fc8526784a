// Generations over the JSON API on a hand-moved clock: lifecycle, markers, limits, faults, paging, stats.
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { startSimulator, type Simulator } from "../../src/simulator/server.ts";
import { addAccount, api, control, detail, LIST_BODY, login, manualClock, reset, submitT2v, t2vBody } from "./helpers.ts";

const GEN_MS = 1000;
const clock = manualClock();
let sim: Simulator;
let token: string;

beforeAll(async () => {
  sim = await startSimulator({ port: 0, generationMs: GEN_MS, concurrency: 2, now: clock.now });
});
afterAll(async () => {
  await sim.stop();
});
beforeEach(async () => {
  await reset(sim);
  await addAccount(sim, { email: "ann@example.com", password: "pw" });
  token = await login(sim, "ann@example.com", "pw");
});

async function submitOk(prompt: string): Promise<number> {
  const res = await submitT2v(sim, token, prompt);
  expect(res.ErrCode, res.ErrMsg).toBe(0);
  return res.Resp.video_id as number;
}

async function statusOf(id: number): Promise<number> {
  const res = await detail(sim, token, id);
  expect(res.ErrCode, res.ErrMsg).toBe(0);
  return res.Resp.video_status as number;
}

describe("t2v", () => {
  test("answers a large, JSON-safe, unique video_id", async () => {
    await addAccount(sim, { email: "many@example.com", password: "pw", concurrency: 50 });
    const many = await login(sim, "many@example.com", "pw");
    const ids = new Set<number>();
    for (let i = 0; i < 20; i++) {
      const res = await submitT2v(sim, many, `cat ${i}`);
      expect(res.ErrCode, res.ErrMsg).toBe(0);
      const id = res.Resp.video_id;
      expect(Number.isSafeInteger(id)).toBe(true);
      expect(id).toBeGreaterThan(1e14);
      ids.add(id);
    }
    expect(ids.size).toBe(20);
  });

  test("lists a new video at once as queued (9) with created_at and no size, then 5, then 1 with a URL and size", async () => {
    const id = await submitOk("a cat on a boat");
    const first = (await api(sim, "/video/list/personal", LIST_BODY, token)).Resp.data[0];
    expect(first).toMatchObject({ video_id: id, video_status: 9, prompt: "a cat on a boat", url: "", output_width: 0, output_height: 0 });
    expect(first.created_at).toBe(new Date(clock.t).toISOString().replace(/\.\d{3}Z$/, "Z"));
    expect(first).not.toHaveProperty("create_time");
    clock.advance(0.25 * GEN_MS);
    expect(await statusOf(id)).toBe(5);
    clock.advance(0.5 * GEN_MS);
    expect(await statusOf(id)).toBe(5);
    clock.advance(0.5 * GEN_MS);
    const done = (await detail(sim, token, id)).Resp;
    expect(done).toMatchObject({ video_id: id, video_status: 1, output_width: 640, output_height: 360 });
    expect(done.url).toStartWith(`${sim.url}/media/`);
    expect(done.url).toEndWith(".mp4");
    expect(done.first_frame).toEndWith(".jpg");
  });

  test("[sim:status10] reports 10 from creation with a URL that answers 404 and no size, then 10 with the size and a URL that serves the video", async () => {
    const id = await submitOk("a cat [sim:status10]");
    const first = (await api(sim, "/video/list/personal", LIST_BODY, token)).Resp.data[0];
    expect(first).toMatchObject({ video_id: id, video_status: 10, output_width: 0, output_height: 0 });
    expect(first.url).toEndWith(".mp4");
    expect((await fetch(first.url)).status).toBe(404);
    clock.advance(0.5 * GEN_MS);
    expect(await statusOf(id)).toBe(10);
    clock.advance(0.75 * GEN_MS);
    const done = (await detail(sim, token, id)).Resp;
    expect(done).toMatchObject({ video_id: id, video_status: 10, url: first.url, output_width: 640, output_height: 360 });
    const video = await fetch(done.url);
    expect(video.status).toBe(200);
    expect(video.headers.get("content-type")).toBe("video/mp4");
  });

  test("[sim:queued] keeps a video queued (9) for nine tenths of its time (past where others generate), then it finishes", async () => {
    const id = await submitOk("at a busy hour [sim:queued]");
    const plain = await submitOk("at a quiet hour");
    // Generation times are 0.8–1.2 × GEN_MS: at 0.7 the plain one generates, the queued one still waits.
    clock.advance(0.7 * GEN_MS);
    expect(await statusOf(plain)).toBe(5);
    expect(await statusOf(id)).toBe(9);
    clock.advance(0.5 * GEN_MS + 1);
    expect(await statusOf(id)).toBe(1);
  });

  test("serves the finished video as a real MP4, with and without the %2F escapes", async () => {
    const id = await submitOk("a dog");
    clock.advance(1.2 * GEN_MS);
    const url: string = (await detail(sim, token, id)).Resp.url;
    expect(url).toContain("%2F");
    for (const u of [url, decodeURI(url.replace(/%2F/g, "/"))]) {
      const res = await fetch(u);
      expect(res.status, u).toBe(200);
      expect(res.headers.get("content-type")).toBe("video/mp4");
      const bytes = new Uint8Array(await res.arrayBuffer());
      expect(bytes.byteLength).toBeGreaterThan(1000);
      expect(bytes.byteLength).toBeLessThan(64 * 1024);
      expect(new TextDecoder().decode(bytes.slice(4, 8))).toBe("ftyp");
    }
  });

  test("takes the generation time within ±20 %", async () => {
    await addAccount(sim, { email: "many@example.com", password: "pw", concurrency: 50 });
    const many = await login(sim, "many@example.com", "pw");
    const ids: number[] = [];
    for (let i = 0; i < 30; i++) ids.push((await submitT2v(sim, many, `p${i}`)).Resp.video_id);
    clock.advance(0.8 * GEN_MS - 1);
    for (const id of ids) expect((await detail(sim, many, id)).Resp.video_status).not.toBe(1);
    clock.advance(0.4 * GEN_MS + 2);
    for (const id of ids) expect((await detail(sim, many, id)).Resp.video_status).toBe(1);
  });

  test("answers 400011 for an empty prompt or a missing field", async () => {
    expect((await api(sim, "/video/t2v", t2vBody("   "), token)).ErrCode).toBe(400011);
    expect((await api(sim, "/video/t2v", t2vBody("cat", { model: undefined }), token)).ErrCode).toBe(400011);
    expect((await api(sim, "/video/t2v", t2vBody("cat", { aspect_ratio: undefined }), token)).ErrCode).toBe(400011);
  });

  test("answers 400018 for a prompt over 5000 characters and accepts exactly 5000", async () => {
    expect((await submitT2v(sim, token, "x".repeat(5001))).ErrCode).toBe(400018);
    expect((await submitT2v(sim, token, "x".repeat(5000))).ErrCode).toBe(0);
  });

  test("accepts the 2026 page's fields and uses the seed it was given", async () => {
    const body = t2vBody("a cat", { seed: 4242, negative_prompt: "blurry", audio: 1, multi_shot: 0, create_count: 1, credit_change: 30 });
    const res = await api(sim, "/video/t2v", body, token);
    expect(res.ErrCode, res.ErrMsg).toBe(0);
    clock.advance(1.2 * GEN_MS + 1);
    expect((await detail(sim, token, res.Resp.video_id)).Resp).toMatchObject({ seed: 4242, url: expect.stringContaining("_seed4242.mp4") });
  });

  test("answers 400017 for switches that are not 0 or 1 (a boolean included) or a seed that is not an integer", async () => {
    expect((await api(sim, "/video/t2v", t2vBody("cat", { audio: "on" }), token)).ErrCode).toBe(400017);
    expect((await api(sim, "/video/t2v", t2vBody("cat", { audio: true }), token)).ErrCode).toBe(400017);
    expect((await api(sim, "/video/t2v", t2vBody("cat", { multi_shot: true }), token)).ErrCode).toBe(400017);
    expect((await api(sim, "/video/t2v", t2vBody("cat", { multi_shot: 2 }), token)).ErrCode).toBe(400017);
    expect((await api(sim, "/video/t2v", t2vBody("cat", { seed: 1.5 }), token)).ErrCode).toBe(400017);
    expect((await api(sim, "/video/t2v", t2vBody("cat", { seed: null, negative_prompt: null }), token)).ErrCode).toBe(0);
  });

  test("takes each model's own qualities and durations, 2160p only where the model has it, and 400017 for any other", async () => {
    const ok = (over: Record<string, unknown>) => api(sim, "/video/t2v", t2vBody("cat", over), token).then((r) => r.ErrCode);
    for (const [model, quality, duration] of [["v6", "1080p", 1], ["v6", "360p", 15], ["v5.6", "720p", 10], ["v5", "540p", 8], ["veo-3.1-fast", "2160p", 6], ["seedance-2.0-standard", "2160p", 15], ["sora-2", "720p", 12]] as const) {
      expect(await ok({ model, quality, duration }), `${model} ${quality} ${duration}s`).toBe(0);
      clock.advance(2 * GEN_MS); // done: its slot is free again
    }
    for (const [model, quality, duration] of [["v9", "540p", 5], ["V6", "540p", 5], ["toString", "540p", 5], ["v6", "2160p", 5], ["v6", "540p", 16], ["v5.6", "540p", 11], ["v5", "540p", 7], ["sora-2", "1080p", 4], ["veo-3.1-fast", "720p", 5], ["v6", "540p", 0]] as const) {
      expect(await ok({ model, quality, duration }), `${model} ${quality} ${duration}s`).toBe(400017);
    }
  });

  test("answers 400017 for an unknown quality or a bad type, and 400 for a body that is not an object", async () => {
    expect((await api(sim, "/video/t2v", t2vBody("cat", { quality: "4k" }), token)).ErrCode).toBe(400017);
    expect((await api(sim, "/video/t2v", t2vBody("cat", { duration: "five" }), token)).ErrCode).toBe(400017);
    expect((await api(sim, "/video/t2v", "just a string", token)).ErrCode).toBe(400);
  });
});

describe("limits", () => {
  test("answers 500044 beyond the account's concurrency and accepts again once one finishes", async () => {
    await submitOk("one");
    await submitOk("two");
    expect((await submitT2v(sim, token, "three")).ErrCode).toBe(500044);
    clock.advance(1.2 * GEN_MS + 1);
    expect((await submitT2v(sim, token, "three")).ErrCode).toBe(0);
  });

  test("charges per second by quality plus 10 credits each for Audio and Multi-Shot", async () => {
    await addAccount(sim, { email: "counted@example.com", password: "pw", credits: 1000, concurrency: 10 });
    const counted = await login(sim, "counted@example.com", "pw");
    const balance = async () => (await api(sim, "/user/credits", undefined, counted)).Resp.credit_package as number;
    const cases: [Record<string, unknown>, number][] = [
      [{}, 20],
      [{ audio: 1 }, 30],
      [{ multi_shot: 1 }, 30],
      [{ audio: 1, multi_shot: 1, quality: "540p" }, 50],
      [{ audio: 0, multi_shot: 0, quality: "1080p", duration: 10 }, 160],
      // The effect templates' audio field is not this body's: no surcharge, no audio.
      [{ sound_effect_switch: 1 }, 20],
    ];
    let expected = 1000;
    for (const [extra, cost] of cases) {
      expect((await api(sim, "/video/t2v", t2vBody("a cat", extra), counted)).ErrCode).toBe(0);
      expected -= cost;
      expect(await balance(), JSON.stringify(extra)).toBe(expected);
    }
    const charged = (await control(sim, "/stats")).json.prompts.map((p: { credits: number }) => p.credits);
    expect(charged).toEqual(cases.map(([, cost]) => cost));
  });

  test("answers 500043 when the credits do not cover a generation", async () => {
    await addAccount(sim, { email: "poor@example.com", password: "pw", credits: 30 });
    const poor = await login(sim, "poor@example.com", "pw");
    expect((await submitT2v(sim, poor, "one")).ErrCode).toBe(0);
    expect((await submitT2v(sim, poor, "two")).ErrCode).toBe(500043);
  });
});

describe("markers", () => {
  test("[sim:moderation] ends with status 7 and no URL", async () => {
    const id = await submitOk("a cat [sim:moderation]");
    clock.advance(1.2 * GEN_MS + 1);
    const v = (await detail(sim, token, id)).Resp;
    expect(v.video_status).toBe(7);
    expect(v.url).toBe("");
  });

  test("[sim:filtered] ends with the moderation-filtered status 17 and no URL", async () => {
    const id = await submitOk("a cat [sim:filtered]");
    clock.advance(1.2 * GEN_MS + 1);
    const v = (await detail(sim, token, id)).Resp;
    expect(v.video_status).toBe(17);
    expect(v.url).toBe("");
  });

  test("[sim:fail] ends with status 8", async () => {
    const id = await submitOk("[sim:fail] a cat");
    clock.advance(1.2 * GEN_MS + 1);
    expect(await statusOf(id)).toBe(8);
  });

  test("[sim:deleted] finishes with status 1, then reports 6", async () => {
    const id = await submitOk("a cat [sim:deleted]");
    clock.advance(1.2 * GEN_MS + 1);
    expect(await statusOf(id)).toBe(1);
    clock.advance(1.2 * GEN_MS);
    expect(await statusOf(id)).toBe(6);
  });

  test("[sim:replaced] finishes with its output, then stays 1 with Pixverse's placeholder as url and frame", async () => {
    const id = await submitOk("a cat [sim:replaced]");
    clock.advance(1.2 * GEN_MS + 1);
    const done = (await detail(sim, token, id)).Resp;
    expect(done.video_status).toBe(1);
    expect(done.url).not.toContain("default");
    clock.advance(5 * GEN_MS);
    expect((await detail(sim, token, id)).Resp.url).not.toContain("default");
    clock.advance(7 * GEN_MS);
    const later = (await detail(sim, token, id)).Resp;
    expect(later.video_status).toBe(1);
    expect(later.url).toEndWith("%2Fdefault.mp4");
    expect(later.first_frame).toEndWith("%2Fdefault.jpg");
  });

  test("[sim:blocked] is refused with 500063 and never listed", async () => {
    expect((await submitT2v(sim, token, "[sim:blocked] a cat")).ErrCode).toBe(500063);
    expect((await api(sim, "/video/list/personal", LIST_BODY, token)).Resp.data).toEqual([]);
  });

  test("[sim:slow] takes ten times as long", async () => {
    const slow = await submitOk("a cat [sim:slow]");
    clock.advance(8 * GEN_MS - 1);
    expect(await statusOf(slow)).toBe(5);
    clock.advance(4 * GEN_MS + 2);
    expect(await statusOf(slow)).toBe(1);
  });
});

describe("faults", () => {
  test("fail the next n submissions with 500069, then pass", async () => {
    expect((await control(sim, "/faults", { overloaded: 2 })).status).toBe(200);
    expect((await submitT2v(sim, token, "a")).ErrCode).toBe(500069);
    expect((await submitT2v(sim, token, "a")).ErrCode).toBe(500069);
    expect((await submitT2v(sim, token, "a")).ErrCode).toBe(0);
  });

  test("fail with 500044 and 500043 when asked", async () => {
    await control(sim, "/faults", { concurrency: 1, credits: 1 });
    expect((await submitT2v(sim, token, "a")).ErrCode).toBe(500044);
    expect((await submitT2v(sim, token, "a")).ErrCode).toBe(500043);
    expect((await submitT2v(sim, token, "a")).ErrCode).toBe(0);
  });

  test("refuse the next submissions with any of Pixverse's codes, in order and with their words, before the counted kinds", async () => {
    const armed = await control(sim, "/faults", { codes: [500090, 500054, 500042], overloaded: 1 });
    expect(armed.json.faults.codes).toEqual([500090, 500054, 500042]);
    const answers = [];
    for (let i = 0; i < 5; i++) {
      const res = await submitT2v(sim, token, `coded ${i}`);
      answers.push([res.ErrCode, res.ErrMsg]);
    }
    expect(answers).toEqual([
      [500090, "Insufficient balance"],
      [500054, "Content moderation failure"],
      [500042, "Invalid image path"],
      [500069, "System overloaded"],
      [0, "Success"],
    ]);
    expect((await control(sim, "/stats")).json.refused).toMatchObject({ 500090: 1, 500054: 1, 500042: 1 });
    // A code the simulator has no words for is refused, not answered with an empty message.
    expect((await control(sim, "/faults", { codes: [123456] })).status).toBe(400);
  });

  test("are forgotten by a reset", async () => {
    await control(sim, "/faults", { overloaded: 5, codes: [500090] });
    await reset(sim);
    await addAccount(sim, { email: "ann@example.com", password: "pw" });
    const fresh = await login(sim, "ann@example.com", "pw");
    expect((await submitT2v(sim, fresh, "a")).ErrCode).toBe(0);
  });

  test("refuse a malformed fault request with 400", async () => {
    expect((await control(sim, "/faults", { overloaded: -1 })).status).toBe(400);
  });
});

describe("list/personal and list/detail", () => {
  /** Five videos a second apart on an account with room for them; newest first. */
  async function fiveVideos(): Promise<{ many: string; newestFirst: number[] }> {
    await addAccount(sim, { email: "many@example.com", password: "pw", concurrency: 10 });
    const many = await login(sim, "many@example.com", "pw");
    const ids: number[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push((await submitT2v(sim, many, `p${i}`)).Resp.video_id);
      clock.advance(1000);
    }
    return { many, newestFirst: [...ids].reverse() };
  }
  const idsOf = (page: { data: { video_id: number }[] }) => page.data.map((v) => v.video_id);

  test("page newest first with web_offset, answering the items alone (no paging fields: a client pages by count)", async () => {
    const { many, newestFirst } = await fiveVideos();
    const page1 = (await api(sim, "/video/list/personal", { ...LIST_BODY, web_offset: 0, limit: 2 }, many)).Resp;
    const page2 = (await api(sim, "/video/list/personal", { ...LIST_BODY, web_offset: 2, limit: 2 }, many)).Resp;
    const page3 = (await api(sim, "/video/list/personal", { ...LIST_BODY, web_offset: 4, limit: 2 }, many)).Resp;
    expect(idsOf(page1)).toEqual(newestFirst.slice(0, 2));
    expect(idsOf(page2)).toEqual(newestFirst.slice(2, 4));
    expect(idsOf(page3)).toEqual(newestFirst.slice(4));
    for (const page of [page1, page2, page3]) expect(Object.keys(page)).toEqual(["data"]);
    // No source gives a largest limit: a big one is served, not refused.
    expect(idsOf((await api(sim, "/video/list/personal", { ...LIST_BODY, limit: 500 }, many)).Resp)).toEqual(newestFirst);
  });

  test("page with offset when no web_offset is given, and let web_offset win over offset", async () => {
    const { many, newestFirst } = await fiveVideos();
    const byOffset = (await api(sim, "/video/list/personal", { offset: 3, limit: 50 }, many)).Resp;
    expect(idsOf(byOffset)).toEqual(newestFirst.slice(3));
    const both = (await api(sim, "/video/list/personal", { offset: 3, web_offset: 1, limit: 1 }, many)).Resp;
    expect(idsOf(both)).toEqual([newestFirst[1]!]);
  });

  test("list every status, whatever the filter says", async () => {
    const done = await submitOk("finishes");
    clock.advance(1.2 * GEN_MS + 1);
    const failed = await submitOk("fails [sim:fail]");
    const running = await submitOk("still going");
    clock.advance(1.2 * GEN_MS + 1);
    const fresh = await submitOk("queued");
    for (const filter of [{}, { off_peak: 0 }, { off_peak: 1 }, { status: [1] }]) {
      const data = (await api(sim, "/video/list/personal", { ...LIST_BODY, filter }, token)).Resp.data;
      expect(data.map((v: { video_id: number; video_status: number }) => [v.video_id, v.video_status])).toEqual([
        [fresh, 9],
        [running, 1],
        [failed, 8],
        [done, 1],
      ]);
    }
  });

  test("shows only the caller's own videos", async () => {
    await submitOk("mine");
    await addAccount(sim, { email: "bob@example.com", password: "pw" });
    const bob = await login(sim, "bob@example.com", "pw");
    expect((await api(sim, "/video/list/personal", LIST_BODY, bob)).Resp.data).toEqual([]);
  });

  test("detail answers 500008 for an unknown id and for someone else's video", async () => {
    const id = await submitOk("mine");
    await addAccount(sim, { email: "bob@example.com", password: "pw" });
    const bob = await login(sim, "bob@example.com", "pw");
    expect((await detail(sim, bob, id)).ErrCode).toBe(500008);
    expect((await detail(sim, token, 123)).ErrCode).toBe(500008);
    expect((await api(sim, "/video/list/detail", { video_id: String(id) }, token)).Resp.video_id).toBe(id);
  });
});

describe("stats", () => {
  test("count logins, submissions, list calls, statuses, concurrency and prompts", async () => {
    const a = await submitOk("first");
    await submitOk("second [sim:fail]");
    await api(sim, "/video/list/personal", LIST_BODY, token);
    clock.advance(1.2 * GEN_MS + 1);
    const stats = (await control(sim, "/stats")).json;
    expect(stats.logins).toBe(1);
    expect(stats.submissions).toEqual({ t2v: 2, i2v: 0 });
    expect(stats.listCalls).toBe(1);
    expect(stats.videosByStatus).toEqual({ "1": 1, "8": 1 });
    expect(stats.maxConcurrent).toBe(2);
    expect(stats.prompts.map((p: { prompt: string }) => p.prompt)).toEqual(["first", "second [sim:fail]"]);
    expect(stats.prompts[0]).toMatchObject({ kind: "t2v", videoId: a, email: "ann@example.com" });
    expect(Date.parse(stats.prompts[0].at)).toBe(clock.t - 1.2 * GEN_MS - 1);
  });

  test("reset clears videos and counters", async () => {
    await submitOk("first");
    await reset(sim);
    const stats = (await control(sim, "/stats")).json;
    expect(stats).toMatchObject({ logins: 0, submissions: { t2v: 0, i2v: 0 }, listCalls: 0, videosByStatus: {}, maxConcurrent: 0, prompts: [] });
  });
});

describe("stats origins and settings", () => {
  async function submitWith(headers: Record<string, string>, prompt: string, extra: Record<string, unknown> = {}) {
    const res = await fetch(`${sim.url}/creative_platform/video/t2v`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Token: token, ...headers },
      body: JSON.stringify(t2vBody(prompt, extra)),
    });
    expect(((await res.json()) as { ErrCode: number }).ErrCode).toBe(0);
  }

  test("record ui, page and external submissions apart by X-Sim-Origin and Origin", async () => {
    await addAccount(sim, { email: "ann@example.com", password: "pw", concurrency: 10 });
    token = await login(sim, "ann@example.com", "pw");
    await submitWith({ "X-Sim-Origin": "ui", Origin: sim.url }, "clicked");
    await submitWith({ Origin: sim.url }, "fetched in the page");
    await submitWith({}, "curl");
    await submitWith({ Origin: "http://elsewhere.example" }, "another site");
    const prompts = (await control(sim, "/stats")).json.prompts as { prompt: string; origin: string }[];
    expect(prompts.map((p) => [p.prompt, p.origin])).toEqual([
      ["clicked", "ui"],
      ["fetched in the page", "page"],
      ["curl", "external"],
      ["another site", "external"],
    ]);
  });

  test("record the generation settings as submitted, switches off when absent", async () => {
    await submitWith({}, "plain");
    await submitWith({}, "full", { quality: "720p", duration: 8, model: "v6", seed: 11, negative_prompt: "rain", audio: 1, multi_shot: 1 });
    const [plain, full] = (await control(sim, "/stats")).json.prompts;
    expect(plain.settings).toEqual({ model: "v5", quality: "360p", duration: 5, aspectRatio: "16:9", audio: false, multiShot: false, seed: 7, negativePrompt: null });
    expect(full.settings).toEqual({ model: "v6", quality: "720p", duration: 8, aspectRatio: "16:9", audio: true, multiShot: true, seed: 11, negativePrompt: "rain" });
    expect(full.credits).toBe(8 * 8 + 20);
  });
});

describe("forget", () => {
  test("takes the video from the account: unlisted, 500008 in detail, and no longer holding a slot", async () => {
    const kept = await submitOk("kept");
    const gone = await submitOk("gone");
    expect((await submitT2v(sim, token, "third")).ErrCode).toBe(500044);
    const res = await control(sim, "/forget", { video_id: gone });
    expect(res.status).toBe(200);
    const listed = (await api(sim, "/video/list/personal", LIST_BODY, token)).Resp;
    expect(listed.data.map((v: { video_id: number }) => v.video_id)).toEqual([kept]);
    expect((await detail(sim, token, gone)).ErrCode).toBe(500008);
    expect((await submitT2v(sim, token, "third")).ErrCode).toBe(0);
    expect((await control(sim, "/stats")).json.running).toBe(2);
  });

  test("answers 404 for an unknown video and 400 for a bad body", async () => {
    const id = await submitOk("once");
    expect((await control(sim, "/forget", { video_id: id })).status).toBe(200);
    expect((await control(sim, "/forget", { video_id: id })).status).toBe(404);
    expect((await control(sim, "/forget", { video_id: String(id + 1) })).status).toBe(404);
    expect((await control(sim, "/forget", { videoId: id })).status).toBe(400);
  });
});

describe("start (a person's own video)", () => {
  test("starts a listed video that counts against the account's concurrency, recorded as manual", async () => {
    const res = await control(sim, "/start", { email: "ann@example.com", prompt: "my own cat" });
    expect(res.status, JSON.stringify(res.json)).toBe(201);
    const id = res.json.video_id as number;
    expect(Number.isSafeInteger(id)).toBe(true);
    const listed = (await api(sim, "/video/list/personal", LIST_BODY, token)).Resp.data;
    expect(listed).toEqual([expect.objectContaining({ video_id: id, prompt: "my own cat", video_status: 9 })]);
    await submitOk("the service's");
    expect((await submitT2v(sim, token, "one too many")).ErrCode).toBe(500044);
    const stats = (await control(sim, "/stats")).json;
    expect(stats.prompts[0]).toMatchObject({ videoId: id, origin: "manual", email: "ann@example.com", settings: { model: "v5.5", quality: "540p", duration: 5, audio: true, multiShot: true } });
    clock.advance(1.2 * GEN_MS + 1);
    expect(await statusOf(id)).toBe(1);
  });

  test("starts an image video from the sample picture, with a default prompt", async () => {
    const res = await control(sim, "/start", { email: "ann@example.com", kind: "i2v" });
    expect(res.status).toBe(201);
    const video = (await detail(sim, token, res.json.video_id)).Resp;
    expect(video.prompt.length).toBeGreaterThan(0);
    expect(video.customer_img_url).toStartWith(`${sim.url}/media/`);
    expect((await fetch(video.customer_img_url)).headers.get("content-type")).toBe("image/jpeg");
  });

  test("leaves the injected faults to the service's submissions", async () => {
    await control(sim, "/faults", { overloaded: 1 });
    expect((await control(sim, "/start", { email: "ann@example.com" })).status).toBe(201);
    expect((await submitT2v(sim, token, "a")).ErrCode).toBe(500069);
  });

  test("answers 409 with the ErrCode at the account's limit, 404 for an unknown account, 400 for a bad body", async () => {
    await submitOk("one");
    await submitOk("two");
    const full = await control(sim, "/start", { email: "ann@example.com" });
    expect(full.status).toBe(409);
    expect(full.json.ErrCode).toBe(500044);
    expect((await control(sim, "/start", { email: "nobody@example.com" })).status).toBe(404);
    expect((await control(sim, "/start", { email: "ann@example.com", kind: "video" })).status).toBe(400);
    expect((await control(sim, "/start", { email: "ann@example.com", prompt: "  " })).status).toBe(400);
  });
});

describe("load", () => {
  test("runs 200 generations at once for one account and lists them all", async () => {
    await addAccount(sim, { email: "big@example.com", password: "pw", concurrency: 200 });
    const big = await login(sim, "big@example.com", "pw");
    const answers = await Promise.all(Array.from({ length: 200 }, (_, i) => submitT2v(sim, big, `video ${i}`)));
    expect(answers.filter((a) => a.ErrCode !== 0)).toEqual([]);
    expect((await submitT2v(sim, big, "one too many")).ErrCode).toBe(500044);
    const stats = (await control(sim, "/stats")).json;
    expect(stats.running).toBe(200);
    expect(stats.maxConcurrent).toBe(200);
    const list = (await api(sim, "/video/list/personal", { ...LIST_BODY, limit: 250 }, big)).Resp;
    expect(list.data).toHaveLength(200);
    clock.advance(1.2 * GEN_MS + 1);
    expect((await control(sim, "/stats")).json.videosByStatus).toEqual({ "1": 200 });
  });
});
