// Driving Pixverse's login page the way a person does, including waiting for a person when the page asks
// for something a script must not answer. What the outcome means for the account is account.ts's business.
import type { Page } from "playwright-core";
import { isTimeout, verifyEnglish, type PageLanguage } from "./browser.ts";
import { LoginPage } from "./pages.ts";
import { LOGIN_PATH, pathIs, type Envelope } from "./pixverse.ts";
import { within } from "./waits.ts";

export interface LoginOptions {
  webUrl: string;
  email: string;
  password: string;
  headless: boolean;
  humanLoginTimeoutMs: number;
  actionTimeoutMs: number;
  navigationTimeoutMs: number;
}

export interface LoginHooks {
  /** The page shows the human check (each round of waiting for a person). */
  askForHuman(round: number): void;
  /** Headed only: the page is not in English; a person may switch it. */
  askToSwitchLanguage(seen: PageLanguage): void;
  /** Stop trying (the account is closing). */
  isClosed(): boolean;
  /** Does the context hold a session cookie now? (Decides when the login answer's body was discarded.) */
  hasSessionCookie(): Promise<boolean>;
}

/**
 * Sign in on `page` and return Pixverse's login answer. On success (ErrCode 0) the page has already left
 * /login, so the token cookie is set. A human check is waited for, round after round of
 * HUMAN_LOGIN_TIMEOUT_SECONDS, until someone solves it or the account closes. Throws LanguageError or
 * MissingElementError when the page is not one the automation can use.
 */
export async function loginThroughPage(page: Page, opts: LoginOptions, hooks: LoginHooks): Promise<Envelope> {
  const form = new LoginPage(page, opts.webUrl);
  await form.open(opts.navigationTimeoutMs);
  await form.closeModals(opts.actionTimeoutMs);
  await verifyEnglish(page, form.loginButton, "`Login` button", opts.actionTimeoutMs, opts.headless ? undefined : {
    waitMs: opts.humanLoginTimeoutMs,
    ask: (seen) => hooks.askToSwitchLanguage(seen),
  });
  for (let round = 1; !hooks.isClosed(); round++) {
    const answer = await attempt(form, round, opts, hooks);
    if (answer === "still_waiting") continue;
    if (answer === "body_discarded") return sessionCookieDecides(form, opts, hooks);
    // The page stores the token and leaves /login on its own.
    if (answer.code === 0) await page.waitForURL((url) => !pathIs(url.href, LOGIN_PATH), { timeout: opts.navigationTimeoutMs });
    return answer;
  }
  throw new Error("the account closed while signing in");
}

/**
 * Fill the form and click `Login` (answer armed first). If the page shows the human check, wait for a
 * person (bounded by HUMAN_LOGIN_TIMEOUT_SECONDS); if none comes, `still_waiting` and the caller tries again.
 */
/**
 * The page navigated away before the login answer's body could be read (Chromium then discards it): the
 * session cookie decides, as soon as the page has left /login, instead of waiting for an answer that is gone.
 */
async function sessionCookieDecides(form: LoginPage, opts: LoginOptions, hooks: LoginHooks): Promise<Envelope> {
  await form.page.waitForURL((url) => !pathIs(url.href, LOGIN_PATH), { timeout: opts.navigationTimeoutMs }).catch(() => undefined);
  if (await hooks.hasSessionCookie()) return { code: 0, message: "signed in (the answer's body was discarded by a navigation; the session cookie is set)", resp: null };
  throw new Error("the login answer was discarded by a navigation and no session cookie was set");
}

async function attempt(form: LoginPage, round: number, opts: LoginOptions, hooks: LoginHooks): Promise<Envelope | "body_discarded" | "still_waiting"> {
  if (round > 1) {
    await form.open(opts.navigationTimeoutMs);
    await form.closeModals(opts.actionTimeoutMs);
  }
  await form.fill(opts.email, opts.password, opts.actionTimeoutMs);
  const { answer } = await form.clickLogin(opts.actionTimeoutMs, opts.actionTimeoutMs + opts.humanLoginTimeoutMs);
  const human = form.humanCheckShown(opts.actionTimeoutMs).then((shown) => (shown ? ("human" as const) : ("no_check" as const)));
  const first = await Promise.race([answer, human]);
  if (first === "no_check") {
    const late = await within(answer, opts.actionTimeoutMs, "timeout" as const);
    if (late === "timeout") throw new Error("the login page gave no answer");
    return late;
  }
  if (first !== "human") return first;
  hooks.askForHuman(round);
  try {
    return await answer;
  } catch (err) {
    if (isTimeout(err)) return "still_waiting";
    throw err;
  }
}
