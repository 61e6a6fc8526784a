// Several instances on one database, in one process: each with its lease keeper, dispatcher and scripted
// generator. Every job is submitted exactly once, each account is driven by one instance, an account whose
// lease is lost or cannot be confirmed is dropped at once, and a dead holder's in-flight job is reconciled by
// the instance that takes its account over, never submitted again.
import { beforeEach, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { createDispatcher, type Dispatcher } from "../../src/dispatcher/dispatcher.ts";
import { createLeaseKeeper, type LeaseKeeper } from "../../src/dispatcher/leases.ts";
import { createLeaseQueries, type LeaseQueries } from "../../src/db/leases.ts";
import { accountLeases, instances } from "../../src/db/schema.ts";
import { createVideoRepository, type NewVideo } from "../../src/db/videos.ts";
import { silentLogger } from "../../src/log.ts";
import { createMetrics, type Metrics } from "../../src/metrics.ts";
import type { Database } from "../../src/db/client.ts";
import { describeEachDatabase } from "../support/db.ts";
import { ScriptedGenerator } from "../support/scripted-generator.ts";
import { TEST_SETTINGS } from "../support/settings.ts";
import { parseMetrics, valueOf } from "../metrics/parse.ts";

const LIMITS = { maxActivePerUser: 1000, maxQueueDepth: 1000, deadlineMinutes: 30 };
const ANN = "ann@example.com";
const BOB = "bob@example.com";
const t2v = (prompt: string): NewVideo => ({ appBundleId: "com.example", apphudUserId: "u1", clientIp: null, kind: "t2v", prompt });

interface Instance {
  owner: string;
  generator: ScriptedGenerator;
  keeper: LeaseKeeper;
  dispatcher: Dispatcher;
  /** Every set of accounts the keeper handed to the generator, in order. */
  activations: string[][];
}

/** One instance: its keeper activates what it holds in its generator, its dispatcher works only on that. */
function instance(database: Database, owner: string, accounts: string[], o: { ttlMs?: number; leases?: Pick<LeaseQueries, "acquire" | "release">; now?: () => number; metrics?: Metrics } = {}): Instance {
  const repo = createVideoRepository(database);
  const generator = new ScriptedGenerator();
  generator.accounts = accounts;
  generator.cap = 3;
  const activations: string[][] = [];
  let dispatcher: Dispatcher | null = null;
  const keeper = createLeaseKeeper({
    leases: o.leases ?? createLeaseQueries(database.db),
    holder: owner,
    accounts,
    ttlMs: o.ttlMs ?? 30_000,
    onHeld: (held) => {
      activations.push([...held]);
      generator.activate(held);
      dispatcher?.notify();
    },
    logger: silentLogger,
    metrics: o.metrics,
    now: o.now,
  });
  dispatcher = createDispatcher({
    repo,
    generator,
    logger: silentLogger,
    owner,
    accounts,
    held: keeper.held,
    settings: TEST_SETTINGS,
    reconcileGraceMs: 0,
    lockTtlMs: 60_000,
    watchPollMs: 0,
  });
  return { owner, generator, keeper, dispatcher, activations };
}

describeEachDatabase("several instances on one database", (db) => {
  beforeEach(async () => {
    await db().db.delete(accountLeases);
    await db().db.delete(instances);
  });

  test("two instances configured with the same accounts drive half each, and one takes all when the other leaves", async () => {
    const accounts = [ANN, BOB, "cy@example.com", "di@example.com"];
    const a = instance(db(), "instance-a", accounts);
    const b = instance(db(), "instance-b", accounts);
    try {
      // A starts alone and takes all four; B joins; a few heartbeats of each later they hold two each.
      await a.keeper.renew();
      expect(a.keeper.held()).toEqual(accounts);
      for (let i = 0; i < 4; i++) {
        await b.keeper.renew();
        await a.keeper.renew();
      }
      expect(a.keeper.held()).toHaveLength(2);
      expect(b.keeper.held()).toHaveLength(2);
      expect([...a.keeper.held(), ...b.keeper.held()].sort()).toEqual([...accounts].sort());
      // The lease rows agree with what each keeper believes it holds.
      const rows = await createLeaseQueries(db().db).list();
      expect(rows.filter((r) => r.holder === "instance-a").map((r) => r.account).sort()).toEqual(a.keeper.held().sort());
      // A leaves: its instance row and leases go, and B takes everything at its next heartbeat.
      await a.keeper.stop();
      await b.keeper.renew();
      expect(b.keeper.held()).toEqual(accounts);
    } finally {
      await a.keeper.stop();
      await b.keeper.stop();
    }
    expect(await db().db.select().from(instances)).toEqual([]);
  });

  test("every job is submitted exactly once, each account only by the instance holding its lease", async () => {
    const repo = createVideoRepository(db());
    const ids = (await repo.insertBatch(Array.from({ length: 24 }, (_, i) => t2v(`job ${i}`)), LIMITS)).map((o) => (o.ok ? o.id : -1));
    const a = instance(db(), "instance-a", [ANN]);
    const b = instance(db(), "instance-b", [ANN, BOB]);
    await a.keeper.renew();
    await b.keeper.renew();
    expect(a.keeper.held()).toEqual([ANN]);
    expect(b.keeper.held()).toEqual([BOB]);
    expect(b.activations).toEqual([[BOB]]);

    // Both work the queue at once until every job is at Pixverse; finished videos free their slots.
    for (let round = 0; round < 20; round++) {
      await Promise.all([a.dispatcher.runOnce(), b.dispatcher.runOnce()]);
      for (const g of [a.generator, b.generator]) for (const id of g.videos.keys()) g.set(id, 1, `https://media.example/${id}.mp4`);
      const open = await Promise.all(ids.map((id) => repo.findJob(id)));
      if (open.every((j) => j!.state === "succeeded")) break;
    }
    const jobs = await Promise.all(ids.map((id) => repo.findJob(id)));
    expect(jobs.map((j) => j!.state)).toEqual(ids.map(() => "succeeded"));
    const submittedIds = [...a.generator.submitted, ...b.generator.submitted].map((s) => s.jobId).sort((x, y) => x - y);
    expect(submittedIds).toEqual([...ids].sort((x, y) => x - y));
    expect(new Set(a.generator.submitted.map((s) => s.account))).toEqual(new Set([ANN]));
    expect(new Set(b.generator.submitted.map((s) => s.account))).toEqual(new Set([BOB]));
    expect(a.generator.submitted.length).toBeGreaterThan(0);
    expect(b.generator.submitted.length).toBeGreaterThan(0);
    // Each instance polled only its own account's videos.
    expect(new Set(a.generator.polledAccounts.flat())).toEqual(new Set([ANN]));
    expect(new Set(b.generator.polledAccounts.flat())).toEqual(new Set([BOB]));
    expect([...a.generator.refusedInactive, ...b.generator.refusedInactive]).toEqual([]);
  });

  test("a holder that stops its heartbeats loses the account after the TTL; the next instance reconciles its in-flight job instead of submitting it again", async () => {
    const repo = createVideoRepository(db());
    const [id] = (await repo.insertBatch([t2v("in flight when A died")], LIMITS)).map((o) => (o.ok ? o.id : -1));
    const ttlMs = 2_000;
    const a = instance(db(), "instance-a", [ANN], { ttlMs });
    const b = instance(db(), "instance-b", [ANN], { ttlMs });
    await a.keeper.renew();
    // A claims the job for ANN and dies in the middle of the submission: no answer recorded, no release.
    const [claimed] = await repo.claimQueued("instance-a", 1, ANN);
    expect(claimed?.account).toBe(ANN);

    await b.keeper.renew();
    expect(b.keeper.held()).toEqual([]);
    await b.dispatcher.runOnce();
    expect(b.generator.reconciled).toEqual([]);

    await Bun.sleep(ttlMs + 100);
    await b.keeper.renew();
    expect(b.keeper.held()).toEqual([ANN]);
    expect(b.activations.at(-1)).toEqual([ANN]);
    b.generator.reconcileAnswer = (r) => ({ kind: "found", pixverseId: "424242", account: r.account });
    // A's lock on the job is fresh (lockTtlMs is a minute), but A holds no lease any more: B takes it over now.
    await b.dispatcher.runOnce();
    expect(b.generator.reconciled.map((r) => [r.jobId, r.account])).toEqual([[id!, ANN]]);
    expect(b.generator.submitted).toEqual([]);
    const job = await repo.findJob(id!);
    expect(job?.state).toBe("generating");
    expect(job?.pixverseVideoId).toBe("424242");
    expect(job?.account).toBe(ANN);
  });

  test("a started keeper holds its accounts at once and renews them every third of the TTL until stopped", async () => {
    const a = instance(db(), "instance-a", [ANN], { ttlMs: 2_000 });
    await a.keeper.start();
    try {
      expect(a.keeper.held()).toEqual([ANN]);
      const [first] = await createLeaseQueries(db().db).list();
      await Bun.sleep(1_500);
      const [later] = await createLeaseQueries(db().db).list();
      expect(later!.holder).toBe("instance-a");
      expect(later!.heartbeatAt.getTime()).toBeGreaterThan(first!.heartbeatAt.getTime());
      // Well past the first expiry: still held, because it was renewed.
      await Bun.sleep(1_000);
      expect(a.keeper.held()).toEqual([ANN]);
    } finally {
      await a.keeper.stop();
    }
    expect(await createLeaseQueries(db().db).list()).toEqual([]);
    expect(a.activations).toEqual([[ANN], []]);
  });

  test("a lease released at shutdown is taken over at once, without waiting for the TTL", async () => {
    const a = instance(db(), "instance-a", [ANN, BOB]);
    const b = instance(db(), "instance-b", [ANN, BOB]);
    await a.keeper.renew();
    await b.keeper.renew();
    expect(b.keeper.held()).toEqual([]);
    await a.keeper.stop();
    expect(a.keeper.held()).toEqual([]);
    expect(a.activations.at(-1)).toEqual([]);
    await b.keeper.renew();
    expect(b.keeper.held()).toEqual([ANN, BOB]);
  });

  test("an account whose lease cannot be confirmed in time is dropped before the lease could lapse, and gets no submission", async () => {
    let clock = 1_000_000;
    let reachable = true;
    const real = createLeaseQueries(db().db);
    const leases = {
      acquire: (holder: string, accounts: readonly string[], ttl: number) => (reachable ? real.acquire(holder, accounts, ttl) : Promise.reject(new Error("connection refused"))),
      release: real.release,
    };
    const a = instance(db(), "instance-a", [ANN], { ttlMs: 30_000, leases, now: () => clock });
    await a.keeper.renew();
    expect(a.keeper.held()).toEqual([ANN]);
    reachable = false;
    clock += 10_000;
    await a.keeper.renew(); // fails: ANN stays held on its last confirmation
    expect(a.keeper.held()).toEqual([ANN]);
    // 25 s after the last confirmation (TTL less a sixth): dropped, although the database's lease would live 5 s more.
    clock += 15_000;
    expect(a.keeper.held()).toEqual([]);
    await a.keeper.renew();
    expect(a.activations).toEqual([[ANN], []]);

    const repo = createVideoRepository(db());
    await repo.insertBatch([t2v("must wait")], LIMITS);
    await a.dispatcher.runOnce();
    expect(a.generator.submitted).toEqual([]);
    expect(a.generator.refusedInactive).toEqual([]);
  });

  test("an account whose renewal is refused (another holder has it) is dropped at once", async () => {
    const a = instance(db(), "instance-a", [ANN]);
    await a.keeper.renew();
    // The row changes hands behind A's back (e.g. A was paused past its TTL and B took over).
    await db().db.execute(sql`update account_leases set holder = 'instance-b' where account = ${ANN}`);
    await a.keeper.renew();
    expect(a.keeper.held()).toEqual([]);
    expect(a.activations).toEqual([[ANN], []]);
  });

  test("the lease gauge says which accounts this instance holds", async () => {
    const metrics = createMetrics({ processMetrics: false });
    await createLeaseQueries(db().db).acquire("instance-b", [BOB], 30_000);
    const a = instance(db(), "instance-a", [ANN, BOB], { metrics });
    await a.keeper.renew();
    const samples = parseMetrics(await metrics.text());
    expect(valueOf(samples, "pixverse_account_lease_held", { account: "a***@example.com" })).toBe(1);
    expect(valueOf(samples, "pixverse_account_lease_held", { account: "b***@example.com" })).toBe(0);
  });
});

describeEachDatabase("a Pixverse id recorded twice", (db) => {
  test("a submission whose id another job already holds goes to reconciliation instead of crashing the dispatcher", async () => {
    const repo = createVideoRepository(db());
    const ids = (await repo.insertBatch([t2v("same words"), t2v("same words")], LIMITS)).map((o) => (o.ok ? o.id : -1));
    const generator = new ScriptedGenerator();
    const account = generator.accounts[0]!;
    const dispatcher = createDispatcher({ repo, generator, logger: silentLogger, owner: "instance-a", accounts: [account], settings: TEST_SETTINGS, reconcileGraceMs: 0, watchPollMs: 0 });
    generator.cap = 1;
    generator.nextSubmits.push({ ok: true, pixverseId: "555", account });
    await dispatcher.runOnce(); // the first job records 555
    generator.set("555", 1, "https://media.example/555.mp4");
    await dispatcher.runOnce(); // it succeeds, the slot frees, the second is submitted and Pixverse's answer names 555 again
    generator.nextSubmits.push({ ok: true, pixverseId: "555", account });
    await dispatcher.runOnce();
    const second = await repo.findJob(ids[1]!);
    expect(second?.state).toBe("submitting");
    expect(second?.errorCode).toBe("unknown_outcome");
    expect((await repo.findJob(ids[0]!))?.pixverseVideoId).toBe("555");

    // Reconciliation never takes 555 (the first job holds it): nothing else is there, so it is sent again.
    generator.reconcileAnswer = (r) => (r.excludeIds.includes("555") ? { kind: "absent" } : { kind: "found", pixverseId: "555", account: r.account });
    await dispatcher.runOnce();
    await dispatcher.runOnce();
    const again = await repo.findJob(ids[1]!);
    expect(again?.state).toBe("generating");
    expect(again?.pixverseVideoId).not.toBe("555");
    expect(generator.reconciled.at(-1)?.excludeIds).toContain("555");
  });
});
