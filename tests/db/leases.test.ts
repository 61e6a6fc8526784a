// Account leases in the database: one holder per account, renewed by its holder, taken over only once
// expired, released on request; all on the database's clock.
import { beforeEach, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { createLeaseQueries } from "../../src/db/leases.ts";
import { accountLeases } from "../../src/db/schema.ts";
import { describeEachDatabase } from "../support/db.ts";

const ANN = "ann@example.com";
const BOB = "bob@example.com";

describeEachDatabase("account leases", (db) => {
  beforeEach(async () => {
    await db().db.delete(accountLeases);
  });
  const leases = () => createLeaseQueries(db().db);
  /** Move a lease's expiry (as if time had passed). */
  const expire = (account: string) => db().db.execute(sql`update account_leases set expires_at = now() - interval '1 second' where account = ${account}`);

  test("a free account is acquired; another holder gets nothing while the lease lives", async () => {
    expect((await leases().acquire("a", [ANN, BOB], 30_000)).sort()).toEqual([ANN, BOB]);
    expect(await leases().acquire("b", [ANN, BOB], 30_000)).toEqual([]);
    const rows = await leases().list();
    expect(rows.map((r) => [r.account, r.holder])).toEqual([[ANN, "a"], [BOB, "a"]]);
    const row = rows[0]!;
    const ttl = row.expiresAt.getTime() - row.heartbeatAt.getTime();
    expect(ttl).toBeGreaterThan(29_000);
    expect(ttl).toBeLessThanOrEqual(30_000);
  });

  test("a holder's reports are written on the rows it holds, never on another holder's", async () => {
    const report = (state: string) => ({ state, since: "2026-03-01T10:00:00.000Z", capacity: 2, inFlight: 1, credits: 120 });
    await leases().acquire("a", [ANN], 30_000, new Map([[ANN, report("ready")]]));
    await leases().acquire("b", [ANN, BOB], 30_000, new Map([[ANN, report("needs_human")], [BOB, report("signing_in")]]));
    const rows = await leases().list();
    expect(rows.map((r) => [r.account, r.holder, r.report?.state])).toEqual([[ANN, "a", "ready"], [BOB, "b", "signing_in"]]);
    expect(rows[0]!.report).toEqual(report("ready"));
    // A renewal without a report clears the old one rather than keeping a stale state.
    await leases().acquire("a", [ANN], 30_000);
    expect((await leases().list())[0]!.report).toBeNull();
  });

  test("the holder renews: expiry moves on, the lease keeps its start", async () => {
    await leases().acquire("a", [ANN], 1_000);
    const [before] = await leases().list();
    await Bun.sleep(20);
    expect(await leases().acquire("a", [ANN], 30_000)).toEqual([ANN]);
    const [after] = await leases().list();
    expect(after!.expiresAt.getTime()).toBeGreaterThan(before!.expiresAt.getTime() + 20_000);
    expect(after!.heartbeatAt.getTime()).toBeGreaterThan(before!.heartbeatAt.getTime());
    expect(after!.acquiredAt.getTime()).toBe(before!.acquiredAt.getTime());
  });

  test("an expired lease is taken over by another holder, as a new lease; its old holder cannot renew it", async () => {
    await leases().acquire("a", [ANN, BOB], 30_000);
    const [old] = await leases().list();
    await expire(ANN);
    await Bun.sleep(5);
    expect(await leases().acquire("b", [ANN, BOB], 30_000)).toEqual([ANN]);
    const rows = await leases().list();
    expect(rows.map((r) => [r.account, r.holder])).toEqual([[ANN, "b"], [BOB, "a"]]);
    expect(rows[0]!.acquiredAt.getTime()).toBeGreaterThan(old!.acquiredAt.getTime());
    expect(await leases().acquire("a", [ANN, BOB], 30_000)).toEqual([BOB]);
  });

  test("a lease expires on the database's clock, after its TTL", async () => {
    await leases().acquire("a", [ANN], 300);
    expect(await leases().acquire("b", [ANN], 300)).toEqual([]);
    await Bun.sleep(400);
    expect(await leases().acquire("b", [ANN], 300)).toEqual([ANN]);
  });

  test("two holders racing for the same accounts end with exactly one holder per account", async () => {
    const accounts = Array.from({ length: 6 }, (_, i) => `acct${i}@example.com`);
    const got = await Promise.all(["a", "b", "c", "d"].map((h, i) => leases().acquire(h, i % 2 ? [...accounts].reverse() : accounts, 30_000)));
    const all = got.flat();
    expect(all.sort()).toEqual([...accounts].sort());
    const rows = await leases().list();
    for (const row of rows) expect(got[["a", "b", "c", "d"].indexOf(row.holder)]).toContain(row.account);
  });

  test("release gives up only this holder's leases, and the next holder takes them at once", async () => {
    await leases().acquire("a", [ANN], 30_000);
    await leases().acquire("b", [BOB], 30_000);
    expect(await leases().release("a")).toEqual([ANN]);
    expect((await leases().list()).map((r) => r.account)).toEqual([BOB]);
    expect(await leases().acquire("c", [ANN, BOB], 30_000)).toEqual([ANN]);
    expect(await leases().release("b", [ANN])).toEqual([]);
    expect(await leases().release("b", [BOB])).toEqual([BOB]);
  });

  test("acquiring nothing writes nothing", async () => {
    expect(await leases().acquire("a", [], 30_000)).toEqual([]);
    expect(await leases().list()).toEqual([]);
  });
});
