// What raw SQL hands back, read with types: the rows of a statement, and readers that turn a column's driver
// value into the type it must be, or fail loudly when it is not (a row mapper built from them never guesses).
// node-postgres gives int8 and numeric as text; PGlite gives numbers; both are accepted.
import type { SQL } from "drizzle-orm";
import type { Db } from "./client.ts";

export type Row = Record<string, unknown>;

/** The rows of a raw statement, each to be read by a row mapper. */
export async function rows(db: Db, query: SQL): Promise<Row[]> {
  return (await db.execute<Row>(query)).rows;
}

/** A whole number: int2/int4 (number), int8 (text on node-postgres, number or bigint on PGlite). */
export function int(v: unknown): number {
  const n = typeof v === "number" ? v : typeof v === "bigint" || typeof v === "string" ? Number(v) : Number.NaN;
  if (!Number.isSafeInteger(n)) throw new TypeError(`not a whole number from the database: ${String(v)}`);
  return n;
}

/** A text column that is never null. */
export function text(v: unknown): string {
  if (typeof v !== "string") throw new TypeError(`not a text value from the database: ${String(v)}`);
  return v;
}

/** A nullable text column. */
export function textOrNull(v: unknown): string | null {
  return v === null || v === undefined ? null : text(v);
}
