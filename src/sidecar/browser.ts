// The browser: one Chromium forced to English, one context per account, and the account's signed-in
// session (storage state) kept on disk with owner-only permissions so that a restart does not log in again.
import { stat } from "node:fs/promises";
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from "playwright-core";
import { writeSessionFile } from "./session-file.ts";

/** Chromium flags: English UI (`--lang`), and no background chatter that costs memory or network. */
export const CHROMIUM_ARGS = [
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--no-first-run",
  "--disable-sync",
  "--lang=en-US",
] as const;

/** Whether this process runs as root (never on Windows, which has no uid). */
export function runsAsRoot(): boolean {
  return process.getuid?.() === 0;
}

/**
 * Chromium's sandbox for one launch: on, except as root, where Chromium refuses to start with it (tests and
 * CI run as root). The image runs as a non-root user, so production keeps the sandbox. Playwright adds
 * `--no-sandbox` itself unless `chromiumSandbox` is true, so both are decided here, together.
 */
export function chromiumLaunchFlags(isRoot: boolean = runsAsRoot()): { args: string[]; chromiumSandbox: boolean } {
  return isRoot ? { args: ["--no-sandbox", ...CHROMIUM_ARGS], chromiumSandbox: false } : { args: [...CHROMIUM_ARGS], chromiumSandbox: true };
}

export const LOCALE = "en-US";
export const ACCEPT_LANGUAGE = "en-US,en;q=0.9";

export interface LaunchOptions {
  executablePath: string;
  headless: boolean;
  /** The browser's environment; defaults to this process's. Tests pass a Russian one. */
  env?: Record<string, string | undefined>;
  timeoutMs?: number;
}

export async function launchBrowser(opts: LaunchOptions): Promise<Browser> {
  return chromium.launch({
    executablePath: opts.executablePath,
    headless: opts.headless,
    ...chromiumLaunchFlags(),
    env: opts.env,
    timeout: opts.timeoutMs ?? 60_000,
  });
}

export interface ContextOptions {
  timezone: string;
  /** A storage state file to start from (a saved session), if one exists. */
  storageStatePath?: string;
}

/** A context that tells every site, every way it can, that this browser speaks English. */
export async function newEnglishContext(browser: Browser, opts: ContextOptions): Promise<BrowserContext> {
  return browser.newContext({
    locale: LOCALE,
    timezoneId: opts.timezone,
    extraHTTPHeaders: { "Accept-Language": ACCEPT_LANGUAGE },
    storageState: opts.storageStatePath,
  });
}

export interface PageLanguage {
  htmlLang: string;
  navigatorLanguage: string;
}

export async function pageLanguage(page: Page): Promise<PageLanguage> {
  return page.evaluate(() => ({ htmlLang: document.documentElement.lang || "(none)", navigatorLanguage: navigator.language }));
}

export class LanguageError extends Error {
  override name = "LanguageError";
  constructor(readonly seen: PageLanguage) {
    super(
      `the Pixverse page is not in English (html lang=${seen.htmlLang}, navigator.language=${seen.navigatorLanguage}): ` +
        "the automation relies on the English labels",
    );
  }
}

/** The marker was missing although the page says it is English: the page itself may have changed. */
export class MissingElementError extends Error {
  override name = "MissingElementError";
}

/** The page says it is English (its `lang`, or without one the browser's language). */
export function looksEnglish(seen: PageLanguage): boolean {
  return /^en\b/i.test(seen.htmlLang) || (seen.htmlLang === "(none)" && /^en\b/i.test(seen.navigatorLanguage));
}

/**
 * Verify the page is in English by an English label the automation relies on (`what` names it).
 * Not English: throws LanguageError naming the language seen, after first giving a person
 * `person.waitMs` to switch it (headed mode). English but no marker: MissingElementError.
 */
export async function verifyEnglish(
  page: Page,
  marker: Locator,
  what: string,
  timeoutMs: number,
  person?: { waitMs: number; ask: (seen: PageLanguage) => void },
): Promise<void> {
  if (await isVisibleWithin(marker, timeoutMs)) return;
  const seen = await pageLanguage(page);
  if (looksEnglish(seen)) {
    throw new MissingElementError(
      `the page ${new URL(page.url()).pathname} shows no ${what} (html lang=${seen.htmlLang}, navigator.language=${seen.navigatorLanguage}); has Pixverse's page changed?`,
    );
  }
  if (person) {
    person.ask(seen);
    if (await isVisibleWithin(marker, person.waitMs)) return;
  }
  throw new LanguageError(await pageLanguage(page).catch(() => seen));
}

export async function isVisibleWithin(locator: Locator, timeoutMs: number): Promise<boolean> {
  try {
    await locator.first().waitFor({ state: "visible", timeout: timeoutMs });
    return true;
  } catch (err) {
    if (isTimeout(err)) return false;
    throw err;
  }
}

export function isTimeout(err: unknown): boolean {
  return err instanceof Error && err.name === "TimeoutError";
}

// ── The session on disk ────────────────────────────────────────────────────────────────────────────────

export { sessionFile } from "./session-file.ts";

export async function sessionExists(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/** Save the context's cookies and local storage (owner-only, atomically: writeSessionFile). */
export async function saveSession(context: BrowserContext, path: string): Promise<void> {
  await writeSessionFile(path, JSON.stringify(await context.storageState()));
}
