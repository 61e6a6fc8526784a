// Limits across two service processes on one PostgreSQL database (issue 11). With RATE_LIMIT_STORE=postgres
// the per-minute limits are counted in the database, so a user who alternates between instances gets exactly
// the limit; with the default memory store each instance counts alone (the documented difference). The
// per-user and queue-depth limits are checked in the accepting transaction, so they hold across instances
// whatever the store. API-only instances (GENERATOR=none): nothing here needs Pixverse.
import { afterEach, describe, expect, test } from "bun:test";
import type { ServiceProcess } from "../support/service-process.ts";
import { Cluster, getStatus, POSTGRES_URL, postText2video, text2video, uniqueOwner, type ClusterDatabase } from "./helpers.ts";

const cluster = new Cluster();
afterEach(() => cluster.cleanup());

/** The contract's 429: JSON naming the limit, and a Retry-After of whole seconds that agrees with the body. */
async function expectLimited(res: Response, limit: string, perMinute: boolean): Promise<void> {
  const text = await res.text();
  expect(res.status, text).toBe(429);
  expect(res.headers.get("content-type")).toContain("application/json");
  expect(res.headers.get("x-request-id")).toBeTruthy();
  const body = JSON.parse(text) as Record<string, unknown>;
  expect(Object.keys(body).sort(), text).toEqual(["error", "limit", "message", "retry_after"]);
  expect(body.error).toBe("rate_limited");
  expect(body.limit).toBe(limit);
  const retryAfter = res.headers.get("retry-after");
  expect(retryAfter, text).toMatch(/^[1-9]\d*$/);
  expect(body.retry_after).toBe(Number(retryAfter));
  if (perMinute) expect(Number(retryAfter)).toBeLessThanOrEqual(60);
}

async function pair(env: Record<string, string>): Promise<{ db: ClusterDatabase; a: ServiceProcess; b: ServiceProcess }> {
  const db = await cluster.database();
  const [a, b] = await Promise.all([
    cluster.start({ instance: "instance-a", databaseUrl: db.url, env }),
    cluster.start({ instance: "instance-b", databaseUrl: db.url, env }),
  ]);
  return { db, a, b };
}

const rowsOf = async (db: ClusterDatabase, user: string) =>
  (await db.query<{ n: number }>("select count(*)::int as n from videos where apphud_user_id = $1", [user]))[0]!.n;

describe.skipIf(!POSTGRES_URL)("limits across two instances [postgres]", () => {
  test("RATE_LIMIT_STORE=postgres: a user alternating between instances gets exactly RATE_LIMIT_GENERATIONS_PER_MINUTE generations, the rest 429", async () => {
    const { db, a, b } = await pair({ RATE_LIMIT_STORE: "postgres", RATE_LIMIT_GENERATIONS_PER_MINUTE: "5" });
    const owner = uniqueOwner();
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) {
      const res = await postText2video(i % 2 === 0 ? a : b, owner, `shared limit ${i}`);
      statuses.push(res.status);
      if (i < 5) expect(res.status, `request ${i + 1}: ${await res.clone().text()}`).toBe(200);
      else await expectLimited(res, "generations_per_minute", true);
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429, 429, 429, 429]);
    expect(await rowsOf(db, owner.apphud_user_id)).toBe(5);
    // Another user is not touched, on either instance.
    const other = uniqueOwner();
    await text2video(a, other, "someone else");
    await text2video(b, other, "someone else too");
  }, 60_000);

  test("RATE_LIMIT_STORE=postgres: concurrent requests of one user on both instances still get exactly the limit", async () => {
    const { db, a, b } = await pair({ RATE_LIMIT_STORE: "postgres", RATE_LIMIT_GENERATIONS_PER_MINUTE: "5" });
    const owner = uniqueOwner();
    const answers = await Promise.all(Array.from({ length: 16 }, (_, i) => postText2video(i % 2 === 0 ? a : b, owner, `at once ${i}`)));
    const accepted = answers.filter((r) => r.status === 200);
    expect(accepted.length, `statuses: ${answers.map((r) => r.status).join(",")}`).toBe(5);
    for (const res of answers) if (res.status !== 200) await expectLimited(res, "generations_per_minute", true);
    expect(await rowsOf(db, owner.apphud_user_id)).toBe(5);
  }, 60_000);

  test("RATE_LIMIT_STORE=postgres: get_status is limited per user across both instances too", async () => {
    const { a, b } = await pair({ RATE_LIMIT_STORE: "postgres", RATE_LIMIT_STATUS_PER_MINUTE: "4" });
    const owner = uniqueOwner();
    const id = await text2video(a, owner, "to be asked about");
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) {
      const res = await getStatus(i % 2 === 0 ? b : a, owner, id);
      statuses.push(res.status);
      if (i < 4) expect(res.status, `request ${i + 1}: ${await res.clone().text()}`).toBe(200);
      else await expectLimited(res, "status_requests_per_minute", true);
    }
    expect(statuses).toEqual([200, 200, 200, 200, 429, 429, 429, 429]);
  }, 60_000);

  test("the default memory store counts on each instance alone: alternating users get the limit once per instance", async () => {
    // No RATE_LIMIT_STORE: the default.
    const { db, a, b } = await pair({ RATE_LIMIT_GENERATIONS_PER_MINUTE: "5" });
    const owner = uniqueOwner();
    for (let i = 0; i < 10; i++) {
      const res = await postText2video(i % 2 === 0 ? a : b, owner, `per instance ${i}`);
      expect(res.status, `request ${i + 1}: ${await res.clone().text()}`).toBe(200);
    }
    await expectLimited(await postText2video(a, owner, "one too many on a"), "generations_per_minute", true);
    await expectLimited(await postText2video(b, owner, "one too many on b"), "generations_per_minute", true);
    expect(await rowsOf(db, owner.apphud_user_id)).toBe(10);
  }, 60_000);

  test("unfinished videos per user and the queue depth hold exactly across both instances", async () => {
    const { db, a, b } = await pair({ MAX_ACTIVE_VIDEOS_PER_USER: "3", MAX_QUEUE_DEPTH: "8" });
    // One user, ten requests at once, half on each instance: three are accepted.
    const owner = uniqueOwner();
    const mine = await Promise.all(Array.from({ length: 10 }, (_, i) => postText2video(i % 2 === 0 ? a : b, owner, `active ${i}`)));
    expect(mine.filter((r) => r.status === 200).length, `statuses: ${mine.map((r) => r.status).join(",")}`).toBe(3);
    for (const res of mine) if (res.status !== 200) await expectLimited(res, "active_videos_per_user", false);
    expect(await rowsOf(db, owner.apphud_user_id)).toBe(3);
    // Ten other users at once: the queue holds 8, three are taken, so five more are accepted.
    const others = await Promise.all(Array.from({ length: 10 }, (_, i) => postText2video(i % 2 === 0 ? a : b, uniqueOwner(), `queue ${i}`)));
    expect(others.filter((r) => r.status === 200).length, `statuses: ${others.map((r) => r.status).join(",")}`).toBe(5);
    for (const res of others) if (res.status !== 200) await expectLimited(res, "queue_depth", false);
    expect((await db.query<{ n: number }>("select count(*)::int as n from videos"))[0]!.n).toBe(8);
  }, 60_000);
});
