// The API while PostgreSQL cannot be reached (issue 11): every request that needs the database is a 503 JSON
// answer with Retry-After (never a 500, never the driver's text), get_status still answers the videos it has
// read from its cache, nothing answered 503 was stored, and the pool and the accept path's held connection
// come back by themselves once the database does. The outage is made by a TCP proxy between the app and the
// server that drops every connection and stops listening; PostgreSQL itself is never touched.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import pg from "pg";
import { createApp } from "../../src/app.ts";
import { openDatabase, type Database } from "../../src/db/client.ts";
import { createVideoRepository } from "../../src/db/videos.ts";
import { silentLogger } from "../../src/log.ts";
import { createVideoService, type VideoService } from "../../src/videos.ts";
import { postgresRateLimitStores } from "../../src/http/rate-limit.ts";
import { formPost, GENEROUS, jsonPost, statusUrl, TEST_ALLOWED } from "../support/app.ts";
import { png } from "../support/images.ts";
import { emptyPostgresDatabase } from "../support/db.ts";
import { cuttableProxy } from "../support/tcp-proxy.ts";
import { appWith, expectError, uniqueOwner, videoIdOf } from "./helpers.ts";

const UNAVAILABLE_BODY = { error: "service_unavailable", message: "the database is unreachable; try again shortly" };

/** What any 503 for an unreachable database must look like; returns the raw body text. */
async function expectUnavailable(res: Response): Promise<string> {
  const text = await res.clone().text();
  await expectError(res, 503);
  expect(res.headers.get("retry-after"), text).toBe("5");
  expect(res.headers.get("x-request-id"), text).toBeTruthy();
  expect(JSON.parse(text)).toEqual(UNAVAILABLE_BODY);
  return text;
}

// ---- The mapping, with no database: an error shape in, an HTTP answer out. ----

/** A VideoService whose every database-backed call fails with `err`. */
function failingVideos(err: unknown): VideoService {
  return {
    create: () => Promise.reject(err),
    createOnce: () => Promise.reject(err),
    status: () => Promise.reject(err),
    cachedStatus: () => undefined,
    changed() {},
  };
}

const pgError = (code: string, message: string) => Object.assign(new Error(message), { code, severity: "FATAL" });

describe("error mapping of database failures", () => {
  test("a connection failure (SQLSTATE 08006) on text2video is 503 with Retry-After and no driver text", async () => {
    const app = appWith(failingVideos(pgError("08006", "connection failure: secret-host:5432")));
    const res = await app.request(...jsonPost("/text2video", { ...uniqueOwner(), prompt: "a cat" }));
    const text = await expectUnavailable(res);
    expect(text).not.toContain("secret-host");
  });

  test("a refused connection on get_status is 503 with Retry-After", async () => {
    const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" });
    const app = appWith(failingVideos(refused));
    const text = await expectUnavailable(await app.request(statusUrl(7, uniqueOwner())));
    expect(text).not.toContain("ECONNREFUSED");
  });

  test("a statement error (syntax error, 42601) stays a generic 500 with a request id", async () => {
    const app = appWith(failingVideos(Object.assign(new Error('syntax error at or near "selec"'), { code: "42601", severity: "ERROR" })));
    const res = await app.request(...jsonPost("/text2video", { ...uniqueOwner(), prompt: "a cat" }));
    const body = await expectError(res, 500);
    expect(body.error).toBe("internal_error");
    expect(typeof body.request_id).toBe("string");
    expect(res.headers.get("retry-after")).toBeNull();
    expect(JSON.stringify(body)).not.toContain("selec");
  });
});

// ---- A real outage: PostgreSQL only. CI always sets TEST_DATABASE_URL, so this always runs there. ----

