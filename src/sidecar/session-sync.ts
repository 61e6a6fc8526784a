// SESSION_STORE=postgres: the accounts' session files (saved by the sidecar at each sign-in) kept in the
// database too, so that the instance that takes an account over (its lease moved: a deploy, a crash, a
// rebalance) goes on with the session instead of signing in again: every sign-in may meet a human check, and
// the machines' volumes are their own. Runs in the service process, around the sidecar (client.ts):
// - restore(), before the sidecar is told to drive the account here: the database's copy becomes the
//   file when it is newer than the file (or there is none);
// - save(), when the account is ready after a sign-in: the file, when it changed since last seen, goes
//   to the database.
// Sealed with AES-256-GCM under a key derived from SESSION_KEY (scrypt), bound to the row's key: the database alone
// gives no one a Pixverse session. A failure either way is logged, never thrown: the cost is one sign-in.
import { createCipheriv, createDecipheriv, randomBytes, scryptSync } from "node:crypto";
import { readFile, stat } from "node:fs/promises";
import { basename } from "node:path";
import type { SessionQueries } from "../db/sessions.ts";
import type { Logger } from "../log.ts";
import { maskEmail } from "./mask.ts";
import { writeSessionFile } from "./session-file.ts";

/** `file`: the account's session file (sessionFile(): its name is the row's key, never the e-mail). */
export interface SessionSync {
  restore(email: string, file: string): Promise<void>;
  save(email: string, file: string): Promise<void>;
}

export interface SessionSyncOptions {
  queries: SessionQueries;
  /** SESSION_KEY: any secret string of 32 characters or more. */
  secret: string;
  logger: Logger;
}

const VERSION = 1;
/** Fixed: one key per SESSION_KEY (each sealed session has its own random IV). */
const KEY_SALT = "pixverse-video-api/account_sessions/v1";
const IV_BYTES = 12;
const TAG_BYTES = 16;

export function createSessionSync(o: SessionSyncOptions): SessionSync {
  // scrypt, once: a guessable SESSION_KEY is still slow to try against a copy of the database.
  const key = scryptSync(o.secret, KEY_SALT, 32, { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 });
  // The file's mtime as last written or read here: a file that has not changed since is not sent again.
  const seen = new Map<string, number>();

  function seal(rowKey: string, plain: Uint8Array): Uint8Array {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv("aes-256-gcm", key, iv).setAAD(Buffer.from(rowKey));
    const body = Buffer.concat([cipher.update(plain), cipher.final()]);
    return Buffer.concat([Buffer.from([VERSION]), iv, cipher.getAuthTag(), body]);
  }

  function open(rowKey: string, sealed: Uint8Array): Buffer {
    const buf = Buffer.from(sealed);
    if (buf[0] !== VERSION) throw new Error(`unknown sealed session version ${buf[0]}`);
    const iv = buf.subarray(1, 1 + IV_BYTES);
    const tag = buf.subarray(1 + IV_BYTES, 1 + IV_BYTES + TAG_BYTES);
    const decipher = createDecipheriv("aes-256-gcm", key, iv).setAAD(Buffer.from(rowKey)).setAuthTag(tag);
    return Buffer.concat([decipher.update(buf.subarray(1 + IV_BYTES + TAG_BYTES)), decipher.final()]);
  }

  const mtimeOf = (path: string) => stat(path).then((s) => s.mtimeMs, () => null);

  return {
    async restore(email, path) {
      const rowKey = basename(path);
      try {
        const row = await o.queries.load(rowKey);
        if (!row) return;
        const local = await mtimeOf(path);
        if (local !== null && local >= row.savedAt.getTime()) return;
        let plain: Buffer;
        try {
          plain = open(rowKey, row.sealed);
        } catch {
          o.logger.warn("the stored session could not be opened (was SESSION_KEY changed?); the account signs in instead", { account: maskEmail(email) });
          return;
        }
        // Dated as saved: not sent back as a change.
        await writeSessionFile(path, plain, row.savedAt);
        seen.set(email, (await mtimeOf(path)) ?? row.savedAt.getTime());
        o.logger.info("session restored from the database", { account: maskEmail(email), saved_at: row.savedAt.toISOString() });
      } catch (e) {
        o.logger.warn("the stored session could not be restored; the account signs in instead", { account: maskEmail(email), error: e as Error });
      }
    },

    async save(email, path) {
      try {
        const mtime = await mtimeOf(path);
        if (mtime === null || seen.get(email) === mtime) return;
        const plain = await readFile(path);
        await o.queries.store(basename(path), { sealed: seal(basename(path), plain), savedAt: new Date(Math.floor(mtime)) });
        seen.set(email, mtime);
        o.logger.info("session saved to the database", { account: maskEmail(email) });
      } catch (e) {
        o.logger.warn("the session could not be saved to the database; another instance taking the account over signs in", { account: maskEmail(email), error: e as Error });
      }
    },
  };
}
