// Test databases: every suite runs on embedded PGlite, and also on the real PostgreSQL server when
// TEST_DATABASE_URL is set (CI always sets it). Each suite gets its own fresh database; each test resets it.
import { afterAll, beforeAll, beforeEach, describe } from "bun:test";
import { sql } from "drizzle-orm";
import pg from "pg";
import { openDatabase, type Database } from "../../src/db/client.ts";

export type Backend = "pglite" | "postgres";

export function backends(): Backend[] {
  return process.env.TEST_DATABASE_URL ? ["pglite", "postgres"] : ["pglite"];
}

/** A fresh, migrated database of the given kind, and how to drop it. */
export async function freshDatabase(backend: Backend): Promise<{ database: Database; url?: string; drop: () => Promise<void> }> {
  if (backend === "pglite") {
    const database = await openDatabase({});
    return { database, drop: () => database.close() };
  }
  const empty = await emptyPostgresDatabase();
  const database = await openDatabase({ url: empty.url, poolSize: 8 });
  return {
    database,
    url: empty.url,
    drop: async () => {
      await database.close();
      await empty.drop();
    },
  };
}

async function admin(sqlText: string): Promise<void> {
  const client = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL! });
  await client.connect();
  try {
    await client.query(sqlText);
  } finally {
    await client.end();
  }
}

/** A new, empty PostgreSQL database on the TEST_DATABASE_URL server; `drop` removes it even while in use. */
export async function emptyPostgresDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `t_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  await admin(`create database ${name}`);
  const url = new URL(process.env.TEST_DATABASE_URL!);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => admin(`drop database if exists ${name} with (force)`) };
}

/** Empty every table and restart ids, keeping the migrated schema. */
export async function resetDatabase(database: Database): Promise<void> {
  await database.db.execute(sql`truncate video_images, videos restart identity cascade`);
  await database.db.execute(sql`update queue_stats set waiting = 0`);
}

/**
 * `describe` once per backend. The callback receives a getter for that backend's database, which is fresh
 * per suite and emptied before each test.
 */
export function describeEachDatabase(title: string, body: (db: () => Database, backend: Backend) => void): void {
  for (const backend of backends()) {
    describe(`${title} [${backend}]`, () => {
      let current: Awaited<ReturnType<typeof freshDatabase>> | undefined;
      beforeAll(async () => {
        current = await freshDatabase(backend);
      });
      afterAll(async () => {
        await current?.drop();
      });
      beforeEach(async () => {
        await resetDatabase(current!.database);
      });
      body(() => current!.database, backend);
    });
  }
}
