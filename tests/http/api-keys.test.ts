// Optional API keys (src/http/api-keys.ts), configured the way main.ts does it (loadConfig → config.apiKeys →
// createApp), on PGlite and (with TEST_DATABASE_URL) PostgreSQL: off by default with the contract's answers;
// on: 401 (with WWW-Authenticate) before anything else, 403 naming app_bundle_id after validation, both
// header forms, wildcard bindings, keys of any length, /health and /ready open, and no key in a log line or
// an error body.
import { expect, test } from "bun:test";
import { loadConfig } from "../../src/config.ts";
import { API_KEY_SECURITY_SCHEMES } from "../../src/http/api-keys.ts";
import { buildApp, formPost, jsonPost, statusUrl } from "../support/app.ts";
import { describeEachDatabase } from "../support/db.ts";
import { png } from "../support/images.ts";
import { expectError, expectInvalid, videoIdOf } from "./helpers.ts";

type Owner = { app_bundle_id: string; apphud_user_id: string };
type App = ReturnType<typeof buildApp>["app"];

const APP_KEY = "app-key-0123456789abcdefABCDEF";
const ALL_KEY = "all-key-fedcba9876543210_~+/xy==";
const OTHER_KEY = "other-key-0123456789abcdef";
const KEYS = [APP_KEY, ALL_KEY, OTHER_KEY];
const API_KEYS = `${APP_KEY}:com.example.videoapp|com.family.*, ${ALL_KEY}:*,${OTHER_KEY}:com.other.app`;
const apiKeys = () => loadConfig({ API_KEYS }).apiKeys;

const MINE: Owner = { app_bundle_id: "com.example.videoapp", apphud_user_id: "user-1" };
const THEIRS: Owner = { app_bundle_id: "com.other.app", apphud_user_id: "user-1" };

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
const xApiKey = (key: string) => ({ "x-api-key": key });

function withHeaders([path, init]: [string, RequestInit], headers: Record<string, string>): [string, RequestInit] {
  return [path, { ...init, headers: { ...(init.headers as Record<string, string> | undefined), ...headers } }];
}

/** The three API calls for `owner` (get_status of `videoId`), each with `headers`. */
function calls(owner: Owner, headers: Record<string, string>, videoId = 1): [string, [string, RequestInit]][] {
  return [
    ["POST /text2video", withHeaders(jsonPost("/text2video", { ...owner, prompt: "a fox" }), headers)],
    ["POST /image2video", withHeaders(formPost("/image2video", { ...owner, prompt: "a fox" }, { name: "a.png", bytes: png(32, 32), type: "image/png" }), headers)],
    ["GET /get_status", [statusUrl(videoId, owner), { headers }]],
  ];
}

async function expectUnauthorized(res: Response): Promise<void> {
  const body = await expectError(res, 401);
  expect(body.error).toBe("unauthorized");
  expect(Object.keys(body).sort()).toEqual(["error", "message"]);
  expect(res.headers.get("www-authenticate")).toStartWith("Bearer");
  expect(res.headers.get("x-request-id")).toBeTruthy();
}

async function expectForbidden(res: Response): Promise<void> {
  const body = await expectError(res, 403);
  expect(body).toMatchObject({ error: "forbidden", field: "app_bundle_id" });
  expect(res.headers.get("www-authenticate")).toBeNull();
}

/** A video of `owner`, created with `key`. */
const created = async (app: App, owner: Owner, key = APP_KEY) =>
  videoIdOf(await app.request(...withHeaders(jsonPost("/text2video", { ...owner, prompt: "a fox" }), bearer(key))));

test("the security scheme is described in one exported place, for the OpenAPI document", () => {
  expect(API_KEY_SECURITY_SCHEMES.bearerKey).toMatchObject({ type: "http", scheme: "bearer" });
  expect(API_KEY_SECURITY_SCHEMES.apiKeyHeader).toMatchObject({ type: "apiKey", in: "header", name: "X-API-Key" });
});

