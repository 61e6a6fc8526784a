// The operator page in a real browser (playwright-core with Debian's Chromium): refused without the
// password, then with it the accounts and the queue are shown, and the Pause button pauses the account.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { chromium, type Browser } from "playwright-core";
import { join } from "node:path";
import { chromiumLaunchFlags } from "../../src/sidecar/browser.ts";
import { accountKey } from "../../src/admin/view.ts";
import { freshDatabase } from "../support/db.ts";
import { CHROMIUM, requireChromium, tempDir } from "../sidecar/helpers.ts";
import { ANN, PASSWORD, buildAdminApp, seed } from "./fixture.ts";

setDefaultTimeout(60_000);

let browser: Browser;
let db: Awaited<ReturnType<typeof freshDatabase>>;
let fixture: ReturnType<typeof buildAdminApp>;
let server: ReturnType<typeof Bun.serve>;

beforeAll(async () => {
  requireChromium();
  db = await freshDatabase("pglite");
  fixture = buildAdminApp(db.database);
  await seed(fixture);
  server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: fixture.app.fetch });
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, ...chromiumLaunchFlags() });
});
afterAll(async () => {
  await browser?.close();
  await server?.stop(true);
  await db?.drop();
});

test("without the password, or with a wrong one, the browser gets no page", async () => {
  // No credentials at all: the browser is challenged and has nothing to answer with.
  const none = await browser.newContext();
  const error = await (await none.newPage()).goto(`${server.url}admin`).then(() => null, (e: Error) => e.message);
  expect(error).toContain("ERR_INVALID_AUTH_CREDENTIALS");
  await none.close();
  // A wrong password: 401 and the JSON refusal, nothing of the page.
  const wrong = await browser.newContext({ httpCredentials: { username: "admin", password: "not-the-password" } });
  const page = await wrong.newPage();
  const res = await page.goto(`${server.url}admin`);
  expect(res?.status()).toBe(401);
  expect(await page.content()).toContain("unauthorized");
  expect(await page.content()).not.toContain("Accounts");
  await wrong.close();
});

test("with the password: the accounts and the queue are shown, and Pause pauses the account", async () => {
  const context = await browser.newContext({ httpCredentials: { username: "admin", password: PASSWORD }, viewport: { width: 1100, height: 900 } });
  const page = await context.newPage();
  const res = await page.goto(`${server.url}admin`);
  expect(res?.status()).toBe(200);
  const row = page.locator(`tr[data-account="${accountKey(ANN)}"]`);
  expect(await row.locator("td").first().innerText()).toContain("a***@example.com");
  expect(await row.innerText()).toContain("ready");
  expect(await page.locator('#queue [data-state="queued"] b').innerText()).toBe("2");
  expect(await page.locator("#accounts tbody tr").count()).toBe(3);

  await row.getByRole("button", { name: "Pause" }).click();
  await page.waitForURL(/\/admin\?done=paused$/);
  expect(await page.getByRole("status").innerText()).toContain("Account paused");
  expect(await page.locator(`tr[data-account="${accountKey(ANN)}"] .tag`).innerText()).toBe("paused");
  expect(await fixture.queries.pausedAccounts()).toEqual(new Set([ANN]));
  // The button now resumes.
  expect(await page.locator(`tr[data-account="${accountKey(ANN)}"]`).getByRole("button", { name: "Resume" }).count()).toBe(1);

  const shot = join(await tempDir("admin-shot-"), "admin.png");
  await page.screenshot({ path: shot, fullPage: true });
  const bytes = new Uint8Array(await Bun.file(shot).arrayBuffer());
  expect([...bytes.slice(1, 4)].map((b) => String.fromCharCode(b)).join("")).toBe("PNG");
  await context.close();
});

test("readable on a phone: nothing overflows the page sideways", async () => {
  const context = await browser.newContext({ httpCredentials: { username: "admin", password: PASSWORD }, viewport: { width: 390, height: 844 }, isMobile: true });
  const page = await context.newPage();
  await page.goto(`${server.url}admin`);
  // Wide tables scroll inside their own box; the page itself is no wider than the screen.
  const widths = await page.evaluate(() => ({ page: document.documentElement.scrollWidth, screen: window.innerWidth }));
  expect(widths.page).toBeLessThanOrEqual(widths.screen);
  await context.close();
});
