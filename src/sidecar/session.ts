// One Pixverse account's session: its browser context, its state (signed out, signing in, ready, paused for
// credits, waiting for a person, blocked, failed), signing in through the login page (single flight, with a
// cooldown and Pixverse's login block), keeping the session on disk, and getting it back when a call finds
// it lost. Submitting and reading the video list live in submission.ts and ledger.ts.
import type { Browser, BrowserContext, Page } from "playwright-core";
import type { Logger } from "../log.ts";
import { readToken, PixverseApi } from "./api.ts";
import { LanguageError, MissingElementError, newEnglishContext, saveSession, sessionExists, sessionFile, type PageLanguage } from "./browser.ts";
import { loginThroughPage } from "./login.ts";
import { loginFailure, PixverseApiError, SESSION_REPLACED_CODE, type Envelope } from "./pixverse.ts";
import type { AccountState, AccountStatus } from "./protocol.ts";
import { errorMessage, within } from "./waits.ts";
import type { AccountSettings } from "./account.ts";

export class AccountSession {
  private contextValue: BrowserContext | null = null;
  private apiValue: PixverseApi | null = null;
  private loginPage: Page | null = null;
  private state: AccountState = "signed_out";
  private detail: string | undefined;
  private since = new Date();
  private planCapacity: number | null = null;
  private signingIn: Promise<boolean> | null = null;
  private lastLoginAt = 0;
  private blockedUntil = 0;
  private creditsCheckAt = 0;
  /** Paused for credits: the balance a resume waits for (what the refused video should cost; at least 1). */
  private creditsNeeded = 1;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private closedValue = false;
  private readonly stateWaiters = new Set<() => void>();
  private readonly sessionPath: string;

  constructor(
    private readonly browser: Browser,
    private readonly settings: AccountSettings,
    private readonly log: Logger,
    private readonly hooks: {
      /** Signed in: the submitter may open its page now (runs after the state is `ready`). */
      onReady: () => Promise<void>;
      /** Any state change. */
      onChange: () => void;
    },
  ) {
    this.sessionPath = sessionFile(settings.sessionDir, settings.email, settings.webUrl);
  }

  // ── Queries ──────────────────────────────────────────────────────────────────────────────────────────

  get context(): BrowserContext {
    if (!this.contextValue) throw new Error("account not started");
    return this.contextValue;
  }

  get api(): PixverseApi {
    if (!this.apiValue) throw new Error("account not started");
    return this.apiValue;
  }

  get closed(): boolean {
    return this.closedValue;
  }

  get current(): AccountState {
    return this.state;
  }

  status(inFlight: number): AccountStatus {
    return {
      email: this.settings.email,
      state: this.state,
      ...(this.detail ? { detail: this.detail } : {}),
      since: this.since.toISOString(),
      capacity: this.capacity(),
      inFlight,
    };
  }

  /** Generations at once: the plan's gen_simultaneously, or the configured fallback. */
  capacity(): number {
    return this.planCapacity ?? this.settings.fallbackConcurrency;
  }

  /** Signed in, so the JSON API answers (also while paused for credits). */
  canQuery(): boolean {
    return this.state === "ready" || this.state === "paused_credits";
  }

  async token(): Promise<string | null> {
    return readToken(this.context, this.settings.webUrl, this.settings.apiUrl);
  }

  // ── Life cycle ───────────────────────────────────────────────────────────────────────────────────────

  /** Open the account's context (from the saved session when there is one) and start signing in. */
  async start(): Promise<void> {
    const saved = await sessionExists(this.sessionPath);
    const context = await newEnglishContext(this.browser, {
      timezone: this.settings.timezone,
      storageStatePath: saved ? this.sessionPath : undefined,
    });
    context.setDefaultTimeout(this.settings.tuning.actionTimeoutMs);
    context.setDefaultNavigationTimeout(this.settings.tuning.navigationTimeoutMs);
    this.contextValue = context;
    this.apiValue = new PixverseApi(context.request, this.settings.apiUrl, () => this.token());
    this.log.info("account starting", { savedSession: saved });
    void this.signIn(saved ? "saved session" : "start");
  }

