// Opens the database: PostgreSQL through `pg` when a URL is given, otherwise an embedded PGlite directory.
// Both are driven through drizzle with the same schema and the same migrations in drizzle/.
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { PGlite } from "@electric-sql/pglite";
import { drizzle as drizzlePg } from "drizzle-orm/node-postgres";
import { migrate as migratePg } from "drizzle-orm/node-postgres/migrator";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { sql } from "drizzle-orm";
import { DrizzleQueryError } from "drizzle-orm/errors";
import pg from "pg";
import * as schema from "./schema.ts";
import { startPglite, templateFile, type TemplateOptions } from "./pglite-template.ts";

/**
 * What `execute` gives back on either driver: node-postgres's QueryResult and PGlite's Results both carry the
 * rows. Typed so, one database type fits both drivers (the compiler checks each against it, no cast).
 */
export interface RowsResultHKT extends PgQueryResultHKT {
  type: RowsResult<this["row"]>;
}
export type RowsResult<TRow> = { rows: TRow[] };

/** A drizzle database (or transaction) over PostgreSQL or PGlite, with this schema. */
export type Db = PgDatabase<RowsResultHKT, typeof schema>;

export interface Database {
  db: Db;
  kind: "postgres" | "pglite";
  /** PostgreSQL only: runs `work` on one connection kept checked out for the accept path (see holdConnection). */
  held?: HeldConnection;
  close(): Promise<void>;
}

/**
 * Runs `work` on a database bound to the held connection (and that connection's own client, for a named
 * prepared statement); statements on it run in order.
 */
export type HeldConnection = <T>(work: (db: Db, client: pg.PoolClient) => Promise<T>) => Promise<T>;

const MIGRATIONS_FOLDER = fileURLToPath(new URL("../../drizzle", import.meta.url));
// Any constant works; it only has to be the same in every instance so that migrations run one at a time.
const MIGRATION_LOCK_KEY = 0x70697876;

export interface OpenOptions {
  /** postgres:// URL; absent → PGlite. */
  url?: string;
  /** PGlite data directory; absent with no URL → in memory (tests). */
  dataDir?: string;
  poolSize?: number;
  /** Where the dump new PGlite clusters are made from is kept (pglite-template.ts); absent: the system's temporary folder. */
  pgliteTemplateDir?: string;
}

/** Open and migrate. Several instances may start at once: migrations are serialized by an advisory lock. */
export async function openDatabase(options: OpenOptions): Promise<Database> {
  if (options.url) return openPostgres(options.url, options.poolSize ?? 10);
  return openPglite(options.dataDir, options.pgliteTemplateDir);
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
  const db: Db = drizzlePg(pool, { schema });
  const held = holdConnection(pool);
  return {
    db,
    kind: "postgres",
    held: held.run,
    close: async () => {
      held.release();
      await pool.end();
    },
  };
}

// Kept: without it text2video (bench/api.sh) drops 11–26 % (11-30, alternating runs: 6.2k → 4.9k rps at info, 11.0k → 9.9k at warn).
/**
 * One pool connection kept checked out for the accept path. node-postgres writes a query to the socket at
 * once when its connection is idle, so each group-commit batch leaves the moment the previous one commits,
 * without a pool checkout in between. A connection that fails other than by refusing a statement (it was
 * lost, or may be) is destroyed, and the next statement checks out a fresh one.
 */
function holdConnection(pool: pg.Pool): { run: HeldConnection; release(): void } {
  type Held = { client: pg.PoolClient; db: Db };
  let held: Held | null = null;
  let connecting: Promise<Held> | null = null;
  const acquire = () => {
    if (held) return held;
    connecting ??= pool.connect().then(
      (client) => {
        const h: Held = { client, db: drizzlePg(client, { schema }) };
        client.on("error", () => drop(h, true));
        client.on("end", () => drop(h, true));
        held = h;
        connecting = null;
        return h;
      },
      (e: unknown) => {
        connecting = null;
        throw e;
      },
    );
    return connecting;
  };
  const drop = (h: Held, broken: boolean) => {
    if (held !== h) return;
    held = null;
    h.client.release(broken ? true : undefined);
  };
  const run = async <T>(h: Held, work: (db: Db, client: pg.PoolClient) => Promise<T>): Promise<T> => {
    try {
      return await work(h.db, h.client);
    } catch (e) {
      if (!isStatementError(e)) drop(h, true);
      throw e;
    }
  };
  return {
    run(work) {
      const h = acquire();
      return h instanceof Promise ? h.then((hh) => run(hh, work)) : run(h, work);
    },
    release() {
      if (held) drop(held, false);
    },
  };
}

