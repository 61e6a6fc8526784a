// Seeded random inputs against the three endpoints, on PGlite and on PostgreSQL. For JSON objects and query
// strings an independent oracle says whether the request is valid, and the answer must match it exactly
// (200 with an id, or 400 naming a field); for any other body the answer must still be one of the contract's
// statuses with a JSON body, never a 500, a stack or SQL.
import { expect, test } from "bun:test";
import { ID_MAX_LENGTH, PROMPT_MAX_CODE_POINTS } from "../../src/domain/limits.ts";
import { buildApp, formPost, TEST_ALLOWED } from "../support/app.ts";
import { bmp, gif, jpeg, png, svg, webp } from "../support/images.ts";
import { describeEachDatabase } from "../support/db.ts";

const CASES = 1000;

/** A small deterministic PRNG (mulberry32), so a failure names a seed that reproduces it. */
function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  return { next, int, pick };
}
type Rng = ReturnType<typeof rng>;

const PIECES = [
  "a", "Z", "0", " ", "\t", "\n", "'", '"', "\\", "%", "%2", "%zz", "+", "&", "=", "?", "#", ";", "--", "$$", "E'",
  "\u0000", "\u0001", "\u00a0", "\u3000", "\ufeff", "ж", "😀", "🐈‍⬛", "\ud800", "\udc00", "\u2028", "null", "{", "]",
];

function randomString(r: Rng): string {
  switch (r.int(6)) {
    case 0:
      return "";
    case 1: // near the prompt limit, in characters of one or two UTF-16 units
      return r.pick(["x", "ж", "😀"]).repeat(PROMPT_MAX_CODE_POINTS - 1 + r.int(3));
    case 2: // near the id limit
      return r.pick(["i", "😀"]).repeat(ID_MAX_LENGTH - 1 + r.int(3));
    default:
      return Array.from({ length: 1 + r.int(12) }, () => r.pick(PIECES)).join("");
  }
}

function randomValue(r: Rng, depth = 0): unknown {
  switch (r.int(depth > 1 ? 5 : 8)) {
    case 0:
    case 1:
    case 2:
      return randomString(r);
    case 3:
      return r.pick([0, -1, 1, 1.5, 2 ** 53 + 2, 1e308, true, false, null]);
    case 4:
      return "a valid text";
    case 5:
      return Array.from({ length: r.int(3) }, () => randomValue(r, depth + 1));
    default:
      return Object.fromEntries(Array.from({ length: r.int(3) }, () => [randomString(r), randomValue(r, depth + 1)]));
  }
}

function codePoints(s: string): number {
  return [...s].length;
}

/** The contract's rule for a text parameter, written independently of src/http/schemas.ts. */
function textOk(v: unknown, max: number): boolean {
  // Blank: what trim() removes and NEL (U+0085), Unicode's White_Space too.
  return typeof v === "string" && !/^[\s\u0085]*$/.test(v) && !v.includes("\u0000") && v.isWellFormed() && codePoints(v) <= max;
}

function videoIdOk(v: unknown): boolean {
  if (typeof v === "number") return Number.isInteger(v) && v >= 1;
  return typeof v === "string" && /^[0-9]+$/.test(v) && Number(v) >= 1;
}

const ALLOWED = new Set([200, 400, 404, 405, 413, 429]);

async function expectContractAnswer(res: Response, seed: number): Promise<{ status: number; body: Record<string, unknown> }> {
  const text = await res.text();
  if (!ALLOWED.has(res.status)) throw new Error(`seed ${seed}: status ${res.status}: ${text.slice(0, 300)}`);
  expect(res.headers.get("content-type")).toContain("application/json");
  const body = JSON.parse(text) as Record<string, unknown>;
  if (res.status !== 200) {
    expect(typeof body.error).toBe("string");
    expect(text).not.toMatch(/\bat .+:\d+:\d+|insert into|select .+ from|accept_videos/i);
  }
  return { status: res.status, body };
}

function expectAccepted(answer: { status: number; body: Record<string, unknown> }, seed: number): void {
  if (answer.status !== 200) throw new Error(`seed ${seed}: expected 200, got ${answer.status} ${JSON.stringify(answer.body)}`);
  expect(Object.keys(answer.body)).toEqual(["video_id"]);
  expect(Number.isSafeInteger(answer.body.video_id) && (answer.body.video_id as number) > 0).toBe(true);
}

/** 400 naming one of the fields that the oracle found invalid. */
function expectRefused(answer: { status: number; body: Record<string, unknown> }, invalid: string[], seed: number): void {
  if (answer.status !== 400 || !invalid.includes(answer.body.field as string)) {
    throw new Error(`seed ${seed}: expected 400 naming one of ${invalid.join(", ")}, got ${answer.status} ${JSON.stringify(answer.body)}`);
  }
}

