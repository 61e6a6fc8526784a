// Seeded random inputs against the three endpoints, on PGlite and on PostgreSQL. For JSON objects and query
// strings an independent oracle says whether the request is valid, and the answer must match it exactly
// (200 with an id, or 400 naming a field); for any other body the answer must still be one of the contract's
// statuses with a JSON body, never a 500, a stack or SQL.
import { expect, test } from "bun:test";
import { ID_MAX_LENGTH, PROMPT_MAX_CODE_POINTS } from "../../src/domain/limits.ts";
import { buildApp, formPost } from "../support/app.ts";
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
  return typeof v === "string" && v.trim() !== "" && !v.includes("\u0000") && v.isWellFormed() && codePoints(v) <= max;
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

describeEachDatabase("fuzzed requests", (db) => {
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