describeEachDatabase("API keys", (db) => {
  test("are off by default: no key needed, the contract's answers, key headers ignored", async () => {
    expect(loadConfig({}).apiKeys).toBeNull();
    const { app } = buildApp(db(), {}, undefined, loadConfig({}).apiKeys);
    for (const headers of [{}, bearer("nonsense"), xApiKey("x")]) {
      for (const [what, req] of calls(MINE, headers)) {
        const res = await app.request(...req);
        expect(res.status, `${what}: ${await res.clone().text()}`).toBe(200);
        expect(res.headers.get("www-authenticate")).toBeNull();
      }
    }
    expect(await (await app.request(statusUrl(1, MINE))).text()).toBe('{"status":"Generating"}');
  });

  test("on: every API call without a key is 401 with WWW-Authenticate, and nothing is stored", async () => {
    const { app, repo } = buildApp(db(), {}, undefined, apiKeys());
    for (const [what, req] of calls(MINE, {})) {
      const res = await app.request(...req);
      expect(res.status, what).toBe(401);
      await expectUnauthorized(res);
    }
    expect(await repo.findJob(1)).toBeNull();
  });

  test("on: an unknown key is 401 whatever its length, case or likeness to a real one, never a 500", async () => {
    const { app } = buildApp(db(), {}, undefined, apiKeys());
    const wrong = [
      "x",
      "wrong-key-0123456789abcdef",
      APP_KEY.slice(0, -1),
      APP_KEY + "0",
      APP_KEY.toUpperCase(),
      "k".repeat(10_000),
      "é\u00ff-latin-1-not-a-token-0123456789",
      `${APP_KEY} ${APP_KEY}`,
    ];
    for (const key of wrong) {
      for (const headers of [bearer(key), xApiKey(key)]) {
        for (const [what, req] of calls(MINE, headers)) {
          const res = await app.request(...req);
          expect(res.status, `${what} with a key of ${key.length} characters`).toBe(401);
          await expectUnauthorized(res);
        }
      }
    }
  });

  test("on: 401 comes before every other answer (400, 413, a wrong content type)", async () => {
    const { app } = buildApp(db(), {}, undefined, apiKeys());
    await expectUnauthorized(await app.request(...jsonPost("/text2video", {})));
    await expectUnauthorized(await app.request(...jsonPost("/text2video", "{not json")));
    await expectUnauthorized(await app.request(...jsonPost("/text2video", { ...MINE, prompt: "x".repeat(1_000_000) })));
    await expectUnauthorized(await app.request(...jsonPost("/image2video", { ...MINE, prompt: "a fox" })));
    await expectUnauthorized(await app.request("/get_status?video_id=abc"));
  });

  test("on: a key bound to the app answers 200 on all three calls, through either header", async () => {
    const { app } = buildApp(db(), {}, undefined, apiKeys());
    const id = await created(app, MINE);
    for (const headers of [bearer(APP_KEY), { authorization: `bearer  ${APP_KEY}` }, xApiKey(APP_KEY), { ...bearer(APP_KEY), ...xApiKey(APP_KEY) }]) {
      for (const [what, req] of calls(MINE, headers, id)) {
        const res = await app.request(...req);
        expect(res.status, `${what} with ${JSON.stringify(Object.keys(headers))}: ${await res.clone().text()}`).toBe(200);
      }
    }
    expect(await (await app.request(statusUrl(id, MINE), { headers: xApiKey(APP_KEY) })).text()).toBe('{"status":"Generating"}');
  });

  test("on: two different keys in the two headers are a 401, even when one of them is valid", async () => {
    const { app } = buildApp(db(), {}, undefined, apiKeys());
    for (const [, req] of calls(MINE, { ...bearer(APP_KEY), ...xApiKey(ALL_KEY) })) await expectUnauthorized(await app.request(...req));
  });

  test("on: an Authorization header of another scheme is no key; X-API-Key beside it still counts", async () => {
    const { app } = buildApp(db(), {}, undefined, apiKeys());
    await expectUnauthorized(await app.request(statusUrl(1, MINE), { headers: { authorization: `Basic ${btoa(`u:${APP_KEY}`)}` } }));
    await expectUnauthorized(await app.request(statusUrl(1, MINE), { headers: { authorization: APP_KEY } }));
    const res = await app.request(statusUrl(1, MINE), { headers: { authorization: "Basic abc", ...xApiKey(APP_KEY) } });
    expect(res.status).toBe(404);
  });

  test("on: a key in the query string or the body is not a key", async () => {
    const { app } = buildApp(db(), {}, undefined, apiKeys());
    await expectUnauthorized(await app.request(`${statusUrl(1, MINE)}&api_key=${APP_KEY}`));
    await expectUnauthorized(await app.request(...jsonPost("/text2video", { ...MINE, prompt: "a fox", api_key: APP_KEY })));
  });

  test("on: a key used for an app it is not bound to is 403 naming app_bundle_id, on all three calls", async () => {
    const { app } = buildApp(db(), {}, undefined, apiKeys());
    const theirs = await created(app, THEIRS, OTHER_KEY);
    for (const headers of [bearer(APP_KEY), xApiKey(APP_KEY)]) {
      for (const [what, req] of calls(THEIRS, headers, theirs)) {
        const res = await app.request(...req);
        expect(res.status, what).toBe(403);
        await expectForbidden(res);
      }
    }
    // Their video stays theirs: the owning key still reads it.
    expect((await app.request(statusUrl(theirs, THEIRS), { headers: bearer(OTHER_KEY) })).status).toBe(200);
  });

  test("on: a missing or bad app_bundle_id with a valid key is still the 400, not a 403", async () => {
    const { app } = buildApp(db(), {}, undefined, apiKeys());
    await expectInvalid(await app.request(...withHeaders(jsonPost("/text2video", { apphud_user_id: "u", prompt: "a fox" }), bearer(OTHER_KEY))), "app_bundle_id");
    await expectInvalid(await app.request(`/get_status?video_id=1&apphud_user_id=u&app_bundle_id=`, { headers: bearer(OTHER_KEY) }), "app_bundle_id");
    await expectInvalid(await app.request(`/get_status?video_id=x&apphud_user_id=u&app_bundle_id=com.nope`, { headers: bearer(OTHER_KEY) }), "video_id");
  });

  test("on: prefix.* binds every app under the prefix and nothing else; * binds every app", async () => {
    const { app } = buildApp(db(), {}, undefined, apiKeys());
    for (const bundle of ["com.family.one", "com.family.two.beta", "com.family."]) {
      await created(app, { app_bundle_id: bundle, apphud_user_id: "u" });
    }
    for (const bundle of ["com.family", "com.familyapp", "com.familiar.one", "org.com.family.one"]) {
      await expectForbidden(await app.request(...withHeaders(jsonPost("/text2video", { app_bundle_id: bundle, apphud_user_id: "u", prompt: "a fox" }), bearer(APP_KEY))));
    }
    for (const bundle of ["com.family", "anything at all", "com.other.app"]) {
      const id = await created(app, { app_bundle_id: bundle, apphud_user_id: "u" }, ALL_KEY);
      expect((await app.request(statusUrl(id, { app_bundle_id: bundle, apphud_user_id: "u" }), { headers: xApiKey(ALL_KEY) })).status).toBe(200);
    }
  });

  test("on: a 403 is not counted against the user's per-minute limit", async () => {
    const { app } = buildApp(db(), { generationsPerMinute: 1, statusPerMinute: 1 }, undefined, apiKeys());
    for (let i = 0; i < 3; i++) {
      await expectForbidden(await app.request(...withHeaders(jsonPost("/text2video", { ...THEIRS, prompt: "a fox" }), bearer(APP_KEY))));
      await expectForbidden(await app.request(statusUrl(1, THEIRS), { headers: bearer(APP_KEY) }));
    }
    const id = await created(app, THEIRS, OTHER_KEY);
    expect((await app.request(statusUrl(id, THEIRS), { headers: bearer(OTHER_KEY) })).status).toBe(200);
  });

  test("on: /health and /ready need no key, and 404/405 are answered as before", async () => {
    const { app } = buildApp(db(), {}, undefined, apiKeys());
    expect((await app.request("/health")).status).toBe(200);
    expect((await app.request("/ready")).status).toBe(200);
    await expectError(await app.request("/nope"), 404);
    await expectError(await app.request("/get_status", { method: "DELETE" }), 405);
  });

  test("on: no key appears in a log line or an error body, whatever the outcome", async () => {
    const { app, logLines } = buildApp(db(), {}, undefined, apiKeys());
    const bodies: string[] = [];
    const send = async (req: [string, RequestInit]) => {
      const res = await app.request(...req);
      bodies.push(`${res.status} ${[...res.headers].join(" ")} ${await res.text()}`);
    };
    const owners = [MINE, THEIRS, { app_bundle_id: "", apphud_user_id: "u" }];
    for (const key of [...KEYS, "wrong-key-0123456789abcdef"]) {
      for (const owner of owners) {
        for (const headers of [bearer(key), xApiKey(key), { ...bearer(key), ...xApiKey(APP_KEY) }]) {
          for (const [, req] of calls(owner, headers)) await send(req);
        }
      }
    }
    const statuses = new Set(bodies.map((b) => Number(b.split(" ")[0])));
    expect([...statuses].sort()).toEqual([200, 400, 401, 403, 404]);
    const requestLines = logLines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.msg === "request");
    expect(requestLines.length).toBe(bodies.length);
    expect(new Set(requestLines.map((l) => l.status))).toEqual(statuses);
    const everything = [...logLines, ...bodies].join("\n");
    for (const key of [...KEYS, "wrong-key-0123456789abcdef"]) {
      expect(everything).not.toContain(key);
      expect(everything).not.toContain(key.slice(0, 12));
    }
  });
});
