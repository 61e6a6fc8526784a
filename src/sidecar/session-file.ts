// Where an account's signed-in session is kept on disk. Apart from browser.ts so that the service process
// (the operator page names the file a person copies in) does not load playwright-core to know it.
import { createHash } from "node:crypto";
import { chmod, mkdir, rename, utimes, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";

/** One file per account and site; the name does not reveal the e-mail. */
export function sessionFile(sessionDir: string, email: string, webUrl: string): string {
  const key = createHash("sha256").update(`${email.trim().toLowerCase()}\n${new URL(webUrl).origin}`).digest("hex").slice(0, 24);
  return join(sessionDir, `pixverse-${key}.json`);
}

/**
 * Write a session file: its directory 0700, the file 0600, atomically (a reader never sees half of it).
 * `dated`: the file's modification time (a session restored from the database keeps the time it was saved).
 */
export async function writeSessionFile(path: string, data: string | Uint8Array, dated?: Date): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, data, { mode: 0o600 });
  await chmod(tmp, 0o600);
  if (dated) await utimes(tmp, dated, dated);
  await rename(tmp, path);
}