/**
 * PostgreSQL refused the statement (a constraint, a bad value): the connection is still usable. Anything else
 * (a lost connection, a protocol or driver error) may have left it unusable. drizzle wraps errors (`cause`).
 */
function isStatementError(e: unknown): boolean {
  if (e instanceof DrizzleQueryError) return isStatementError(e.cause);
  return e instanceof pg.DatabaseError && !isDatabaseUnavailable(e);
}

async function openPglite(dataDir: string | undefined, templateDir: string | undefined): Promise<Database> {
  const client = await startPglite(dataDir, pgliteTemplate(templateDir));
  // Nothing to do for a cluster made from the dump (it holds these migrations); an existing directory may need some.
  const db = await migratedPglite(client);
  return { db, kind: "pglite", close: () => client.close() };
}

async function migratedPglite(client: PGlite) {
  const db = drizzlePglite(client, { schema });
  await migratePglite(db, { migrationsFolder: MIGRATIONS_FOLDER });
  return db;
}

/** New PGlite clusters come migrated from a dump made with these migrations (src/db/pglite-template.ts). */
function pgliteTemplate(dir: string | undefined): TemplateOptions {
  return { dir, prepare: { key: migrationsDigest(), run: async (client) => void (await migratedPglite(client)) } };
}

/** Where the dump of migrated clusters is kept (for tests). */
export const pgliteTemplateFile = (dir?: string): string => templateFile(pgliteTemplate(dir));

let digest: string | undefined;
/** The migrations' content, named: a changed or added migration makes a new dump. Read once, when first needed. */
function migrationsDigest(): string {
  if (digest === undefined) {
    const hasher = new Bun.CryptoHasher("sha256");
    hasher.update(readFileSync(`${MIGRATIONS_FOLDER}/meta/_journal.json`));
    for (const name of readdirSync(MIGRATIONS_FOLDER).filter((n) => n.endsWith(".sql")).sort()) hasher.update(readFileSync(`${MIGRATIONS_FOLDER}/${name}`));
    digest = hasher.digest("hex").slice(0, 16);
  }
  return digest;
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
  const result = await db.execute<{ n: number }>(sql`select count(*)::int as n from drizzle.__drizzle_migrations`);
  return { applied: Number(result.rows[0]?.n ?? 0), expected: await shipped };
}

/** Socket-level error codes (Node/Bun) that mean the database server could not be reached or went away. */
const UNREACHABLE_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "ENOTFOUND", "EPIPE", "EHOSTUNREACH", "ENETUNREACH", "EAI_AGAIN"]);
/**
 * SQLSTATEs outside class 08 that mean the server will not serve us now: shutting down or starting up
 * (57P01-57P03), the database closed to connections (55000, `ALTER DATABASE … ALLOW_CONNECTIONS false`), gone
 * (3D000) or refusing our credentials (28000, 28P01: a rotated password), and class 53, out of resources (too
 * many connections, disk full, out of memory). None of them is the request's fault or a bug of a statement.
 */
const UNAVAILABLE_SQLSTATES = new Set(["57P01", "57P02", "57P03", "55000", "3D000", "28000", "28P01"]);
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
 * (connection exception), class 53 (insufficient resources) and UNAVAILABLE_SQLSTATES, a closed PGlite.
 * Wrappers (drizzle's DrizzleQueryError) are looked through via `cause`.
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  for (let e = err, depth = 0; e && typeof e === "object" && depth < 8; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string") {
      if (UNREACHABLE_CODES.has(code) || UNAVAILABLE_SQLSTATES.has(code)) return true;
      // A SQLSTATE is five characters; class 08 is a connection exception.
      if (/^(08|53)[0-9A-Z]{3}$/.test(code)) return true;
    }
    if (e instanceof AggregateError && e.errors.some((inner) => isDatabaseUnavailable(inner))) return true;
    const message = (e as { message?: unknown }).message;
    if (typeof message === "string" && UNAVAILABLE_MESSAGES.some((m) => m.test(message))) return true;
  }
  return false;
}
