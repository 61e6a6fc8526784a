// What the facts share: the configuration, the browser, the account, and what earlier facts found (pages,
// the first page of the video list, credits), plus the layout hints and the secrets no output may show.
import type { Browser, BrowserContext, Locator, Page } from "playwright-core";
import type { Config } from "../../config.ts";
import type { Logger } from "../../log.ts";
import type { PixverseAccount } from "../account.ts";
import type { CreationPage, LoginPage } from "../pages.ts";
import type { Credits } from "../pixverse.ts";
import type { SubmitMode } from "../submission.ts";
import { errorMessage } from "../waits.ts";

export interface CheckContext {
  config: Config;
  webUrl: string;
  apiUrl: string;
  submitMode: SubmitMode;
  createPath: string;
  browser: Browser;
  account: PixverseAccount;
  log: Logger;
  /** `--submit`: the prompt, and how long to wait for the video. */
  submit: { prompt: string; waitMs: number } | null;
  /** Short notes on what the pages looked like (which layout), for the JSON report. */
  hints: Record<string, string>;
  /** Values that must never reach the table or the report (the password, the token). */
  secrets: Set<string>;
  /** Closed when the check ends. */
  cleanup: (() => Promise<unknown>)[];

  // Filled in by the facts, in order.
  loginContext?: BrowserContext;
  login?: LoginPage;
  /** The page the signed-in facts look at (not the service's work page). */
  signedInPage?: Page;
  creation?: CreationPage;
  credits?: Credits;
  /** The first page of `video/list/personal`: its Resp and the raw items. */
  list?: { resp: Record<string, unknown>; items: unknown[] };
  submitted?: { id: string; at: number };
}

/** The signed-in page the creation facts use, opened once. */
export async function signedInPage(ctx: CheckContext): Promise<Page> {
  if (ctx.signedInPage && !ctx.signedInPage.isClosed()) return ctx.signedInPage;
  const page = await ctx.account.openPage();
  ctx.cleanup.push(() => page.close());
  ctx.signedInPage = page;
  return page;
}

/** One line, no secret (any value in `secrets` of 3 characters or more is replaced). */
export function scrub(text: string, secrets: ReadonlySet<string>): string {
  let out = text.replace(/\s+/g, " ").trim();
  for (const secret of secrets) if (secret.length >= 3) out = out.split(secret).join("[redacted]");
  return out;
}

/** The accessible names of the visible elements `locator` matches (at most `max`), as a person would read them. */
export async function visibleNames(locator: Locator, max = 8): Promise<string[]> {
  const visible = locator.filter({ visible: true });
  const count = Math.min(await visible.count(), max);
  const names: string[] = [];
  for (let i = 0; i < count; i++) names.push(await accessibleName(visible.nth(i)));
  return names;
}

/** The element's accessible name (from its ARIA snapshot; its text when the snapshot gives none). */
export async function accessibleName(locator: Locator): Promise<string> {
  const snapshot = await locator.ariaSnapshot({ timeout: 2_000 }).catch(() => "");
  const named = /^- [\w-]+ "((?:[^"\\]|\\.)*)"/.exec(snapshot);
  if (named) return named[1]!.replace(/\\"/g, '"');
  const text = await locator.innerText({ timeout: 2_000 }).catch(() => "");
  return text.replace(/\s+/g, " ").trim();
}

export function quote(text: string, max = 60): string {
  return JSON.stringify(text.length > max ? `${text.slice(0, max - 1)}…` : text);
}

export interface Modals {
  /** The names of the modals that showed. */
  seen: string[];
  /** Those still open after closing. */
  left: string[];
  closed: number;
  /** Why closing stopped, if it threw. */
  error?: string;
}

/**
 * The modals on `page`: how many show (waiting briefly for one that opens after load), and whether the
 * page object's own `closeModals` closes them all. None showing is a PASS: a promo may or may not run.
 */
export async function modalsSeenAndClosed(page: Page, close: (timeoutMs: number) => Promise<number>, timeoutMs: number): Promise<Modals> {
  const dialogs = page.getByRole("dialog").filter({ visible: true });
  await dialogs.first().waitFor({ state: "visible", timeout: Math.min(2_000, timeoutMs) }).catch(() => undefined);
  const seen = await visibleNames(page.getByRole("dialog"));
  if (seen.length === 0) return { seen, left: [], closed: 0 };
  let closed = 0;
  let error: string | undefined;
  try {
    closed = await close(Math.max(1_000, timeoutMs - 3_000));
  } catch (e) {
    error = errorMessage(e);
  }
  const left = await visibleNames(page.getByRole("dialog"));
  return { seen, left, closed, ...(error ? { error } : {}) };
}
