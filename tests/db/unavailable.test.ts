// isDatabaseUnavailable: the one answer to "is this the database being unreachable (503) or a failure of
// the statement or of the code (500)?", over the error shapes pg, pg-pool, drizzle and PGlite really produce.
import { expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { DrizzleQueryError } from "drizzle-orm/errors";
import pg from "pg";
import { isDatabaseUnavailable, openDatabase } from "../../src/db/client.ts";
import { freshDatabase } from "../support/db.ts";

const sysError = (code: string, message = `connect ${code} 127.0.0.1:5432`) => Object.assign(new Error(message), { code, errno: -1, syscall: "connect" });
/** The shape of pg's DatabaseError: a server error with a SQLSTATE and a severity. */
const serverError = (code: string, message: string) => Object.assign(new Error(message), { code, severity: "FATAL", name: "error" });

test("socket errors of an unreachable or vanished server are unavailability", () => {
  for (const code of ["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "ENOTFOUND", "EPIPE"]) expect(isDatabaseUnavailable(sysError(code))).toBe(true);
});

test("a refused connection reported as an AggregateError (both address families tried) is unavailability", () => {
  const both = new AggregateError([sysError("ECONNREFUSED", "connect ECONNREFUSED ::1:5432"), sysError("ECONNREFUSED")], "");
  expect(isDatabaseUnavailable(both)).toBe(true);
});

test("pg's and pg-pool's lost-connection messages are unavailability", () => {
  for (const message of [
    "Connection terminated unexpectedly",
    "Connection terminated",
    "Connection terminated due to connection timeout",
    "timeout exceeded when trying to connect",
    "Client has encountered a connection error and is not queryable",
    "Client was closed and is not queryable",
    "Cannot use a pool after calling end on the pool",
  ]) {
    expect(isDatabaseUnavailable(new Error(message)), message).toBe(true);
  }
});

test("SQLSTATE class 08 and the shutdown codes 57P01/57P02/57P03 are unavailability", () => {
  expect(isDatabaseUnavailable(serverError("08006", "connection failure"))).toBe(true);
  expect(isDatabaseUnavailable(serverError("08001", "could not connect"))).toBe(true);
  expect(isDatabaseUnavailable(serverError("57P01", "terminating connection due to administrator command"))).toBe(true);
  expect(isDatabaseUnavailable(serverError("57P02", "terminating connection because of crash of another server process"))).toBe(true);
  expect(isDatabaseUnavailable(serverError("57P03", "the database system is starting up"))).toBe(true);
});

test("a database closed to connections, gone, refusing our credentials or out of resources is unavailability", () => {
  expect(isDatabaseUnavailable(serverError("55000", 'database "app" is not currently accepting connections'))).toBe(true);
  expect(isDatabaseUnavailable(serverError("3D000", 'database "app" does not exist'))).toBe(true);
  expect(isDatabaseUnavailable(serverError("28P01", 'password authentication failed for user "app"'))).toBe(true);
  expect(isDatabaseUnavailable(serverError("28000", "no pg_hba.conf entry for host"))).toBe(true);
  expect(isDatabaseUnavailable(serverError("53300", "sorry, too many clients already"))).toBe(true);
  expect(isDatabaseUnavailable(serverError("53100", "could not extend file: No space left on device"))).toBe(true);
});

test("an unavailability error wrapped by drizzle (DrizzleQueryError.cause) is still unavailability", () => {
  expect(isDatabaseUnavailable(new DrizzleQueryError("select 1", [], sysError("ECONNREFUSED")))).toBe(true);
  expect(isDatabaseUnavailable(new DrizzleQueryError("select 1", [], serverError("42601", "syntax error")))).toBe(false);
});

test("statement and data errors are not unavailability: they stay 500", () => {
  expect(isDatabaseUnavailable(serverError("42601", 'syntax error at or near "selec"'))).toBe(false);
  expect(isDatabaseUnavailable(serverError("23505", "duplicate key value violates unique constraint"))).toBe(false);
  expect(isDatabaseUnavailable(serverError("57014", "canceling statement due to statement timeout"))).toBe(false);
  expect(isDatabaseUnavailable(serverError("40P01", "deadlock detected"))).toBe(false);
  expect(isDatabaseUnavailable(new Error("accept_videos decided 0 of 1 requests"))).toBe(false);
  expect(isDatabaseUnavailable(new TypeError("Cannot read properties of undefined"))).toBe(false);
  for (const value of [undefined, null, "ECONNREFUSED", 8006, {}]) expect(isDatabaseUnavailable(value)).toBe(false);
});

test("a real refused connection from pg is unavailability", async () => {
  // Port 1 on loopback: nothing listens there.
  const client = new pg.Client({ connectionString: "postgres://postgres@127.0.0.1:1/none", connectionTimeoutMillis: 5000 });
  const err = await client.connect().then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).not.toBeNull();
  expect(isDatabaseUnavailable(err)).toBe(true);
});

test.skipIf(!process.env.TEST_DATABASE_URL)("a query while the PostgreSQL database refuses new connections (ALLOW_CONNECTIONS false) is unavailability [postgres]", async () => {
  const { database, url, drop } = await freshDatabase("postgres");
  const name = new URL(url!).pathname.slice(1);
  const admin = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL! });
  await admin.connect();
  try {
    await admin.query(`alter database ${name} allow_connections false`);
    await admin.query("select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()", [name]);
    // The pool's connections were ended by the server (the first query may see that); a new one is refused.
    const sqlstate = (e: unknown): unknown => (e as { cause?: { code?: unknown }; code?: unknown }).cause?.code ?? (e as { code?: unknown }).code;
    let refused: unknown = null;
    for (let attempt = 0; attempt < 5 && refused === null; attempt++) {
      const err = await database.db.execute(sql`select 1`).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).not.toBeNull();
      if (sqlstate(err) === "55000") refused = err;
    }
    expect(refused).not.toBeNull();
    expect(isDatabaseUnavailable(refused)).toBe(true);
  } finally {
    await admin.query(`alter database ${name} allow_connections true`).catch(() => {});
    await admin.end();
    await drop();
  }
}, 30_000);

test("a query on a closed PGlite is unavailability", async () => {
  const database = await openDatabase({});
  await database.close();
  const err = await database.db.execute(sql`select 1`).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).not.toBeNull();
  expect(isDatabaseUnavailable(err)).toBe(true);
}, 60_000);
