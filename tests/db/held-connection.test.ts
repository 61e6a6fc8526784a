// The accept path's held PostgreSQL connection: literals read back exactly, and a connection that the
// server ends is replaced without the caller doing anything.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { stringLiteral } from "../../src/db/client.ts";
import { createVideoRepository, type NewVideo } from "../../src/db/videos.ts";
import { freshDatabase } from "../support/db.ts";

test("a NUL character is refused rather than cut off a query", () => {
  expect(() => stringLiteral("a\0b")).toThrow(TypeError);
});

const limits = { maxActivePerUser: 100, maxQueueDepth: 1000, deadlineMinutes: 30 };
const v = (user: string): NewVideo => ({ appBundleId: "com.x", apphudUserId: user, clientIp: null, kind: "t2v", prompt: "p" });

// Only PostgreSQL has a held connection; CI always sets TEST_DATABASE_URL, so this always runs there.
if (process.env.TEST_DATABASE_URL) describe("held connection [postgres]", () => {
  let fresh: Awaited<ReturnType<typeof freshDatabase>>;
  beforeAll(async () => {
    fresh = await freshDatabase("postgres");
  });
  afterAll(async () => {
    await fresh.drop();
  });

  test("any string, as a literal, reads back exactly as it was", async () => {
    const held = fresh.database.held!;
    const alphabet = ["'", "\\", "$", "$$", "E'", "\n", "\r", "\t", "\u0001", "a", "я", "🐈", "\u{10FFFF}", " ", '"', ";", "--", "/*"];
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
    const samples = Array.from({ length: 200 }, () =>
      Array.from({ length: next() % 40 }, () => alphabet[next() % alphabet.length]).join(""),
    );
    const rows = await held((literal) => `select * from (values ${samples.map((s, i) => `(${i}, ${literal(s)})`).join(", ")}) t(i, s) order by i`);
    expect(rows.map((r) => r.s)).toEqual(samples);
  });

  test("a held connection that the server ends is replaced, and accepting goes on", async () => {
    const repo = createVideoRepository(fresh.database);
    expect((await repo.insertBatch([v("a")], limits))[0]!.ok).toBe(true);
    const [pid] = await fresh.database.held!(() => "select pg_backend_pid() as pid");
    await fresh.database.db.execute(sql`select pg_terminate_backend(${Number(pid!.pid)})`);
    // The request in flight when a connection dies may fail (the caller answers it with an error);
    // the one after it must succeed on a new connection.
    let accepted = 0;
    for (let attempt = 0; attempt < 3 && accepted === 0; attempt++) {
      const outcome = await repo.insertBatch([v(`b${attempt}`)], limits).catch(() => null);
      if (outcome?.[0]?.ok) accepted++;
    }
    expect(accepted).toBe(1);
    const [after] = await fresh.database.held!(() => "select pg_backend_pid() as pid");
    expect(after!.pid).not.toBe(pid!.pid);
  });
});
