// The accept path's held PostgreSQL connection: a statement that fails keeps it, and a connection that the
// server ends is replaced without the caller doing anything.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import type { HeldConnection } from "../../src/db/client.ts";
import { createVideoRepository, type NewVideo } from "../../src/db/videos.ts";
import { freshDatabase } from "../support/db.ts";

const limits = { maxActivePerUser: 100, maxQueueDepth: 1000, deadlineMinutes: 30 };
const v = (user: string): NewVideo => ({ appBundleId: "com.x", apphudUserId: user, clientIp: null, kind: "t2v", prompt: "p" });

async function backendPid(held: HeldConnection): Promise<number> {
  const result = await held((db) => db.execute<{ pid: number }>(sql`select pg_backend_pid() as pid`));
  return result.rows[0]!.pid;
}

// Only PostgreSQL has a held connection; CI always sets TEST_DATABASE_URL, so this always runs there.
if (process.env.TEST_DATABASE_URL) describe("held connection [postgres]", () => {
  let fresh: Awaited<ReturnType<typeof freshDatabase>>;
  beforeAll(async () => {
    fresh = await freshDatabase("postgres");
  });
  afterAll(async () => {
    await fresh.drop();
  });

  test("text-only batches are accepted on the held connection", async () => {
    const held = fresh.database.held!;
    const pid = await backendPid(held);
    const repo = createVideoRepository(fresh.database);
    expect((await repo.insertBatch([v("on-held")], limits))[0]!.ok).toBe(true);
    const [seen] = (
      await fresh.database.db.execute<{ pid: number }>(sql`select pid from pg_stat_activity where pid = ${pid} and query like '%accept_videos%'`)
    ).rows;
    expect(seen?.pid).toBe(pid);
  });

  test("every text-only batch reuses one named prepared statement on the held connection", async () => {
    const held = fresh.database.held!;
    const repo = createVideoRepository(fresh.database);
    for (const user of ["prepared-1", "prepared-2", "prepared-3"]) expect((await repo.insertBatch([v(user)], limits))[0]!.ok).toBe(true);
    const prepared = await held((db) =>
      db.execute<{ statement: string; runs: string }>(
        sql`select statement, (generic_plans + custom_plans)::text as runs from pg_prepared_statements where name = 'accept_videos'`,
      ),
    );
    expect(prepared.rows).toHaveLength(1);
    expect(prepared.rows[0]!.statement).toContain("accept_videos($1::jsonb");
    expect(Number(prepared.rows[0]!.runs)).toBeGreaterThanOrEqual(3);
  });

  test("a statement that fails keeps the held connection", async () => {
    const held = fresh.database.held!;
    const pid = await backendPid(held);
    await expect(held((db) => db.execute(sql`select 1 / 0`))).rejects.toThrow();
    expect(await backendPid(held)).toBe(pid);
  });

  test("a held connection that the server ends is replaced, and accepting goes on", async () => {
    const repo = createVideoRepository(fresh.database);
    expect((await repo.insertBatch([v("a")], limits))[0]!.ok).toBe(true);
    const pid = await backendPid(fresh.database.held!);
    await fresh.database.db.execute(sql`select pg_terminate_backend(${pid})`);
    // The request in flight when a connection dies may fail (the caller answers it with an error);
    // the one after it must succeed on a new connection.
    let accepted = 0;
    for (let attempt = 0; attempt < 3 && accepted === 0; attempt++) {
      const outcome = await repo.insertBatch([v(`b${attempt}`)], limits).catch(() => null);
      if (outcome?.[0]?.ok) accepted++;
    }
    expect(accepted).toBe(1);
    expect(await backendPid(fresh.database.held!)).not.toBe(pid);
  });
});
