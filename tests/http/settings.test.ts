// The optional generation parameters of POST /text2video and POST /image2video (model, quality, duration,
// aspect_ratio on text2video only, seed, negative_prompt): accepted from every place parameters come from,
// stored as the caller's choices and handed to the queue with the job, checked against the operator's lists,
// and invisible to a caller that sends none of them.
import { describe, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import type { RequestedSettings } from "../../src/domain/settings.ts";
import type { Database } from "../../src/db/client.ts";
import { buildApp, jsonPost, TEST_ALLOWED } from "../support/app.ts";
import { describeEachDatabase } from "../support/db.ts";
import { png } from "../support/images.ts";
import { appWith, expectInvalid, multipartPost, recordingVideos, uniqueOwner, urlencodedPost, videoIdOf } from "./helpers.ts";

type Endpoint = "/text2video" | "/image2video";
type Transport = "JSON" | "urlencoded" | "multipart" | "query";

const TRANSPORTS: Record<Endpoint, Transport[]> = {
  "/text2video": ["JSON", "urlencoded", "multipart", "query"],
  // image2video is multipart only; its parameters may also come in the query string beside the file.
  "/image2video": ["multipart", "query"],
};
const ENDPOINTS = Object.keys(TRANSPORTS) as Endpoint[];

const asForm = (params: Record<string, unknown>): Record<string, string> =>
  Object.fromEntries(Object.entries(params).map(([k, v]) => [k, String(v)]));

/** A request to `endpoint` with `extra` beside a valid prompt and owner (and image), sent by `transport`. */
function send(endpoint: Endpoint, transport: Transport, extra: Record<string, unknown>): [string, RequestInit] {
  const params = { prompt: "a fox in the snow", ...uniqueOwner(), ...extra };
  const file = endpoint === "/image2video" ? { name: "a.png", bytes: png(32, 24), type: "image/png" } : undefined;
  switch (transport) {
    case "JSON":
      return jsonPost(endpoint, params);
    case "urlencoded":
      return urlencodedPost(endpoint, asForm(params));
    case "multipart":
      return multipartPost(endpoint, asForm(params), file);
    case "query": {
      const url = `${endpoint}?${new URLSearchParams(asForm(params))}`;
      return file ? multipartPost(url, {}, file) : [url, { method: "POST" }];
    }
  }
}

/** The settings of the job with this id, as the queue hands it to the dispatcher. */
async function claimedSettings(app: ReturnType<typeof buildApp>, id: number): Promise<RequestedSettings | null> {
  const jobs = await app.repo.claimQueued("settings-test", 100);
  const job = jobs.find((j) => j.id === id);
  expect(job, `job ${id} was not claimed`).toBeDefined();
  return job!.settings;
}

async function settingsIsNull(database: Database, id: number): Promise<boolean> {
  const r = (await database.db.execute(sql`select settings is null as none from videos where id = ${id}`)) as unknown as { rows: { none: boolean | string }[] };
  return r.rows[0]?.none === true || r.rows[0]?.none === "t";
}

/** Values unlike the defaults (v5.6, 360p, 5 s, 16:9), so a value that is lost or defaulted shows. */
const CHOSEN = { model: "v6", quality: "1080p", duration: 10, aspect_ratio: "9:16", seed: 123456, negative_prompt: "blurry, low quality, текст 🚫" };
const STORED: Record<keyof typeof CHOSEN, [keyof RequestedSettings, unknown]> = {
  model: ["model", "v6"],
  quality: ["quality", "1080p"],
  duration: ["duration", 10],
  aspect_ratio: ["aspectRatio", "9:16"],
  seed: ["seed", 123456],
  negative_prompt: ["negativePrompt", "blurry, low quality, текст 🚫"],
};
const paramsOf = (endpoint: Endpoint) =>
  (Object.keys(CHOSEN) as (keyof typeof CHOSEN)[]).filter((p) => endpoint === "/text2video" || p !== "aspect_ratio");

describeEachDatabase("optional generation parameters are stored with the job", (db) => {
  for (const endpoint of ENDPOINTS) {
    for (const transport of TRANSPORTS[endpoint]) {
      test(`${endpoint} stores every optional parameter sent as ${transport}, and the claimed job carries them`, async () => {
        const app = buildApp(db());
        const params = paramsOf(endpoint);
        const id = await videoIdOf(await app.app.request(...send(endpoint, transport, Object.fromEntries(params.map((p) => [p, CHOSEN[p]])))));
        expect(await claimedSettings(app, id)).toEqual(Object.fromEntries(params.map((p) => STORED[p])));
      });
    }

    for (const param of paramsOf(endpoint)) {
      const transport = endpoint === "/text2video" ? "JSON" : "multipart";
      test(`${endpoint} stores ${param} alone (${transport}) as the only choice`, async () => {
        const app = buildApp(db());
        const id = await videoIdOf(await app.app.request(...send(endpoint, transport, { [param]: CHOSEN[param] })));
        const [key, value] = STORED[param];
        expect(await claimedSettings(app, id)).toEqual({ [key]: value });
      });
    }

    test(`${endpoint} without any optional parameter answers exactly {"video_id": n} and stores no settings`, async () => {
      const app = buildApp(db());
      for (const transport of TRANSPORTS[endpoint]) {
        const res = await app.app.request(...send(endpoint, transport, {}));
        const text = await res.clone().text();
        expect(res.status, text).toBe(200);
        expect(text).toMatch(/^\{"video_id":[1-9][0-9]*\}$/);
        const id = await videoIdOf(res);
        expect(await settingsIsNull(db(), id)).toBe(true);
        expect(await claimedSettings(app, id)).toBeNull();
      }
    });

    test(`${endpoint} treats empty, blank and null optional parameters as not given: no settings stored`, async () => {
      const app = buildApp(db());
      const params = paramsOf(endpoint);
      const forms = [Object.fromEntries(params.map((p) => [p, ""])), Object.fromEntries(params.map((p) => [p, " \t "]))];
      const ids: number[] = [];
      for (const form of forms) ids.push(await videoIdOf(await app.app.request(...send(endpoint, "multipart", form))));
      if (endpoint === "/text2video") {
        ids.push(await videoIdOf(await app.app.request(...send(endpoint, "JSON", Object.fromEntries(params.map((p) => [p, null]))))));
        ids.push(await videoIdOf(await app.app.request(...send(endpoint, "urlencoded", forms[0]!))));
      }
      for (const id of ids) expect(await settingsIsNull(db(), id)).toBe(true);
    });
  }

  test("/text2video accepts every value on the operator's lists, durations as JSON numbers and as digit strings", async () => {
    const app = buildApp(db());
    const cases: [Record<string, unknown>, RequestedSettings][] = [
      ...TEST_ALLOWED.models.map((model): [Record<string, unknown>, RequestedSettings] => [{ model }, { model }]),
      ...TEST_ALLOWED.qualities.map((quality): [Record<string, unknown>, RequestedSettings] => [{ quality }, { quality }]),
      ...TEST_ALLOWED.aspectRatios.map((aspect_ratio): [Record<string, unknown>, RequestedSettings] => [{ aspect_ratio }, { aspectRatio: aspect_ratio }]),
      ...TEST_ALLOWED.durations.flatMap((duration): [Record<string, unknown>, RequestedSettings][] => [
        [{ duration }, { duration }],
        [{ duration: String(duration) }, { duration }],
      ]),
    ];
    const ids: number[] = [];
    for (const [params] of cases) ids.push(await videoIdOf(await app.app.request(...send("/text2video", "JSON", params))));
    const claimed = new Map((await app.repo.claimQueued("settings-test", 1000)).map((j) => [j.id, j.settings]));
    expect(ids.map((id) => claimed.get(id))).toEqual(cases.map(([, stored]) => stored));
  });

  test("seed is accepted from 0 to 2147483647, as a JSON number or a digit string", async () => {
    const app = buildApp(db());
    const seeds: [unknown, number][] = [[0, 0], ["0", 0], [2147483647, 2147483647], ["2147483647", 2147483647], ["007", 7]];
    const ids: number[] = [];
    for (const [seed] of seeds) ids.push(await videoIdOf(await app.app.request(...send("/text2video", "JSON", { seed }))));
    const claimed = new Map((await app.repo.claimQueued("settings-test", 100)).map((j) => [j.id, j.settings]));
    expect(ids.map((id) => claimed.get(id))).toEqual(seeds.map(([, seed]) => ({ seed })));
  });

  test("a negative prompt of 2048 emoji (code points) is accepted and stored as sent, surrounding spaces included", async () => {
    const app = buildApp(db());
    const long = "😀".repeat(2048);
    const a = await videoIdOf(await app.app.request(...send("/text2video", "JSON", { negative_prompt: long })));
    const b = await videoIdOf(await app.app.request(...send("/image2video", "multipart", { negative_prompt: "  rain  " })));
    const claimed = new Map((await app.repo.claimQueued("settings-test", 100)).map((j) => [j.id, j.settings]));
    expect(claimed.get(a)).toEqual({ negativePrompt: long });
    expect(claimed.get(b)).toEqual({ negativePrompt: "  rain  " });
  });
});

describe("optional generation parameters: refused values", () => {
  const app = () => appWith(recordingVideos());
  const bad: Record<string, unknown[]> = {
    model: ["v7", "V6", " v6", "v6 ", "v5,v6", 5, 5.6, true, ["v6"], { v: 6 }],
    quality: ["4k", "720P", "720", 720, false, ["720p"]],
    duration: [7, "7", 0, -5, "-5", 5.5, "5.5", "5.0", "5s", " 5", "+5", "1e1", 1e21, true, ["5"], { s: 5 }],
    aspect_ratio: ["2:1", "16x9", "16:9 ", "16/9", 1.78, true, ["16:9"]],
    seed: [-1, "-1", 2147483648, "2147483648", "99999999999999999999", 1.5, "1.5", "1e3", "0x10", " 1", "abc", true, ["1"], {}],
    negative_prompt: ["x".repeat(2049), "😀".repeat(2049), 42, true, ["rain"], { text: "rain" }, "a\u0000b"],
  };
  for (const [field, values] of Object.entries(bad)) {
    for (const value of values) {
      const shown = typeof value === "string" && value.length > 20 ? `${value.length} × ${JSON.stringify(value.slice(0, 2))}` : JSON.stringify(value);
      test(`/text2video refuses ${field} ${shown} (JSON) with 400 naming ${field}, storing nothing`, async () => {
        const videos = recordingVideos();
        await expectInvalid(await appWith(videos).request(...send("/text2video", "JSON", { [field]: value })), field);
        expect(videos.created).toHaveLength(0);
      });
    }
  }

  const lists: [string, readonly (string | number)[]][] = [
    ["model", TEST_ALLOWED.models],
    ["quality", TEST_ALLOWED.qualities],
    ["duration", TEST_ALLOWED.durations],
    ["aspect_ratio", TEST_ALLOWED.aspectRatios],
  ];
  for (const [field, allowed] of lists) {
    test(`the 400 for an unknown ${field} names every allowed value`, async () => {
      const body = await expectInvalid(await app().request(...send("/text2video", "JSON", { [field]: "nope" })), field);
      for (const value of allowed) expect(body.message).toContain(String(value));
    });
  }

  test("the 400 for a bad seed names its range, and for a long negative prompt its limit", async () => {
    expect((await expectInvalid(await app().request(...send("/text2video", "JSON", { seed: -1 })), "seed")).message).toContain("2147483647");
    const long = await expectInvalid(await app().request(...send("/text2video", "JSON", { negative_prompt: "x".repeat(2049) })), "negative_prompt");
    expect(long.message).toContain("2048");
  });

  test("a lone surrogate in negative_prompt is refused with 400 naming it", async () => {
    const owner = uniqueOwner();
    const raw = `{"prompt":"fox","app_bundle_id":${JSON.stringify(owner.app_bundle_id)},"apphud_user_id":${JSON.stringify(owner.apphud_user_id)},"negative_prompt":"rain \\ud83d"}`;
    await expectInvalid(await app().request(...jsonPost("/text2video", raw)), "negative_prompt");
  });

  const formBad: [string, string][] = [
    ["model", "v7"],
    ["quality", "2160p"],
    ["duration", "7"],
    ["duration", "5.0"],
    ["seed", "-1"],
    ["seed", "2147483648"],
    ["negative_prompt", "x".repeat(2049)],
  ];
  for (const endpoint of ENDPOINTS) {
    for (const transport of TRANSPORTS[endpoint].filter((t) => t !== "JSON")) {
      test(`${endpoint} refuses bad values sent as ${transport} with 400 naming each field`, async () => {
        for (const [field, value] of formBad) {
          if (transport === "query" && value.length > 100) continue; // a URL is no place for 2049 characters
          await expectInvalid(await app().request(...send(endpoint, transport, { [field]: value })), field);
        }
        if (endpoint === "/text2video") await expectInvalid(await app().request(...send(endpoint, transport, { aspect_ratio: "5:4" })), "aspect_ratio");
      });
    }
  }

  test("a repeated form field (two values) is refused with 400 naming it", async () => {
    const owner = uniqueOwner();
    for (const field of ["model", "duration", "seed", "negative_prompt"]) {
      const res = await app().request(...urlencodedPost("/text2video", { ...owner, prompt: "fox", [field]: [field === "model" ? "v6" : "5", "5"] }));
      await expectInvalid(res, field);
    }
  });

  for (const transport of TRANSPORTS["/image2video"]) {
    test(`/image2video refuses aspect_ratio (${transport}), even an allowed one, with 400 naming it: the image gives the shape`, async () => {
      const videos = recordingVideos();
      for (const value of ["16:9", "9:16", "nope"]) {
        const body = await expectInvalid(await appWith(videos).request(...send("/image2video", transport, { aspect_ratio: value })), "aspect_ratio");
        expect(body.message).toContain("text2video only");
      }
      expect(videos.created).toHaveLength(0);
    });
  }

  test("/image2video takes an empty aspect_ratio as not given", async () => {
    const videos = recordingVideos();
    await videoIdOf(await appWith(videos).request(...send("/image2video", "multipart", { aspect_ratio: "" })));
    expect(videos.created[0]?.settings ?? null).toBeNull();
  });

  test("values are checked against the operator's lists, not built-in ones", async () => {
    const videos = recordingVideos();
    const allowed = { models: ["m1", "m2"], qualities: ["q1"], durations: [3, 12], aspectRatios: ["2:1"] };
    const custom = appWith(videos, undefined, undefined, allowed);
    for (const [field, value] of [["model", "v6"], ["quality", "720p"], ["duration", 5], ["aspect_ratio", "16:9"]] as const) {
      const body = await expectInvalid(await custom.request(...send("/text2video", "JSON", { [field]: value })), field);
      expect(body.message).not.toContain(String(value));
    }
    await videoIdOf(await custom.request(...send("/text2video", "JSON", { model: "m2", quality: "q1", duration: "12", aspect_ratio: "2:1" })));
    expect(videos.created.map((v) => v.settings)).toEqual([{ model: "m2", quality: "q1", duration: 12, aspectRatio: "2:1" }]);
  });

  test("a request without optional parameters hands the store no settings", async () => {
    const videos = recordingVideos();
    await videoIdOf(await appWith(videos).request(...send("/text2video", "JSON", {})));
    await videoIdOf(await appWith(videos).request(...send("/image2video", "multipart", {})));
    expect(videos.created.map((v) => v.settings ?? null)).toEqual([null, null]);
  });
});