if (process.env.TEST_DATABASE_URL) describe("while PostgreSQL is unreachable [postgres]", () => {
  const target = new URL(process.env.TEST_DATABASE_URL!);
  const proxy = cuttableProxy({ host: target.hostname, port: Number(target.port || 5432) });
  let empty: Awaited<ReturnType<typeof emptyPostgresDatabase>>;
  let database: Database;
  /** A connection that bypasses the proxy: what is really stored. */
  let direct: pg.Client;
  let app: ReturnType<typeof createApp>;
  /** The same service with RATE_LIMIT_STORE=postgres: its per-minute counters are in the unreachable database. */
  let sharedLimitsApp: ReturnType<typeof createApp>;
  const owner = uniqueOwner();
  let known = 0;
  let knownBody: unknown;
  let neverRead = 0;

  const rowsOf = async (user: string) =>
    Number((await direct.query("select count(*)::int as n from videos where apphud_user_id = $1", [user])).rows[0].n);

  beforeAll(async () => {
    empty = await emptyPostgresDatabase();
    await proxy.listen();
    const viaProxy = new URL(empty.url);
    viaProxy.hostname = "127.0.0.1";
    viaProxy.port = String(proxy.port);
    database = await openDatabase({ url: viaProxy.toString(), poolSize: 4 });
    direct = new pg.Client({ connectionString: empty.url });
    await direct.connect();
    const videos = createVideoService(createVideoRepository(database), {
      limits: { maxActivePerUser: GENEROUS.maxActivePerUser, maxQueueDepth: GENEROUS.maxQueueDepth, deadlineMinutes: GENEROUS.deadlineMinutes },
      // Short, so that during the outage the cached entry is past its age and a refresh is really attempted.
      statusMaxAgeMs: 50,
    });
    app = createApp({ videos, logger: silentLogger, limits: { generationsPerMinute: 10_000, statusPerMinute: 10_000 }, allowed: TEST_ALLOWED });

    known = await videoIdOf(await app.request(...jsonPost("/text2video", { ...owner, prompt: "known" })));
    const read = await app.request(statusUrl(known, owner));
    expect(read.status).toBe(200);
    knownBody = await read.json();
    sharedLimitsApp = createApp({
      videos,
      logger: silentLogger,
      limits: { generationsPerMinute: 10_000, statusPerMinute: 10_000 },
      allowed: TEST_ALLOWED,
      rateLimitStores: postgresRateLimitStores(database.db),
    });
    expect((await sharedLimitsApp.request(statusUrl(known, owner))).status).toBe(200);
    // Stored but never read through this app: not in its cache.
    neverRead = await videoIdOf(await app.request(...jsonPost("/text2video", { ...owner, prompt: "never read" })));

    await proxy.cut();
    // Past the cache's max age, and time for the pool's idle connections to see their sockets close.
    await Bun.sleep(200);
  }, 60_000);

  afterAll(async () => {
    await proxy.cut();
    await direct?.end().catch(() => {});
    await database?.close().catch(() => {});
    await empty?.drop();
  });

  test("get_status of a video it has read answers from the cache with that video's status", async () => {
    const res = await app.request(statusUrl(known, owner));
    expect(res.status, await res.clone().text()).toBe(200);
    expect(await res.json()).toEqual(knownBody);
    // Again, while the next refresh is not yet due and once it is: still the cached answer.
    await Bun.sleep(100);
    const again = await app.request(statusUrl(known, owner));
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual(knownBody);
  });

  test("with the rate limits counted in the database, get_status still answers a cached video (the limit lets it through uncounted)", async () => {
    const res = await sharedLimitsApp.request(statusUrl(known, owner));
    expect(res.status, await res.clone().text()).toBe(200);
    expect(await res.json()).toEqual(knownBody);
  });

  test("with the rate limits counted in the database, text2video is still the 503, not a 500", async () => {
    await expectUnavailable(await sharedLimitsApp.request(...jsonPost("/text2video", { ...uniqueOwner(), prompt: "during outage" })));
  });

  test("get_status of a video it never read is 503 with Retry-After, not 500 or 404", async () => {
    await expectUnavailable(await app.request(statusUrl(neverRead, owner)));
  });

  test("text2video is 503 with Retry-After for every request of a batch, and none of them is stored", async () => {
    const user = uniqueOwner();
    const answers = await Promise.all(
      Array.from({ length: 5 }, (_, i) => app.request(...jsonPost("/text2video", { ...user, prompt: `during outage ${i}` }))),
    );
    for (const res of answers) {
      const text = await expectUnavailable(res);
      expect(text).not.toMatch(/ECONN|terminated|timeout|connect|127\.0\.0\.1|postgres/i);
    }
    expect(await rowsOf(user.apphud_user_id)).toBe(0);
  });

  test("image2video is 503 with Retry-After, and neither its row nor its image is stored", async () => {
    const user = uniqueOwner();
    const res = await app.request(...formPost("/image2video", { ...user, prompt: "during outage" }, { name: "a.png", bytes: png(16, 16), type: "image/png" }));
    await expectUnavailable(res);
    expect(await rowsOf(user.apphud_user_id)).toBe(0);
    expect(Number((await direct.query("select count(*)::int as n from video_images")).rows[0].n)).toBe(0);
  });

  test("once the database is back, text2video is accepted and stored, and get_status reads again, without a restart", async () => {
    await proxy.listen();
    const user = uniqueOwner();
    const id = await videoIdOf(await app.request(...jsonPost("/text2video", { ...user, prompt: "after the outage" })));
    expect(await rowsOf(user.apphud_user_id)).toBe(1);
    const res = await app.request(statusUrl(neverRead, owner));
    expect(res.status, await res.clone().text()).toBe(200);
    const mine = await app.request(statusUrl(id, user));
    expect(mine.status).toBe(200);
  });
});
