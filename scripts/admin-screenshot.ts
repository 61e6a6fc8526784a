// Writes docs/admin.png, the README's picture of the operator page: the page as tests/admin/fixture.ts seeds
// it (three accounts: one ready here, one waiting for a person, one driven by another instance; jobs and
// failures), served over an embedded database and photographed in Debian's Chromium.
// Run: bun scripts/admin-screenshot.ts [output.png]
import { chromium } from "playwright-core";
import { openDatabase } from "../src/db/client.ts";
import { chromiumLaunchFlags } from "../src/sidecar/browser.ts";
import { silentLogger } from "../src/log.ts";
import { ANN, PASSWORD, buildAdminApp, seed } from "../tests/admin/fixture.ts";

const out = process.argv[2] ?? new URL("../docs/admin.png", import.meta.url).pathname;
const database = await openDatabase({});
const fixture = buildAdminApp(database, { logger: silentLogger });
await seed(fixture);
// As right after the operator pressed Pause on the first account.
await fixture.queries.setPaused(ANN, true);
const server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: fixture.app.fetch });
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium", headless: true, ...chromiumLaunchFlags() });
try {
  const context = await browser.newContext({ httpCredentials: { username: "admin", password: PASSWORD }, viewport: { width: 1100, height: 900 }, colorScheme: "light" });
  const page = await context.newPage();
  const res = await page.goto(`${server.url}admin?done=paused`);
  if (res?.status() !== 200) throw new Error(`the page answered ${res?.status()}`);
  await page.screenshot({ path: out, fullPage: true });
  process.stderr.write(`wrote ${out}\n`);
} finally {
  await browser.close();
  await server.stop(true);
  await database.close();
}
