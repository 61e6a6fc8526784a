// SESSION_STORE=postgres (src/sidecar/session-sync.ts): a session file saved on one machine comes back, byte for
// byte, on another that takes the account over; what is stored is sealed (no token in the database); an older
// copy never overwrites a newer file or row; a wrong SESSION_KEY or a broken row costs a sign-in, not a crash.
import { afterAll, beforeEach, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { mkdtemp, readFile, rm, stat, utimes } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createSessionQueries } from "../../src/db/sessions.ts";
import { silentLogger } from "../../src/log.ts";
import { sessionFile } from "../../src/sidecar/session-file.ts";
import { createSessionSync } from "../../src/sidecar/session-sync.ts";
import { describeEachDatabase } from "../support/db.ts";

const EMAIL = "ann@example.com";
const SECRET = "a-session-key-of-at-least-32-characters!";
const TOKEN = "eyJ-the-token-nobody-may-read-from-the-database";
const STATE = JSON.stringify({ cookies: [{ name: "_ai_token", value: TOKEN, domain: "app.pixverse.ai", path: "/" }], origins: [] });

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});
/** A machine's own session directory, and the account's file in it. */
async function machine(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "session-sync-"));
  dirs.push(dir);
  return sessionFile(join(dir, "session"), EMAIL, "https://app.pixverse.ai");
}

describeEachDatabase("sessions in the database", (db) => {
  beforeEach(async () => {
    await db().db.execute(sql`truncate account_sessions`);
  });
  const sync = (secret = SECRET) => createSessionSync({ queries: createSessionQueries(db().db), secret, logger: silentLogger });

  test("a session saved on one machine is restored byte for byte on another, owner-only, and is not sent back from there", async () => {
    const [a, b] = [await machine(), await machine()];
    await Bun.write(a, STATE);
    await sync().save(EMAIL, a);
    const onB = sync();
    await onB.restore(EMAIL, b);
    expect(await readFile(b, "utf8")).toBe(STATE);
    expect((await stat(b)).mode & 0o777).toBe(0o600);
    const savedAt = (await db().db.execute<{ t: Date }>(sql`select saved_at as t from account_sessions`)).rows[0]!.t;
    await onB.save(EMAIL, b);
    expect((await db().db.execute<{ t: Date }>(sql`select saved_at as t from account_sessions`)).rows[0]!.t).toEqual(savedAt);
  });

  test("what is stored is sealed: neither the token nor the e-mail is in the row", async () => {
    const a = await machine();
    await Bun.write(a, STATE);
    await sync().save(EMAIL, a);
    const rows = (await db().db.execute<{ key: string; sealed: Uint8Array }>(sql`select key, sealed from account_sessions`)).rows;
    expect(rows).toHaveLength(1);
    expect(rows[0]!.key).not.toContain("ann");
    const text = Buffer.from(rows[0]!.sealed).toString("latin1");
    expect(text).not.toContain(TOKEN);
    expect(text).not.toContain("_ai_token");
  });

  test("a newer local file is kept, and an older copy never replaces a newer row", async () => {
    const [a, b] = [await machine(), await machine()];
    await Bun.write(a, STATE);
    await utimes(a, new Date("2026-11-01T00:00:00Z"), new Date("2026-11-01T00:00:00Z"));
    await sync().save(EMAIL, a);
    const newer = STATE.replace(TOKEN, "a-newer-token");
    await Bun.write(b, newer);
    await sync().restore(EMAIL, b);
    expect(await readFile(b, "utf8")).toBe(newer);
    await sync().save(EMAIL, b);
    // a's older file is offered again (another process): the newer row stays.
    await sync().save(EMAIL, a);
    const c = await machine();
    await sync().restore(EMAIL, c);
    expect(await readFile(c, "utf8")).toBe(newer);
  });

  test("a session sealed under another SESSION_KEY, or a broken row, is not restored and throws nothing", async () => {
    const [a, b] = [await machine(), await machine()];
    await Bun.write(a, STATE);
    await sync().save(EMAIL, a);
    await sync("another-session-key-of-32-characters-or-more").restore(EMAIL, b);
    expect(await Bun.file(b).exists()).toBe(false);
    await db().db.execute(sql`update account_sessions set sealed = '\\x0102'::bytea`);
    await sync().restore(EMAIL, b);
    expect(await Bun.file(b).exists()).toBe(false);
  });

  test("a row is bound to its account: moved to another account's key it does not open", async () => {
    const [a, b] = [await machine(), await machine()];
    await Bun.write(a, STATE);
    await sync().save(EMAIL, a);
    const other = sessionFile(join(b, "..", "other"), "bob@example.com", "https://app.pixverse.ai");
    await db().db.execute(sql`update account_sessions set key = ${other.split("/").at(-1)!}`);
    await sync().restore("bob@example.com", other);
    expect(await Bun.file(other).exists()).toBe(false);
  });
});
