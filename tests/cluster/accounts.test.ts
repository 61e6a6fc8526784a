// One Pixverse account shared by two service processes (issue 11, account leases): whichever instance holds
// the account's lease in PostgreSQL drives it, the other only takes requests, so every job is done once and
// the account is signed in once. A killed holder's lease lapses and the other instance takes the account over,
// finding (not repeating) a submission the dead one never heard back about; a holder stopped by SIGTERM
// releases its lease, so the other takes over at its next heartbeat. Real processes, real Chromium, one real
// PostgreSQL database per test, and the simulator standing in for Pixverse.
import { afterEach, describe, expect, test } from "bun:test";
import type { ServiceProcess } from "../support/service-process.ts";
import { holdingProxy } from "../sidecar/proxy.ts";
import {
  Cluster,
  expectEachSubmittedOnce,
  explained,
  finalStatuses,
  killTree,
  leaseHolder,
  leases,
  POSTGRES_URL,
  ready,
  simStats,
  text2video,
  uniqueOwner,
  waitFor,
} from "./helpers.ts";

/** Short, so that a lapsed lease is seen within the test; heartbeats come every third of it. */
const TTL_MS = 3000;
/**
 * How long after the lease lapses the other instance may take to sign in: it notices the lapse (at most a
 * heartbeat later), starts or reuses its browser and signs in through the login page, on a busy 2-core CI box.
 */
const TAKEOVER_SLACK_MS = 15_000;

const cluster = new Cluster();
afterEach(() => cluster.cleanup());