/** The generator must reach both sides of the rule often, or the oracle proves little. */
function expectBothSides(seen: Record<string, number>): void {
  for (const count of Object.values(seen)) expect(count).toBeGreaterThan(CASES / 10);
}

const TEXT_FIELDS: [string, number][] = [
  ["app_bundle_id", ID_MAX_LENGTH],
  ["apphud_user_id", ID_MAX_LENGTH],
  ["prompt", PROMPT_MAX_CODE_POINTS],
];

// The optional generation parameters, written independently of src/http/schemas.ts: a value that is absent,
// null, "" or white space only is not given; a given one must be on the operator's list (duration and seed:
// a JSON integer or a string of ASCII digits), a seed 0 to 2^31 - 1, a negative prompt a storable string of
// at most 2048 code points. aspect_ratio is for text2video only.
const SETTING_FIELDS = ["model", "quality", "duration", "aspect_ratio", "seed", "negative_prompt"] as const;
type SettingField = (typeof SETTING_FIELDS)[number];
const STORED_KEY: Record<SettingField, string> = {
  model: "model",
  quality: "quality",
  duration: "duration",
  aspect_ratio: "aspectRatio",
  seed: "seed",
  negative_prompt: "negativePrompt",
};

function givenSetting(v: unknown): boolean {
  return !(v === undefined || v === null || (typeof v === "string" && /^[\s\u0085]*$/.test(v)));
}

function integerOf(v: unknown): number | null {
  if (typeof v === "number") return Number.isInteger(v) ? v : null;
  if (typeof v !== "string" || v.length === 0) return null;
  for (const ch of v) if (ch < "0" || ch > "9") return null;
  return Number(v);
}

/** The value the service must store for a given `field`, or undefined when it must refuse it. */
function settingOracle(field: SettingField, v: unknown, kind: "t2v" | "i2v"): unknown {
  switch (field) {
    case "model":
      return typeof v === "string" && TEST_ALLOWED.models.includes(v) ? v : undefined;
    case "quality":
      return typeof v === "string" && TEST_ALLOWED.qualities.includes(v) ? v : undefined;
    case "aspect_ratio":
      return kind === "t2v" && typeof v === "string" && TEST_ALLOWED.aspectRatios.includes(v) ? v : undefined;
    case "duration": {
      const n = integerOf(v);
      return n !== null && TEST_ALLOWED.durations.includes(n) ? n : undefined;
    }
    case "seed": {
      const n = integerOf(v);
      return n !== null && n >= 0 && n <= 2_147_483_647 ? n : undefined;
    }
    case "negative_prompt":
      return typeof v === "string" && !v.includes("\u0000") && v.isWellFormed() && codePoints(v) <= PROMPT_MAX_CODE_POINTS ? v : undefined;
  }
}

/** A random value for `field`; `plain`: only absent or on its list (so that whole requests pass often enough). */
function randomSetting(r: Rng, field: SettingField, plain: boolean): unknown {
  const lists: Record<SettingField, readonly (string | number)[]> = {
    model: TEST_ALLOWED.models,
    quality: TEST_ALLOWED.qualities,
    duration: TEST_ALLOWED.durations,
    aspect_ratio: TEST_ALLOWED.aspectRatios,
    seed: [0, 1, 42, 2_147_483_646, 2_147_483_647, 2_147_483_648, -1, 1.5, 1e21],
    negative_prompt: ["blurry", "low quality, text", "ж 😀", "  rain  "],
  };
  switch (plain ? r.int(2) * 7 : r.int(8)) {
    case 0:
    case 1: {
      const v = r.pick(lists[field]);
      return r.int(2) ? v : String(v);
    }
    case 2: {
      // Near misses: case, white space around, decimals, signs, exponents, emptiness.
      const v = String(r.pick(lists[field]));
      return r.pick([v.toUpperCase(), ` ${v}`, `${v} `, `${v}.0`, `-${v}`, `+${v}`, `${v}e0`, `0${v}`, "", " ", null, `${v},${v}`]);
    }
    case 3:
      return r.int(2) ? String(r.int(2 ** 32)) : r.int(2 ** 32);
    case 4:
    case 5:
      return randomValue(r);
    default:
      return undefined;
  }
}

/** What the server reads from a multipart value: a USV string without the line breaks a form may rewrite. */
const asFormValue = (v: unknown) => String(v).toWellFormed().replace(/[\r\n]/g, "");

