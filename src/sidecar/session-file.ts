// Where an account's signed-in session is kept on disk. Apart from browser.ts so that the service process
// (the operator page names the file a person copies in) does not load playwright-core to know it.
import { createHash } from "node:crypto";
import { join } from "node:path";

/** One file per account and site; the name does not reveal the e-mail. */
export function sessionFile(sessionDir: string, email: string, webUrl: string): string {
  const key = createHash("sha256").update(`${email.trim().toLowerCase()}\n${new URL(webUrl).origin}`).digest("hex").slice(0, 24);
  return join(sessionDir, `pixverse-${key}.json`);
}