describe.skipIf(!POSTGRES_URL)("two instances, one Pixverse account [postgres]", () => {
  test("every job is done once, and only one instance signs in while both run", async () => {
    const sim = await cluster.simulator({ generationMs: 1000, concurrency: 2 });
    const db = await cluster.database();
    const env = { ACCOUNT_LEASE_TTL_MS: String(TTL_MS) };
    // Both at once: they race for the lease, and for the migrations.
    const [a, b] = await Promise.all([
      cluster.start({ instance: "instance-a", databaseUrl: db.url, sim, env }),
      cluster.start({ instance: "instance-b", databaseUrl: db.url, sim, env }),
    ]);
    const why = <T>(p: Promise<T>) => explained(p, db, { "instance-a": a, "instance-b": b }, sim);
    const first = await why(leaseHolder(db, 15_000));
    const leaseSeenAt = Date.now();
    expect(["instance-a", "instance-b"]).toContain(first.holder);

    const owner = uniqueOwner();
    const prompts = Array.from({ length: 12 }, (_, i) => `two instances, one account ${i}`);
    const ids = await Promise.all(prompts.map((p, i) => text2video(i % 2 === 0 ? a : b, owner, p)));
    expect(new Set(ids).size).toBe(ids.length);
    // Each video is read through the instance that did not accept it.
    const even = ids.filter((_, i) => i % 2 === 0);
    const odd = ids.filter((_, i) => i % 2 === 1);
    const [evenDone, oddDone] = await why(Promise.all([finalStatuses(b, owner, even, 60_000), finalStatuses(a, owner, odd, 60_000)]));
    for (const done of [...evenDone, ...oddDone]) expect(done.url, JSON.stringify(done)).toBeString();

    // Both ran for several lease periods (heartbeats, not new sign-ins, kept the lease).
    await Bun.sleep(Math.max(0, leaseSeenAt + 3 * TTL_MS - Date.now()));
    expect(a.proc.exitCode, "instance-a still running").toBeNull();
    expect(b.proc.exitCode, "instance-b still running").toBeNull();
    const stats = await simStats(sim);
    expectEachSubmittedOnce(
      stats.prompts.map((p) => p.prompt),
      prompts,
    );
    expect({ logins: stats.logins, failedLogins: stats.failedLogins, kicks: stats.kicks }).toEqual({ logins: 1, failedLogins: 0, kicks: 0 });
    // Both are ready for traffic: the holder drives the account, the other stands by.
    const [holderReady, standbyReady] = first.holder === "instance-a" ? [await ready(a), await ready(b)] : [await ready(b), await ready(a)];
    expect(holderReady.status, JSON.stringify(holderReady.body)).toBe(200);
    expect(standbyReady.status, JSON.stringify(standbyReady.body)).toBe(200);
    expect(holderReady.body.checks["pixverse:c***@example.com"]).toEqual({ ok: true, detail: "ready" });
    expect(standbyReady.body.checks["pixverse:c***@example.com"]).toEqual({ ok: true, detail: "standby" });
    const last = await leaseHolder(db, 1000);
    expect(last.holder, "the lease never changed hands").toBe(first.holder);
    expect(new Date(last.acquired_at).getTime(), "renewed, never taken anew").toBe(new Date(first.acquired_at).getTime());
    const states = await db.query<{ state: string; n: number }>("select state, count(*)::int as n from videos group by state");
    expect(states).toEqual([{ state: "succeeded", n: prompts.length }]);
  }, 120_000);

  test("kill -9 of the lease holder with one submission unanswered: the other instance signs in once the lease has lapsed, finds that video instead of making it again, and finishes every accepted job once", async () => {
    // Long generations: the kill lands while one video is being made at Pixverse, one submission is unanswered
    // and the rest wait in the queue.
    const sim = await cluster.simulator({ generationMs: 3000, concurrency: 2 });
    const db = await cluster.database();
    const env = { ACCOUNT_LEASE_TTL_MS: String(TTL_MS) };
    const HELD = "unanswered at the kill";
    // The holder reaches Pixverse through a proxy that lets this one submission through but never answers it:
    // the video exists, the holder never learns its id (a crash between the click and the answer).
    const proxy = holdingProxy(sim.url, (method, path, body) => method === "POST" && path.endsWith("/video/t2v") && body.includes(HELD));
    cluster.onCleanup(() => proxy.stop());
    const a = await cluster.start({ instance: "instance-a", databaseUrl: db.url, sim, pixverseUrl: proxy.url, env });
    const seen: Record<string, ServiceProcess> = { "instance-a": a };
    const why = <T>(p: Promise<T>) => explained(p, db, seen, sim);
    expect((await why(leaseHolder(db, 15_000))).holder).toBe("instance-a");
    const b = await cluster.start({ instance: "instance-b", databaseUrl: db.url, sim, env });
    seen["instance-b"] = b;

    const owner = uniqueOwner();
    const prompts = [`lease holder killed 0`, `${HELD}: lease holder killed 1`, ...Array.from({ length: 4 }, (_, i) => `lease holder killed ${i + 2}`)];
    const ids: number[] = [];
    // Accepted by both: the doomed instance's own requests are rows in the database like any other.
    for (const [i, p] of prompts.entries()) ids.push(await text2video(i % 2 === 0 ? a : b, owner, p));

    // The moment: the first video generating, the second made at Pixverse but unanswered, four queued.
    const answer = await why(
      Promise.race([proxy.held, Bun.sleep(30_000).then(() => Promise.reject(new Error("the held submission never reached the proxy")))]),
    );
    const made = (JSON.parse(answer) as { ErrCode: number; Resp: { video_id: number } });
    expect(made.ErrCode).toBe(0);
    await why(
      waitFor(
        async () => {
          const rows = await db.query<{ id: number; state: string; lock_owner: string | null }>("select id, state, lock_owner from videos order by id");
          const by = (state: string) => rows.filter((r) => r.state === state).map((r) => Number(r.id));
          const held = rows.find((r) => Number(r.id) === ids[1]);
          return by("generating").length === 1 && by("queued").length === 4 && held?.state === "submitting" && held.lock_owner === "instance-a" ? true : undefined;
        },
        10_000,
        "one video generating, the held one submitting under instance-a's claim, four queued",
        25,
      ),
    );
    const before = await simStats(sim);
    expect(before.logins, "only the lease holder signed in").toBe(1);
    const lapse = (await leases(db))[0]!;
    expect(lapse.holder).toBe("instance-a");
    const killedAt = Date.now();
    await killTree(a);

    const signedInAt = await why(
      waitFor(async () => ((await simStats(sim)).logins >= 2 ? Date.now() : undefined), TTL_MS + TAKEOVER_SLACK_MS, "instance-b to sign in after instance-a was killed", 50),
    );
    expect(signedInAt - killedAt, "sign-in within about the lease time of the kill").toBeLessThanOrEqual(TTL_MS + TAKEOVER_SLACK_MS);
    const moved = await why(leaseHolder(db, 5000));
    expect(moved.holder).toBe("instance-b");
    // Taken over only once the dead holder's lease had lapsed (by the database's clock; the lease read before
    // the kill lapses no later than the one the dead holder last wrote).
    expect(new Date(moved.acquired_at).getTime()).toBeGreaterThanOrEqual(new Date(lapse.expires_at).getTime());

    const done = await why(finalStatuses(b, owner, ids, 60_000));
    for (const d of done) expect(d.url, JSON.stringify(d)).toBeString();
    const after = await simStats(sim);
    expectEachSubmittedOnce(
      after.prompts.map((p) => p.prompt),
      prompts,
    );
    // The unanswered submission's video was found again, not made again.
    const [heldRow] = await db.query<{ pixverse_video_id: string }>("select pixverse_video_id from videos where id = $1", [ids[1]]);
    expect(heldRow!.pixverse_video_id).toBe(String(made.Resp.video_id));
    expect(after.logins, "one sign-in per instance that held the lease").toBe(2);
  }, 120_000);

  test("SIGTERM of the lease holder releases its lease: the other instance takes the account over at its next heartbeat, long before the lease would have lapsed", async () => {
    // Long: heartbeats come every 15 s, so the lease would lapse by itself no sooner than 30 s after the last one.
    const ttl = 45_000;
    const sim = await cluster.simulator({ generationMs: 500, concurrency: 2 });
    const db = await cluster.database();
    const env = { ACCOUNT_LEASE_TTL_MS: String(ttl) };
    // A starts alone, so it is the holder.
    const a = await cluster.start({ instance: "instance-a", databaseUrl: db.url, sim, env });
    const seen: Record<string, ServiceProcess> = { "instance-a": a };
    const why = <T>(p: Promise<T>) => explained(p, db, seen, sim);
    expect((await why(leaseHolder(db, 15_000))).holder).toBe("instance-a");
    await waitFor(async () => ((await ready(a)).status === 200 ? true : undefined), 30_000, "instance-a to be signed in and ready");
    const b = await cluster.start({ instance: "instance-b", databaseUrl: db.url, sim, env });
    seen["instance-b"] = b;

    // B takes requests; A drives them.
    const owner = uniqueOwner();
    const early = [await text2video(b, owner, "before the handover 1"), await text2video(b, owner, "before the handover 2")];
    for (const d of await why(finalStatuses(b, owner, early, 30_000))) expect(d.url, JSON.stringify(d)).toBeString();
    expect((await simStats(sim)).logins, "only the holder signed in").toBe(1);

    const held = (await leases(db))[0]!;
    expect(held.holder).toBe("instance-a");
    expect(await a.stop("SIGTERM")).toBe(0);
    // Released on the way out: no live lease of A's is left behind.
    const left = await leases(db);
    expect(left.filter((l) => l.holder === "instance-a" && l.live), JSON.stringify(left)).toEqual([]);

    // B signs in before A's lease would have lapsed by itself.
    const lapsesAt = new Date(held.expires_at).getTime();
    await why(waitFor(
      async () => ((await simStats(sim)).logins >= 2 ? true : undefined),
      Math.max(1000, lapsesAt - Date.now()),
      "instance-b to sign in before instance-a's released lease would have lapsed",
      50,
    ));
    expect((await why(leaseHolder(db, 5000))).holder).toBe("instance-b");
    const late = [await text2video(b, owner, "after the handover 1"), await text2video(b, owner, "after the handover 2")];
    for (const d of await why(finalStatuses(b, owner, late, 30_000))) expect(d.url, JSON.stringify(d)).toBeString();
    const stats = await simStats(sim);
    expectEachSubmittedOnce(
      stats.prompts.map((p) => p.prompt),
      ["before the handover 1", "before the handover 2", "after the handover 1", "after the handover 2"],
    );
    expect(stats.logins).toBe(2);
  }, 120_000);

  test("SESSION_STORE=postgres: the instance that takes the account over goes on with the holder's session, without signing in again", async () => {
    const sim = await cluster.simulator({ generationMs: 500, concurrency: 2 });
    const db = await cluster.database();
    const env = { ACCOUNT_LEASE_TTL_MS: "45000", SESSION_STORE: "postgres", SESSION_KEY: "cluster-test-session-key-32-chars-long" };
    const a = await cluster.start({ instance: "instance-a", databaseUrl: db.url, sim, env });
    const seen: Record<string, ServiceProcess> = { "instance-a": a };
    const why = <T>(p: Promise<T>) => explained(p, db, seen, sim);
    expect((await why(leaseHolder(db, 15_000))).holder).toBe("instance-a");
    await waitFor(async () => ((await ready(a)).status === 200 ? true : undefined), 30_000, "instance-a to be signed in and ready");
    await why(waitFor(async () => ((await db.query<{ n: number }>("select count(*)::int as n from account_sessions"))[0]!.n === 1 ? true : undefined), 10_000, "the session in the database"));
    const b = await cluster.start({ instance: "instance-b", databaseUrl: db.url, sim, env });
    seen["instance-b"] = b;
    expect(await a.stop("SIGTERM")).toBe(0);

    await why(waitFor(async () => ((await leases(db))[0]?.holder === "instance-b" ? true : undefined), 30_000, "instance-b to hold the account"));
    await why(waitFor(async () => ((await ready(b)).status === 200 ? true : undefined), 30_000, "instance-b to be ready"));
    const owner = uniqueOwner();
    const ids = [await text2video(b, owner, "after the move 1"), await text2video(b, owner, "after the move 2")];
    for (const d of await why(finalStatuses(b, owner, ids, 30_000))) expect(d.url, JSON.stringify(d)).toBeString();
    const stats = await simStats(sim);
    expect({ logins: stats.logins, kicks: stats.kicks }, "one sign-in in all: instance-a's").toEqual({ logins: 1, kicks: 0 });
  }, 120_000);
});