describeEachDatabase("fuzzed requests", (db) => {
  for (const kind of ["t2v", "i2v"] as const) {
    const path = kind === "t2v" ? "/text2video" : "/image2video";
    test(`POST ${path} with random optional settings: 200 and the oracle's settings stored exactly when every given one is allowed, else 400 naming one that is not`, async () => {
      const { app, repo } = buildApp(db());
      const seen = { accepted: 0, refused: 0, chose: 0 };
      const cases = kind === "t2v" ? CASES : CASES / 4;
      for (let seed = 1; seed <= cases; seed++) {
        const r = rng((kind === "t2v" ? 4_000_000 : 5_000_000) + seed);
        const fields: Record<string, unknown> = { prompt: `prompt ${seed}`, app_bundle_id: "com.fuzz", apphud_user_id: `${kind} settings ${seed}` };
        // A third of the requests choose only values that should pass (image2video: no aspect_ratio).
        const plain = r.int(3) === 0;
        for (const field of SETTING_FIELDS) {
          if (plain && kind === "i2v" && field === "aspect_ratio") continue;
          const v = randomSetting(r, field, plain);
          if (v === undefined) continue;
          // Multipart carries strings only (null as absent).
          if (kind === "i2v") {
            if (v !== null) fields[field] = asFormValue(v);
          } else fields[field] = v;
        }
        const res =
          kind === "t2v"
            ? await app.request(path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(fields) })
            : await app.request(...formPost(path, fields as Record<string, string>, { name: "a.png", bytes: png(8, 8) }));
        const answer = await expectContractAnswer(res, seed);
        const expected: Record<string, unknown> = {};
        const invalid: string[] = [];
        for (const field of SETTING_FIELDS) {
          if (!givenSetting(fields[field])) continue;
          // Multipart: a text part holding U+FFFD is refused (a lone surrogate is sent as one), docs/API.md.
          if (kind === "i2v" && String(fields[field]).toWellFormed().includes("\uFFFD")) {
            invalid.push(field);
            continue;
          }
          const stored = settingOracle(field, fields[field], kind);
          if (stored === undefined) invalid.push(field);
          else expected[STORED_KEY[field]] = stored;
        }
        if (invalid.length === 0) {
          expectAccepted(answer, seed);
          seen.accepted++;
          const claimed = await repo.claimQueued("fuzz", 10);
          expect(claimed.map((j) => j.id)).toEqual([answer.body.video_id as number]);
          const want = Object.keys(expected).length > 0 ? expected : null;
          if (want) seen.chose++;
          if (!Bun.deepEquals(claimed[0]!.settings, want)) {
            throw new Error(`seed ${seed}: stored ${JSON.stringify(claimed[0]!.settings)}, expected ${JSON.stringify(want)}`);
          }
        } else {
          expectRefused(answer, invalid, seed);
          seen.refused++;
        }
      }
      for (const count of Object.values(seen)) expect(count).toBeGreaterThan(cases / 10);
    });
  }


  test("POST /text2video with a random JSON object: 200 exactly when every field is valid, else 400 naming one that is not", async () => {
    const { app, repo } = buildApp(db());
    const seen = { accepted: 0, refused: 0 };
    for (let seed = 1; seed <= CASES; seed++) {
      const r = rng(seed);
      const body: Record<string, unknown> = {};
      for (const [field] of TEXT_FIELDS) {
        const roll = r.int(10);
        if (roll < 5) body[field] = `${field} ${seed}`;
        else if (roll < 9) body[field] = randomValue(r);
      }
      if (r.int(4) === 0) body[randomString(r)] = randomValue(r);
      const res = await app.request("/text2video", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
      const answer = await expectContractAnswer(res, seed);
      const invalid = TEXT_FIELDS.filter(([f, max]) => !textOk(body[f], max)).map(([f]) => f);
      if (invalid.length === 0) {
        expectAccepted(answer, seed);
        seen.accepted++;
        const job = await repo.findJob(answer.body.video_id as number);
        expect(job?.prompt).toBe(body.prompt as string);
      } else {
        expectRefused(answer, invalid, seed);
        seen.refused++;
      }
    }
    expectBothSides(seen);
  });

  test("GET /get_status with random query values: 400 naming an invalid field, else the contract's 404 for a video that is not there", async () => {
    const { app } = buildApp(db());
    const seen = { missing: 0, refused: 0 };
    for (let seed = 1; seed <= CASES; seed++) {
      const r = rng(1_000_000 + seed);
      const q = new URLSearchParams();
      const values: Record<string, unknown> = {};
      for (const [field, value] of [
        ["video_id", r.int(2) ? String(10_000_000 + seed) : r.pick(["0", "-1", "1.0", "1e3", " 1", "", "99999999999999999999999", "007", randomString(r)])],
        ["app_bundle_id", r.int(2) ? `app ${seed}` : randomString(r)],
        ["apphud_user_id", r.int(2) ? `user ${seed}` : randomString(r)],
      ] as const) {
        if (r.int(12) === 0) continue;
        q.append(field, value);
        values[field] = value;
      }
      const res = await app.request(`/get_status?${q}`);
      const answer = await expectContractAnswer(res, seed);
      // What the server can see: a URL carries Unicode scalar values (a lone surrogate arrives as U+FFFD).
      for (const field of Object.keys(values)) values[field] = new URLSearchParams(q.toString()).get(field);
      const invalid = [
        ...TEXT_FIELDS.slice(0, 2).filter(([f, max]) => !textOk(values[f], max)).map(([f]) => f),
        ...(videoIdOk(values.video_id) ? [] : ["video_id"]),
      ];
      if (invalid.length === 0) {
        if (answer.status !== 404) throw new Error(`seed ${seed}: expected 404, got ${answer.status} ${JSON.stringify(answer.body)}`);
        seen.missing++;
      } else {
        expectRefused(answer, invalid, seed);
        seen.refused++;
      }
    }
    expectBothSides(seen);
  });

  test("random bodies, content types and queries on every route never answer outside the contract", async () => {
    const { app } = buildApp(db());
    const types = [
      "application/json", "application/json; charset=utf-8", "application/x-www-form-urlencoded", "multipart/form-data",
      "multipart/form-data; boundary=XyZ", "text/plain", "application/octet-stream", "", "garbage/;;;", "application/vnd.api+json",
    ];
    for (let seed = 1; seed <= CASES; seed++) {
      const r = rng(2_000_000 + seed);
      const path = r.pick(["/text2video", "/image2video", "/get_status", "/text2video/", "/nope"]);
      const method = r.pick(["POST", "POST", "GET", "PUT", "DELETE"]);
      // Raw, unencoded pieces: broken %-escapes, '+', '#', controls and lone surrogates reach the URL parser as they are.
      const query = Array.from({ length: r.int(4) }, () => `${randomString(r).slice(0, 40)}=${randomString(r).slice(0, 40)}`).join("&");
      let body: Uint8Array | string | undefined;
      switch (r.int(5)) {
        case 0:
          body = undefined;
          break;
        case 1:
          body = JSON.stringify(randomValue(r)).slice(0, r.int(2) ? undefined : r.int(50));
          break;
        case 2:
          body = Array.from({ length: 1 + r.int(4) }, () => `${randomString(r).slice(0, 30)}=${randomString(r).slice(0, 30)}`).join("&");
          break;
        case 3:
          body = `--XyZ\r\nContent-Disposition: form-data; name="${r.pick(["prompt", "file", "x"])}"; filename="a.png"\r\n\r\n${randomString(r)}\r\n--XyZ${r.int(2) ? "--" : ""}\r\n`;
          break;
        default:
          body = Uint8Array.from({ length: r.int(200) }, () => r.int(256));
      }
      const headers: Record<string, string> = {};
      const type = r.pick(types);
      if (type) headers["content-type"] = type;
      const init: RequestInit = { method, headers };
      if (body !== undefined && method !== "GET") init.body = body as BodyInit;
      const res = await app.request(`${path}${query ? `?${query}` : ""}`, init);
      await expectContractAnswer(res, seed);
    }
  });

  test("POST /image2video with damaged images (bytes flipped, cut, spliced) answers 200, 400 or 413, never anything else", async () => {
    const { app } = buildApp(db());
    const originals = [png(40, 30), png(4001, 2), jpeg(64, 48), webp(50, 50), gif(), bmp(), svg()];
    const seen = new Set<number>();
    for (let seed = 1; seed <= CASES / 4; seed++) {
      const r = rng(3_000_000 + seed);
      let bytes = Uint8Array.from(r.pick(originals));
      for (let m = r.int(4); m > 0; m--) {
        const at = r.int(bytes.length);
        switch (r.int(3)) {
          case 0:
            bytes[at] = r.int(256);
            break;
          case 1:
            bytes = bytes.slice(0, at);
            break;
          default:
            bytes = Uint8Array.from([...bytes.slice(0, at), ...r.pick(originals).slice(0, 1 + r.int(64)), ...bytes.slice(at)]);
        }
      }
      const fields = { prompt: "a cat", app_bundle_id: "com.fuzz", apphud_user_id: `image ${seed}` };
      const res = await app.request(...formPost("/image2video", fields, { name: r.pick(["a.png", "a.jpg", "a", "a.gif"]), bytes }));
      const answer = await expectContractAnswer(res, seed);
      if (![200, 400, 413].includes(answer.status)) throw new Error(`seed ${seed}: ${answer.status} ${JSON.stringify(answer.body)}`);
      seen.add(answer.status);
    }
    expect([...seen].sort()).toEqual([200, 400, 413]);
  });
});
