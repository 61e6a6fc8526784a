// Opens the database: PostgreSQL through `pg` when a URL is given, otherwise an embedded PGlite directory.
// Both are driven through drizzle with the same schema and the same migrations in drizzle/.
import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { PGlite } from "@electric-sql/pglite";
import { drizzle as drizzlePg } from "drizzle-orm/node-postgres";
import { migrate as migratePg } from "drizzle-orm/node-postgres/migrator";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { sql } from "drizzle-orm";
import pg from "pg";
import * as schema from "./schema.ts";

export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;

export interface Database {
  db: Db;
  kind: "postgres" | "pglite";
  /** PostgreSQL only: one connection kept checked out for the accept path (see heldConnection). */
  held?: HeldConnection;
  close(): Promise<void>;
}

/**
 * Runs a statement on one connection kept out of the pool, as one simple-protocol message (so one write on
 * the socket, where a parameterized query is four); queries on it run in order. `build` writes the SQL and
 * gets `literal`, which turns a string into a safely escaped literal (stringLiteral).
 */
export type HeldConnection = (build: (literal: (value: string) => string) => string) => Promise<Record<string, unknown>[]>;

const MIGRATIONS_FOLDER = fileURLToPath(new URL("../../drizzle", import.meta.url));
// Any constant works; it only has to be the same in every instance so that migrations run one at a time.
const MIGRATION_LOCK_KEY = 0x70697876;

export interface OpenOptions {
  /** postgres:// URL; absent → PGlite. */
  url?: string;
  /** PGlite data directory; absent with no URL → in memory (tests). */
  dataDir?: string;
  poolSize?: number;
}

/** Open and migrate. Several instances may start at once: migrations are serialized by an advisory lock. */
export async function openDatabase(options: OpenOptions): Promise<Database> {
  if (options.url) return openPostgres(options.url, options.poolSize ?? 10);
  return openPglite(options.dataDir);
}

async function openPostgres(url: string, poolSize: number): Promise<Database> {
  // A database that drops packets (not one that refuses) would otherwise hold requests until the OS gives
  // up; after this long a new connection fails, and the request answers 503 (isDatabaseUnavailable).
  const pool = new pg.Pool({ connectionString: url, max: poolSize, application_name: "pixverse-video-api", connectionTimeoutMillis: 5_000 });
  // An idle client's network error must not crash the process; the next query reports it.
  pool.on("error", () => {});
  const client = await pool.connect();
  try {
    await client.query("select pg_advisory_lock($1)", [MIGRATION_LOCK_KEY]);
    await migratePg(drizzlePg(client), { migrationsFolder: MIGRATIONS_FOLDER });
  } finally {
    await client.query("select pg_advisory_unlock($1)", [MIGRATION_LOCK_KEY]).catch(() => {});
    client.release();
  }
  const db = drizzlePg(pool, { schema }) as unknown as Db;
  const held = heldConnection(pool);
  return {
    db,
    kind: "postgres",
    held: held.query,
    close: async () => {
      held.release();
      await pool.end();
    },
  };
}

/**
 * A string as an escape-string literal (E'…'): backslashes doubled, quotes doubled, so it reads back
 * exactly whatever standard_conforming_strings says. A NUL cannot be sent in a query at all.
 */
export function stringLiteral(value: string): string {
  if (value.includes("\0")) throw new TypeError("a NUL character cannot be part of a query");
  return `E'${value.replaceAll("\\", "\\\\").replaceAll("'", "''")}'`;
}

/**
 * One pool connection kept checked out for a hot statement. node-postgres writes a query to the socket
 * synchronously when its connection is idle, so the caller's next query leaves at once, without waiting
 * for a pool checkout (a process.nextTick behind every pending promise continuation). A connection that
 * fails is destroyed, and the next query checks out a fresh one.
 */
