// The service forces Pixverse's UI into English, even in a browser or on a machine that asks for Russian;
// the simulator shows Russian to a browser that asks for it, so these tests can tell the difference.
import { TEST_SETTINGS } from "../support/settings.ts";
import { afterAll, afterEach, beforeAll, beforeEach, expect, setDefaultTimeout, test } from "bun:test";
import { chromium, type Browser } from "playwright-core";
import { ACCEPT_LANGUAGE, LanguageError, newEnglishContext, pageLanguage, verifyEnglish } from "../../src/sidecar/browser.ts";
import { LoginPage } from "../../src/sidecar/pages.ts";
import { LABELS } from "../../src/sidecar/pixverse.ts";
import type { AccountPool } from "../../src/sidecar/pool.ts";
import { startSimulator, type Simulator } from "../../src/simulator/server.ts";
import { addAccount, CHROMIUM, requireChromium, reset, startPool, stats } from "./helpers.ts";

const RUSSIAN_ENV = { ...process.env, LANG: "ru_RU.UTF-8", LANGUAGE: "ru", LC_ALL: "ru_RU.UTF-8" } as Record<string, string>;

let sim: Simulator;
let browsers: Browser[] = [];
let pools: AccountPool[] = [];
setDefaultTimeout(60_000);

beforeAll(async () => {
  sim = await startSimulator({ port: 0, generationMs: 300 });
});
afterAll(async () => {
  await sim.stop();
});
beforeEach(async () => {
  await reset(sim);
  await addAccount(sim, { email: "ivan@example.com", password: "pw" });
});
afterEach(async () => {
  await Promise.all([...pools.map((p) => p.close()), ...browsers.map((b) => b.close())]);
  pools = [];
  browsers = [];
});

/** A Chromium started the way a Russian machine would start it. */
async function russianBrowser(): Promise<Browser> {
  requireChromium();
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--lang=ru-RU"], env: RUSSIAN_ENV });
  browsers.push(browser);
  return browser;
}

test("the simulator shows its Russian UI to a browser that asks for Russian", async () => {
  const browser = await russianBrowser();
  const context = await browser.newContext({ locale: "ru-RU" });
  const page = await context.newPage();
  await new LoginPage(page, sim.url).open(10_000);
  await page.getByRole("button", { name: "Вход", exact: true }).waitFor({ state: "visible", timeout: 5_000 });
  expect(await page.getByRole("button", { name: LABELS.login, exact: true }).count()).toBe(0);
});

test("our context gets the English UI even inside a browser launched for Russian", async () => {
  const browser = await russianBrowser();
  const context = await newEnglishContext(browser, { timezone: "Europe/Moscow" });
  const page = await context.newPage();
  const navigation = page.waitForResponse((r) => new URL(r.url()).pathname === "/login");
  const script = page.waitForResponse((r) => new URL(r.url()).pathname.startsWith("/static/login"));
  const form = new LoginPage(page, sim.url);
  await form.open(10_000);
  // Chromium sends the context locale on navigations and our header on everything the page loads or fetches.
  expect((await (await navigation).request().allHeaders())["accept-language"]).toBe("en-US");
  expect((await (await script).request().allHeaders())["accept-language"]).toBe(ACCEPT_LANGUAGE);
  await verifyEnglish(page, form.loginButton, "Login button", 5_000);
  expect(await pageLanguage(page)).toEqual({ htmlLang: "en", navigatorLanguage: "en-US" });
});

test("on a machine whose language is Russian the sidecar's browser signs in and opens the English creation page", async () => {
  const { pool } = await startPool({ sim, email: "ivan@example.com", password: "pw", browserEnv: RUSSIAN_ENV });
  pools.push(pool);
  const account = pool.accounts[0]!;
  expect(await account.waitUntilSignedIn(15_000), JSON.stringify(account.status())).toBe(true);
  const result = await pool.submit({ kind: "t2v", prompt: "по-русски, but the UI is English", settings: TEST_SETTINGS }, 20_000);
  expect(result.ok, JSON.stringify(result)).toBe(true);
  expect((await stats(sim)).logins).toBe(1);
});

test("a page that is not in English fails verification with an error naming the language seen", async () => {
  const browser = await russianBrowser();
  const context = await browser.newContext({ locale: "ru-RU" });
  const page = await context.newPage();
  const form = new LoginPage(page, sim.url);
  await form.open(10_000);
  const error = await verifyEnglish(page, form.loginButton, "Login button", 1_000).then(
    () => null,
    (err: unknown) => err,
  );
  expect(error).toBeInstanceOf(LanguageError);
  expect((error as LanguageError).message).toContain("html lang=ru");
  expect((error as LanguageError).message).toContain("navigator.language=ru-RU");
});