  async close(): Promise<void> {
    this.closedValue = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    await this.contextValue?.close().catch(() => undefined);
    this.notifyWaiters();
  }

  /** Wait (bounded) until the account is signed in; false if it is not by then. */
  async waitUntilSignedIn(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!this.canQuery()) {
      // Only a sign-in under way can end well soon; a cooldown, a block or a person are not waited for.
      const underWay = this.state === "signing_in" || (this.state === "signed_out" && this.signingIn !== null);
      if (this.closedValue || !underWay) return false;
      const left = deadline - Date.now();
      if (left <= 0) return false;
      await within(new Promise<void>((resolve) => this.stateWaiters.add(resolve)), left, undefined);
    }
    return true;
  }

  /** Why a submission cannot start now (a message and whether it is the credits pause), or null when it can. */
  async gate(deadline: number): Promise<{ credits: boolean; message: string } | null> {
    switch (this.state) {
      case "ready":
        return null;
      case "signed_out":
      case "signing_in": {
        const waitMs = Math.min(this.settings.tuning.signInWaitMs, deadline - Date.now());
        if (await this.waitUntilSignedIn(waitMs)) return this.gate(deadline);
        return { credits: false, message: this.describe() };
      }
      case "paused_credits":
        return (await this.creditsCameBack()) ? null : { credits: true, message: `account paused: ${this.detail ?? "credits used up"}` };
      case "needs_human":
      case "login_blocked":
      case "login_failed":
      case "standby":
        return { credits: false, message: this.describe() };
    }
  }

  /** Paused for credits: look whether they came back (at most once per recheck interval), without a submission. */
  async recheckCredits(): Promise<void> {
    if (this.state === "paused_credits") await this.creditsCameBack();
  }

  /**
   * Pixverse said the credits or the monthly limit are used up: polls go on, submissions wait until the balance
   * covers `cost` (what the refused video should cost; null: unknown), so that an account with a few credits
   * left is not resumed, refused and paused again at every recheck.
   */
  pauseForCredits(answer: Pick<Envelope, "code" | "message">, cost: number | null = null): void {
    this.creditsCheckAt = Date.now() + this.settings.tuning.creditsRecheckMs;
    this.creditsNeeded = Math.max(1, cost ?? 1);
    if (this.state === "paused_credits") return;
    this.setState("paused_credits", `${answer.message || "credits used up"} (ErrCode ${answer.code})`);
    this.log.error("account paused: Pixverse credits or monthly limit used up; jobs wait until credits return", { code: answer.code });
  }

  /** The page, the language or the site is not one the automation can use: the operator must act. */
  fail(detail: string): void {
    this.setState("login_failed", detail);
    this.log.error("account unusable until the operator acts", { detail });
  }

  /** Run `fn`; if the session turns out lost, sign in again (once, with the cooldown) and run it again. */
  async withSession<T>(what: string, deadline: number, fn: (api: PixverseApi) => Promise<T>): Promise<T> {
    try {
      return await fn(this.api);
    } catch (err) {
      if (!(err instanceof PixverseApiError && err.isSession)) throw err;
      if (!(await this.recover(err.code, what, deadline))) throw err;
      return fn(this.api);
    }
  }

  /** A call found the session gone: sign in again (single flight, cooldown) and wait for it, bounded. */
  async recover(code: number, where: string, deadline: number): Promise<boolean> {
    if (code === SESSION_REPLACED_CODE) {
      this.log.warn("Pixverse session replaced by a login elsewhere (10005): do not use this account in a browser while the service runs", { where });
    } else {
      this.log.warn("Pixverse session lost", { code, where });
    }
    if (this.canQuery()) this.setState("signed_out", `session lost (ErrCode ${code})`);
    void this.signIn(`session lost (${code}) during ${where}`);
    return this.waitUntilSignedIn(Math.max(0, deadline - Date.now()));
  }

  // ── Signing in ───────────────────────────────────────────────────────────────────────────────────────

  private describe(): string {
    return `account ${this.state}${this.detail ? `: ${this.detail}` : ""}`;
  }

  /** Paused for credits: at most once per recheck interval, look whether credits came back. */
  private async creditsCameBack(): Promise<boolean> {
    if (Date.now() < this.creditsCheckAt) return false;
    this.creditsCheckAt = Date.now() + this.settings.tuning.creditsRecheckMs;
    const credits = await this.api.credits(this.settings.tuning.actionTimeoutMs).catch((err: unknown) => {
      this.log.warn("credits check failed", { error: errorMessage(err) });
      return null;
    });
    if (credits === null || credits.total < this.creditsNeeded) return false;
    this.setState("ready", `credits available again (${credits.total})`);
    this.log.info("account resumed: credits available", { credits: credits.total });
    return true;
  }

  /** Single flight: every caller shares the sign-in in progress. */
  private signIn(reason: string): Promise<boolean> {
    this.signingIn ??= this.runSignIn(reason)
      .catch((err: unknown) => {
        this.log.error("sign-in crashed", { error: errorMessage(err) });
        this.setState("signed_out", `sign-in error: ${errorMessage(err)}`);
        this.scheduleSignIn(this.settings.tuning.reloginCooldownMs);
        return false;
      })
      .finally(() => {
        this.signingIn = null;
        this.notifyWaiters();
      });
    return this.signingIn;
  }

  private async runSignIn(reason: string): Promise<boolean> {
    if (this.closedValue || this.state === "login_failed") return false;
    if (await this.sessionWorks()) {
      await this.becomeReady(reason === "saved session" ? "saved session reused" : "session still valid");
      return true;
    }
    const now = Date.now();
    if (this.blockedUntil > now) {
      this.setState("login_blocked", `too many login attempts; next try at ${new Date(this.blockedUntil).toISOString()}`);
      this.scheduleSignIn(this.blockedUntil - now);
      return false;
    }
    const cooldownLeft = this.lastLoginAt + this.settings.tuning.reloginCooldownMs - now;
    if (this.lastLoginAt > 0 && cooldownLeft > 0) {
      this.setState("signed_out", `session lost; next login in ${Math.ceil(cooldownLeft / 1000)} s (re-login cooldown)`);
      this.scheduleSignIn(cooldownLeft);
      return false;
    }
    this.lastLoginAt = now;
    this.log.info("signing in through the login page", { reason });
    return this.login();
  }

  /** A token cookie that the API accepts: no login needed. */
  private async sessionWorks(): Promise<boolean> {
    if (!(await this.token())) return false;
    try {
      const plan = await this.api.planDetails(this.settings.tuning.actionTimeoutMs);
      this.planCapacity = plan.genSimultaneously;
      return true;
    } catch (err) {
      if (!(err instanceof PixverseApiError && err.isSession)) this.log.warn("session check failed", { error: errorMessage(err) });
      return false;
    }
  }

  private async login(): Promise<boolean> {
    const t = this.settings.tuning;
    this.setState("signing_in");
    try {
      const page = await this.freshLoginPage();
      const answer = await loginThroughPage(
        page,
        { ...this.settings, actionTimeoutMs: t.actionTimeoutMs, navigationTimeoutMs: t.navigationTimeoutMs },
        {
          askForHuman: (round) => this.askForHuman(round),
          askToSwitchLanguage: (seen) => this.askToSwitchLanguage(seen),
          isClosed: () => this.closedValue,
          hasSessionCookie: async () => (await this.token()) !== null,
        },
      );
      if (answer.code !== 0) {
        this.loginRefused(answer);
        return false;
      }
      if (!(await this.token())) throw new Error("login answered success but no token cookie (_ai_token / ai_token) was set");
      await saveSession(this.context, this.sessionPath);
      await page.close().catch(() => undefined);
      this.loginPage = null;
      this.log.info("signed in; session saved", { sessionFile: this.sessionPath });
      const plan = await this.api.planDetails(t.actionTimeoutMs).catch(() => null);
      this.planCapacity = plan?.genSimultaneously ?? null;
      await this.becomeReady("logged in");
      return true;
    } catch (err) {
      if (this.closedValue) return false;
      if (err instanceof LanguageError) {
        this.fail(err.message);
        return false;
      }
      const why = err instanceof MissingElementError ? err.message : `login page: ${errorMessage(err)}`;
      this.log.error("login attempt failed; will retry after the cooldown", { error: why });
      this.setState("signed_out", why);
      this.scheduleSignIn(t.reloginCooldownMs);
      return false;
    }
  }

  private loginRefused(answer: Envelope): void {
    const reason = loginFailure(answer.code, answer.message);
    const fields = { code: answer.code, errMsg: answer.message };
    switch (reason) {
      case "too_many_attempts":
        this.blockedUntil = Date.now() + this.settings.tuning.loginBlockMs;
        this.setState("login_blocked", `too many login attempts (500213); no login until ${new Date(this.blockedUntil).toISOString()}`);
        this.log.error("Pixverse refused the login: too many attempts; pausing logins", { ...fields, until: new Date(this.blockedUntil).toISOString() });
        this.scheduleSignIn(this.settings.tuning.loginBlockMs);
        return;
      case "oauth_only":
        this.fail("this Pixverse account signs in with Google/Apple/Discord only: give it a password on Pixverse or use another account");
        this.log.error("Pixverse refused the login: OAuth-only account", fields);
        return;
      case "unknown_user":
        this.fail("Pixverse does not know this e-mail (500200): check EMAIL");
        this.log.error("Pixverse refused the login: unknown user", fields);
        return;
      case "human_check":
        // A person is needed, not other credentials: ask, and sign in again (the page then shows the check).
        this.askForHuman(1);
        this.log.warn("Pixverse refused the login until a person passes its human check", fields);
        this.scheduleSignIn(this.settings.tuning.reloginCooldownMs);
        return;
      case "bad_credentials":
        this.fail(`Pixverse refused the login (ErrCode ${answer.code}: ${answer.message}): check EMAIL and PASSWORD`);
        this.log.error("Pixverse refused the login: bad credentials", fields);
        return;
    }
  }

  private askForHuman(round: number): void {
    const detail = this.settings.headless
      ? "the Pixverse login page shows a human check; run the service once with HEADLESS=false and finish the login in the window " +
        "(the session is then saved and reused)"
      : "the Pixverse login page shows a human check: finish the login in the open browser window";
    this.setState("needs_human", detail);
    this.log.warn(round === 1 ? "login needs a person" : "login still needs a person", {
      action: detail,
      waitingSeconds: Math.round(this.settings.humanLoginTimeoutMs / 1000),
    });
  }

  private askToSwitchLanguage(seen: PageLanguage): void {
    const detail = `the Pixverse page is not in English (html lang=${seen.htmlLang}); switch the site's language to English in the open browser window`;
    this.setState("needs_human", detail);
    this.log.warn("login needs a person", { action: detail });
  }

  private async freshLoginPage(): Promise<Page> {
    await this.loginPage?.close().catch(() => undefined);
    this.loginPage = await this.context.newPage();
    return this.loginPage;
  }

  private async becomeReady(how: string): Promise<void> {
    this.setState("ready", how);
    this.log.info("account ready", { how, capacity: this.capacity(), fromPlan: this.planCapacity !== null });
    await this.hooks.onReady();
  }

  private scheduleSignIn(delayMs: number): void {
    if (this.closedValue) return;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.signIn("scheduled retry");
    }, Math.max(0, delayMs));
  }

  private setState(state: AccountState, detail?: string): void {
    const changed = state !== this.state || detail !== this.detail;
    if (state !== this.state) this.since = new Date();
    this.state = state;
    this.detail = detail;
    if (changed) {
      this.log.info("account state", { state, detail });
      this.hooks.onChange();
    }
    this.notifyWaiters();
  }

  private notifyWaiters(): void {
    const waiters = [...this.stateWaiters];
    this.stateWaiters.clear();
    for (const wake of waiters) wake();
  }
}