function heldConnection(pool: pg.Pool): { query: HeldConnection; release(): void } {
  let client: pg.PoolClient | null = null;
  let connecting: Promise<pg.PoolClient> | null = null;
  const acquire = (): pg.PoolClient | Promise<pg.PoolClient> => {
    if (client) return client;
    connecting ??= pool.connect().then(
      (c) => {
        c.on("error", () => drop(c, true));
        client = c;
        connecting = null;
        return c;
      },
      (e) => {
        connecting = null;
        throw e;
      },
    );
    return connecting;
  };
  const drop = (c: pg.PoolClient, broken: boolean) => {
    if (client !== c) return;
    client = null;
    c.release(broken ? true : undefined);
  };
  const run = async (c: pg.PoolClient, build: (literal: (value: string) => string) => string) => {
    try {
      return (await c.query(build(stringLiteral))).rows as Record<string, unknown>[];
    } catch (e) {
      // An error from PostgreSQL leaves the connection usable; anything else (a broken socket) does not.
      if (!(e instanceof Error && "severity" in e)) drop(c, true);
      throw e;
    }
  };
  return {
    query(build) {
      const c = acquire();
      return c instanceof Promise ? c.then((cc) => run(cc, build)) : run(c, build);
    },
    release() {
      if (client) drop(client, false);
    },
  };
}

async function openPglite(dataDir: string | undefined): Promise<Database> {
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  const client = dataDir ? new PGlite(dataDir) : new PGlite();
  const db = drizzlePglite(client, { schema });
  await migratePglite(db, { migrationsFolder: MIGRATIONS_FOLDER });
  return { db: db as unknown as Db, kind: "pglite", close: () => client.close() };
}

/** A cheap round trip, for readiness. */
export async function ping(db: Db): Promise<void> {
  await db.execute(sql`select 1`);
}

// The migrations this code ships with: the journal is read once, not on every readiness check.
let shipped: Promise<number> | null = null;

/** How many of the migrations in drizzle/ this database has applied (drizzle's own record), for readiness. */
export async function migrationsApplied(db: Db): Promise<{ applied: number; expected: number }> {
  shipped ??= Bun.file(`${MIGRATIONS_FOLDER}/meta/_journal.json`)
    .json()
    .then((journal: { entries: unknown[] }) => journal.entries.length);
  const result = (await db.execute(sql`select count(*)::int as n from drizzle.__drizzle_migrations`)) as { rows?: { n: number }[] };
  return { applied: Number(result.rows?.[0]?.n ?? 0), expected: await shipped };
}

/** Socket-level error codes (Node/Bun) that mean the database server could not be reached or went away. */
const UNREACHABLE_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "ENOTFOUND", "EPIPE", "EHOSTUNREACH", "ENETUNREACH", "EAI_AGAIN"]);
/** SQLSTATEs outside class 08 that mean the server is shutting down or not accepting connections yet. */
const UNAVAILABLE_SQLSTATES = new Set(["57P01", "57P02", "57P03"]);
/** Messages of pg, pg-pool and PGlite for a connection that is gone or could not be had (no code on them). */
const UNAVAILABLE_MESSAGES = [
  /^Connection terminated/, // "… unexpectedly", "… due to connection timeout", plain
  /^timeout exceeded when trying to connect$/,
  /^Client has encountered a connection error and is not queryable$/,
  /^Client was closed and is not queryable$/,
  /^Cannot use a pool after calling end on the pool$/,
  /^PGlite is closed$/,
];

/**
 * Is this error "the database cannot be reached right now" (answered 503, retried later) rather than a bug
 * or a bad statement (500)? The one classification of database unavailability: socket errors (also inside an
 * AggregateError, as a dual-stack connect reports them), pg and pg-pool connection messages, SQLSTATE class 08
 * (connection exception) and 57P01/57P02/57P03 (admin shutdown, crash shutdown, cannot connect now), a closed
 * PGlite. Wrappers (drizzle's DrizzleQueryError) are looked through via `cause`.
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  for (let e = err, depth = 0; e && typeof e === "object" && depth < 8; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string") {
      if (UNREACHABLE_CODES.has(code) || UNAVAILABLE_SQLSTATES.has(code)) return true;
      // A SQLSTATE is five characters; class 08 is a connection exception.
      if (/^08[0-9A-Z]{3}$/.test(code)) return true;
    }
    if (e instanceof AggregateError && e.errors.some((inner) => isDatabaseUnavailable(inner))) return true;
    const message = (e as { message?: unknown }).message;
    if (typeof message === "string" && UNAVAILABLE_MESSAGES.some((m) => m.test(message))) return true;
  }
  return false;
}
