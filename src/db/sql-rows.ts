// What raw SQL hands back, made typed: the rows of a statement and PostgreSQL's text forms of timestamps and bytea.
import type { sql } from "drizzle-orm";
import type { Db } from "./client.ts";

export type Row = Record<string, unknown>;

export async function rows(db: Db, query: ReturnType<typeof sql>): Promise<Row[]> {
  const result = (await db.execute(query)) as unknown as { rows: Row[] };
  return result.rows;
}

/** Raw SQL returns timestamps as PostgreSQL text (`2026-11-25 17:00:00.12+00`); make them Dates. */
export function toDate(v: unknown): Date | null {
  if (v === null || v === undefined) return null;
  if (v instanceof Date) return v;
  return new Date(String(v).replace(" ", "T").replace(/([+-]\d\d)$/, "$1:00"));
}

export function hexToBytes(hex: string): Uint8Array {
  const clean = hex.startsWith("\\x") ? hex.slice(2) : hex;
  return Uint8Array.from(Buffer.from(clean, "hex"));
}
