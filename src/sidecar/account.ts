// One Pixverse account driven through its own browser context: signing in (and keeping the session),
// submitting through the creation page, polling and reconciling through the JSON list.
import type { Browser, BrowserContext, Page } from "playwright-core";
import type { ReconcileResult, SubmitResult } from "../domain/generator.ts";
import { mapPixverseVideo, type PixverseVideo } from "../domain/status.ts";
import type { GenerationSettings } from "../domain/settings.ts";
import type { Logger } from "../log.ts";
import {
  LanguageError,
  MissingElementError,
  newEnglishContext,
  saveSession,
  sessionExists,
  sessionFile,
  verifyEnglish,
  type PageLanguage,
} from "./browser.ts";
import {
  createdVideoId,
  CreatePage,
  createTimeMs,
  isKnownSubmitCode,
  LIST_PAGE_SIZE,
  LOGIN_BLOCK_MS,
  loginFailure,
  PixverseApi,
  PixverseApiError,
  readToken,
  SESSION_CODES,
  SESSION_REPLACED_CODE,
  submitErrorKind,
  toPixverseVideo,
  type Credits,
  type Envelope,
  type ImageFile,
  type VideoKind,
} from "./pixverse.ts";
import { loginThroughPage } from "./login.ts";
import type { AccountState, AccountStatus } from "./protocol.ts";
import { errorMessage, SerialQueue, within } from "./waits.ts";

export interface AccountTuning {
  /** One click, fill or API call. */
  actionTimeoutMs: number;
  navigationTimeoutMs: number;
  /** The page's own image upload, up to `batch_upload_media`'s answer. */
  uploadTimeoutMs: number;
  /** From the `Create` click to the `video/t2v|i2v` answer. */
  createAnswerTimeoutMs: number;
  /** At most one re-login per this interval after a lost session. */
  reloginCooldownMs: number;
  /** After 500213. */
  loginBlockMs: number;
  /** While paused for credits, how often a submission may check whether credits came back. */
  creditsRecheckMs: number;
  /** Reconciliation accepts videos created this long before the recorded submission time (clock skew). */
  reconcileSkewMs: number;
  reconcileMaxPages: number;
  pollMaxPages: number;
  /** `list/detail` calls per poll round for ids not found in the list. */
  pollMaxDetails: number;
  /** How long a submission waits for a sign-in in progress. */
  signInWaitMs: number;
}

export const DEFAULT_TUNING: AccountTuning = {
  actionTimeoutMs: 20_000,
  navigationTimeoutMs: 30_000,
  uploadTimeoutMs: 60_000,
  createAnswerTimeoutMs: 30_000,
  reloginCooldownMs: 60_000,
  loginBlockMs: LOGIN_BLOCK_MS,
  creditsRecheckMs: 60_000,
  reconcileSkewMs: 120_000,
  reconcileMaxPages: 10,
  pollMaxPages: 3,
  pollMaxDetails: 10,
  signInWaitMs: 30_000,
};

export interface AccountSettings {
  email: string;
  password: string;
  webUrl: string;
  apiUrl: string;
  sessionDir: string;
  headless: boolean;
  timezone: string;
  humanLoginTimeoutMs: number;
  fallbackConcurrency: number;
  tuning: AccountTuning;
}

export interface SubmitInput {
  kind: VideoKind;
  prompt: string;
  settings: GenerationSettings;
  image?: ImageFile;
}

type PageAttempt = { result: SubmitResult } | { sessionLost: number };

// The work page is replaced by a new one after this many submissions: Playwright keeps every request and
// response of a page for as long as the page lives, and the web app's own memory grows too.
const PAGE_RECYCLE_EVERY = 50;
// Create is clicked only with at least this long (or createAnswerTimeoutMs, if shorter) left for its answer.
const MIN_ANSWER_WAIT_MS = 10_000;
// Longer than any job's deadline.
const IN_FLIGHT_MEMORY_MS = 6 * 60 * 60_000;

const unavailable = (message: string): SubmitResult => ({ ok: false, kind: "unavailable", message });
const unknownOutcome = (message: string): SubmitResult => ({ ok: false, kind: "unknown_outcome", message });

export class PixverseAccount {
  private context: BrowserContext | null = null;
  private api: PixverseApi | null = null;
  private workPage: Page | null = null;
  /** The work page sits on the creation page after a normal answer and can take the next submission as is. */
  private workPageClean = false;
  private loginPage: Page | null = null;
  private state: AccountState = "signed_out";
  private detail: string | undefined;
  private since = new Date();
  private planCapacity: number | null = null;
  private signingIn: Promise<boolean> | null = null;
  private lastLoginAt = 0;
  private blockedUntil = 0;
  private creditsCheckAt = 0;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private closed = false;
  private readonly ui = new SerialQueue();
  private readonly stateWaiters = new Set<() => void>();
  private readonly sessionPath: string;
  /** Ids this account submitted (or reconciled) not yet seen finished, with when they were noted. */
  private readonly inFlightSince = new Map<string, number>();
  /** Prompts whose submission is queued or under way here: reconciling them now could not be trusted. */
  private readonly submitting = new Map<string, number>();
  /** Submissions made on the current work page (see PAGE_RECYCLE_EVERY). */
  private submissionsOnPage = 0;

  constructor(
    private readonly browser: Browser,
    readonly settings: AccountSettings,
    private readonly log: Logger,
    private readonly onChange: (status: AccountStatus) => void = () => undefined,
  ) {
    this.sessionPath = sessionFile(settings.sessionDir, settings.email, settings.webUrl);
  }

  get email(): string {
    return this.settings.email;
  }

  // ── Queries ──────────────────────────────────────────────────────────────────────────────────────────

  status(): AccountStatus {
    return {
      email: this.settings.email,
      state: this.state,
      ...(this.detail ? { detail: this.detail } : {}),
      since: this.since.toISOString(),
      capacity: this.capacity(),
      inFlight: this.inFlightSince.size,
    };
  }

  capacity(): number {
    return this.planCapacity ?? this.settings.fallbackConcurrency;
  }

  /** How busy the account is, for choosing one: in-flight videos per slot. */
  load(): number {
    return this.inFlightSince.size / Math.max(1, this.capacity());
  }

  /** Signed in, so the JSON API answers (also while paused for credits). */
  canQuery(): boolean {
    return this.state === "ready" || this.state === "paused_credits";
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
    this.context = context;
    this.api = new PixverseApi(context.request, this.settings.apiUrl, () => readToken(context, this.settings.webUrl, this.settings.apiUrl));
    this.log.info("account starting", { savedSession: saved });
    void this.signIn(saved ? "saved session" : "start");
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    await this.context?.close().catch(() => undefined);
    this.notifyWaiters();
  }

  /** Wait (bounded) until the account is signed in; false if it is not by then. */
  async waitUntilSignedIn(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!this.canQuery()) {
      // Only a sign-in under way can end well soon; a cooldown, a block or a person are not waited for.
      const underWay = this.state === "signing_in" || (this.state === "signed_out" && this.signingIn !== null);
      if (this.closed || !underWay) return false;
      const left = deadline - Date.now();
      if (left <= 0) return false;
      await within(new Promise<void>((resolve) => this.stateWaiters.add(resolve)), left, undefined);
    }
    return true;
  }

  // ── Submitting ───────────────────────────────────────────────────────────────────────────────────────

  /** Submit one generation through the creation page; never longer than `budgetMs`. */
  async submit(input: SubmitInput, budgetMs: number): Promise<SubmitResult> {
    const deadline = Date.now() + budgetMs;
    const key = input.prompt.trim();
    this.submitting.set(key, (this.submitting.get(key) ?? 0) + 1);
    try {
      const refused = await this.gate(deadline);
      if (refused) return refused;
      return await this.ui.run(deadline - Date.now(), () => unavailable("the account's page stayed busy until the deadline"), async () => {
        const first = await this.submitThroughPage(input, deadline);
        if ("result" in first) return first.result;
        if (!(await this.recoverSession(first.sessionLost, "submit", deadline))) return this.sessionResult(first.sessionLost);
        const second = await this.submitThroughPage(input, deadline);
        return "result" in second ? second.result : this.sessionResult(second.sessionLost);
      });
    } finally {
      const left = (this.submitting.get(key) ?? 1) - 1;
      if (left > 0) this.submitting.set(key, left);
      else this.submitting.delete(key);
    }
  }

  /** Why a submission cannot start now, or null when it can. */
  private async gate(deadline: number): Promise<SubmitResult | null> {
    switch (this.state) {
      case "ready":
        return null;
      case "signed_out":
      case "signing_in": {
        const waitMs = Math.min(this.settings.tuning.signInWaitMs, deadline - Date.now());
        if (await this.waitUntilSignedIn(waitMs)) return this.gate(deadline);
        return unavailable(`account ${this.state}${this.detail ? `: ${this.detail}` : ""}`);
      }
      case "paused_credits":
        return this.creditsGate();
      case "needs_human":
      case "login_blocked":
      case "login_failed":
        return unavailable(`account ${this.state}${this.detail ? `: ${this.detail}` : ""}`);
    }
  }

  /** Paused for credits: at most once per recheck interval, look whether credits came back. */
  private async creditsGate(): Promise<SubmitResult | null> {
    const paused: SubmitResult = { ok: false, kind: "credits", message: `account paused: ${this.detail ?? "credits used up"}` };
    if (Date.now() < this.creditsCheckAt) return paused;
    this.creditsCheckAt = Date.now() + this.settings.tuning.creditsRecheckMs;
    const credits = await this.credits().catch((err: unknown) => {
      this.log.warn("credits check failed", { error: errorMessage(err) });
      return null;
    });
    if (credits === null || credits.total <= 0) return paused;
    this.setState("ready", `credits available again (${credits.total})`);
    this.log.info("account resumed: credits available", { credits: credits.total });
    return null;
  }

  private async submitThroughPage(input: SubmitInput, deadline: number): Promise<PageAttempt> {
    const t = this.settings.tuning;
    const left = (cap: number) => Math.max(1, Math.min(cap, deadline - Date.now()));
    let page: Page;
    try {
      if (this.submissionsOnPage >= PAGE_RECYCLE_EVERY) await this.recycleWorkPage();
      page = await this.ensureWorkPage();
    } catch (err) {
      return { result: unavailable(`no browser page: ${errorMessage(err)}`) };
    }
    this.submissionsOnPage += 1;
    const create = new CreatePage(page, this.settings.webUrl);
    // Like a person, stay on the creation page between generations; reload it after anything unexpected.
    const reuse = this.workPageClean && create.isShown();
    this.workPageClean = false;
    // Everything up to the Create click is safe to repeat: nothing has reached Pixverse's generator yet.
    try {
      if (!reuse) await create.open(left(t.navigationTimeoutMs));
      // Sent back to the login page: the session is gone (counted as expired, 10002).
      if (create.redirectedToLogin()) return { sessionLost: 10002 };
      try {
        await verifyEnglish(page, create.prompt, "prompt box", left(t.actionTimeoutMs));
      } catch (err) {
        if (create.redirectedToLogin()) return { sessionLost: 10002 };
        throw err;
      }
      await create.chooseMode(input.kind, left(t.actionTimeoutMs));
      await create.typePrompt(input.prompt, left(t.actionTimeoutMs));
      if (input.kind === "i2v") {
        if (!input.image) return { result: { ok: false, kind: "bad_input", message: "an image generation needs an image" } };
        const upload = await create.setImage(input.image, left(t.uploadTimeoutMs));
        if (upload.code !== 0) return this.refusal(upload, "upload");
      }
      await create.waitUntilCreatable(left(t.actionTimeoutMs));
      // Clicking without time left to read the answer would turn a clean retry into an unknown outcome.
      if (deadline - Date.now() < Math.min(t.createAnswerTimeoutMs, MIN_ANSWER_WAIT_MS)) {
        return { result: unavailable("too little time left to wait for Pixverse's answer; not clicking Create") };
      }
    } catch (err) {
      if (err instanceof LanguageError) this.fail(err.message);
      this.log.warn("submission could not reach the Create button", { error: errorMessage(err) });
      return { result: unavailable(`creation page: ${errorMessage(err)}`) };
    }
    // From the click on, the generation may exist at Pixverse whatever happens to us.
    let answer: Envelope;
    try {
      answer = await create.clickCreate(input.kind, left(t.createAnswerTimeoutMs));
    } catch (err) {
      this.log.error("no answer after clicking Create: outcome unknown", { error: errorMessage(err) });
      return { result: unknownOutcome(`clicked Create but read no answer: ${errorMessage(err)}`) };
    }
    if (answer.code !== 0) {
      this.workPageClean = !SESSION_CODES.has(answer.code);
      return this.refusal(answer, "create");
    }
    const id = createdVideoId(answer.resp);
    if (id === null) return { result: unknownOutcome("Pixverse accepted the generation but its answer had no video id") };
    this.noteInFlight(id);
    this.workPageClean = true;
    return { result: { ok: true, pixverseId: id } };
  }

  /** A non-zero ErrCode from the page's upload or create call; Pixverse created nothing. */
  private refusal(answer: Envelope, step: "upload" | "create"): PageAttempt {
    if (SESSION_CODES.has(answer.code)) return { sessionLost: answer.code };
    const kind = submitErrorKind(answer.code);
    const fields = { step, code: answer.code, kind, errMsg: answer.message };
    if (!isKnownSubmitCode(answer.code)) this.log.warn("unknown ErrCode at submission: treated as transient", fields);
    else this.log.info("submission refused", fields);
    if (kind === "credits") this.pauseForCredits(answer);
    return { result: { ok: false, kind, code: answer.code, message: answer.message || `ErrCode ${answer.code}` } };
  }

  private pauseForCredits(answer: Envelope): void {
    this.creditsCheckAt = Date.now() + this.settings.tuning.creditsRecheckMs;
    if (this.state === "paused_credits") return;
    this.setState("paused_credits", `${answer.message || "credits used up"} (ErrCode ${answer.code})`);
    this.log.error("account paused: Pixverse credits or monthly limit used up; jobs wait until credits return", {
      code: answer.code,
    });
  }

  private noteInFlight(id: string): void {
    const now = Date.now();
    if (!this.inFlightSince.has(id)) this.inFlightSince.set(id, now);
    // A video nobody polls to the end any more (its job hit its deadline) is forgotten after a while.
    for (const [old, since] of this.inFlightSince) {
      if (now - since < IN_FLIGHT_MEMORY_MS) break;
      this.inFlightSince.delete(old);
    }
  }

  private sessionResult(code: number): SubmitResult {
    return { ok: false, kind: "session", code, message: `session lost (ErrCode ${code}) and not restored in time` };
  }

  private async ensureWorkPage(): Promise<Page> {
    if (this.workPage && !this.workPage.isClosed()) return this.workPage;
    this.workPage = await this.requireContext().newPage();
    this.workPageClean = false;
    this.submissionsOnPage = 0;
    return this.workPage;
  }

  private async recycleWorkPage(): Promise<void> {
    const old = this.workPage;
    this.workPage = null;
    await old?.close();
  }

  // ── Polling and reconciling ──────────────────────────────────────────────────────────────────────────

  /** The current state of those of `ids` this account has: one list call, more only while ids are missing. */
  async poll(ids: readonly string[], budgetMs: number): Promise<PixverseVideo[]> {
    if (!this.canQuery() || ids.length === 0) return [];
    const deadline = Date.now() + budgetMs;
    const t = this.settings.tuning;
    const missing = new Set(ids);
    const found: PixverseVideo[] = [];
    await this.withSession("poll", deadline, async (api) => {
      for (let page = 0; page < t.pollMaxPages && missing.size > 0; page++) {
        const items = await api.listPersonal(page * LIST_PAGE_SIZE, this.left(deadline, t.actionTimeoutMs));
        for (const item of items) if (missing.delete(item.video_id)) found.push(toPixverseVideo(item));
        if (items.length < LIST_PAGE_SIZE) break;
      }
      // Fallen out of the recent list: ask for them one by one (a few per round).
      const stragglers = [...missing].slice(0, t.pollMaxDetails);
      for (const id of stragglers) {
        const item = await api.videoDetail(id, this.left(deadline, t.actionTimeoutMs)).catch((err: unknown) => {
          if (err instanceof PixverseApiError && err.isSession) throw err;
          this.log.debug("list/detail found nothing", { videoId: id, error: errorMessage(err) });
          return null;
        });
        if (item && missing.delete(item.video_id)) found.push(toPixverseVideo(item));
      }
    });
    for (const video of found) {
      const outcome = mapPixverseVideo(video).kind;
      if (outcome === "pending" || outcome === "unknown") this.noteInFlight(video.id);
      else this.inFlightSince.delete(video.id);
    }
    return found;
  }

  /**
   * Did a submission whose outcome is unknown create a video? Matched by exact prompt and a creation time
   * at or after `submittedAt` minus the skew allowance; `absent` only once the list reaches back past that.
   */
  async reconcile(prompt: string, submittedAt: number, exclude: ReadonlySet<string>, budgetMs: number): Promise<ReconcileResult> {
    if (!this.canQuery()) return { kind: "unknown", message: `account ${this.state}` };
    const wanted = prompt.trim();
    if (this.submitting.has(wanted)) return { kind: "unknown", message: "a submission of this prompt is still under way here" };
    const deadline = Date.now() + budgetMs;
    const t = this.settings.tuning;
    const cutoff = submittedAt - t.reconcileSkewMs;
    const matches: { id: string; at: number }[] = [];
    let reachedBack = false;
    let undated = false;
    await this.withSession("reconcile", deadline, async (api) => {
      matches.length = 0;
      reachedBack = false;
      undated = false;
      for (let page = 0; page < t.reconcileMaxPages; page++) {
        const items = await api.listPersonal(page * LIST_PAGE_SIZE, this.left(deadline, t.actionTimeoutMs));
        for (const item of items) {
          if ((item.prompt ?? "").trim() !== wanted || exclude.has(item.video_id)) continue;
          const at = createTimeMs(item.create_time);
          if (at === null) undated = true;
          else if (at >= cutoff) matches.push({ id: item.video_id, at });
        }
        const oldest = items.length > 0 ? createTimeMs(items[items.length - 1]!.create_time) : null;
        if (items.length < LIST_PAGE_SIZE || (oldest !== null && oldest < cutoff)) {
          reachedBack = true;
          break;
        }
      }
    });
    // The earliest match after the cutoff is the one closest to our own click.
    const match = matches.sort((a, b) => a.at - b.at)[0];
    if (match) {
      this.noteInFlight(match.id);
      return { kind: "found", pixverseId: match.id };
    }
    if (undated) return { kind: "unknown", message: "a video with this prompt has no readable create_time" };
    if (!reachedBack) return { kind: "unknown", message: "the account's list did not reach back to the submission time" };
    return { kind: "absent" };
  }

  async credits(): Promise<Credits> {
    return this.requireApi().credits(this.settings.tuning.actionTimeoutMs);
  }

  async plan(): Promise<{ genSimultaneously: number | null; raw: unknown }> {
    return this.requireApi().planDetails(this.settings.tuning.actionTimeoutMs);
  }

  /** Whether the context holds a token cookie (for the live check). */
  async hasToken(): Promise<boolean> {
    return (await readToken(this.requireContext(), this.settings.webUrl, this.settings.apiUrl)) !== null;
  }

  /** A new page in the signed-in context, apart from the one submissions use (for the live check). */
  async openPage(): Promise<Page> {
    return this.requireContext().newPage();
  }

  /** The signed-in API (for the live check). */
  requireApi(): PixverseApi {
    if (!this.api) throw new Error("account not started");
    return this.api;
  }

  /** Run `fn`; if the session turns out lost, re-login (once, with the cooldown) and run it again. */
  private async withSession(what: string, deadline: number, fn: (api: PixverseApi) => Promise<void>): Promise<void> {
    const api = this.requireApi();
    try {
      await fn(api);
    } catch (err) {
      if (!(err instanceof PixverseApiError && err.isSession)) throw err;
      if (!(await this.recoverSession(err.code, what, deadline))) throw err;
      await fn(api);
    }
  }

  private left(deadline: number, cap: number): number {
    return Math.max(1, Math.min(cap, deadline - Date.now()));
  }

  // ── Signing in ───────────────────────────────────────────────────────────────────────────────────────

  /** A call found the session gone: sign in again (single flight, cooldown) and wait for it, bounded. */
  private async recoverSession(code: number, where: string, deadline: number): Promise<boolean> {
    if (code === SESSION_REPLACED_CODE) {
      this.log.warn("Pixverse session replaced by a login elsewhere (10005): do not use this account in a browser while the service runs", { where });
    } else {
      this.log.warn("Pixverse session lost", { code, where });
    }
    if (this.state === "ready" || this.state === "paused_credits") this.setState("signed_out", `session lost (ErrCode ${code})`);
    void this.signIn(`session lost (${code}) during ${where}`);
    return this.waitUntilSignedIn(Math.max(0, deadline - Date.now()));
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
    if (this.closed || this.state === "login_failed") return false;
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
    const context = this.requireContext();
    if (!(await readToken(context, this.settings.webUrl, this.settings.apiUrl))) return false;
    try {
      const plan = await this.requireApi().planDetails(this.settings.tuning.actionTimeoutMs);
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
          isClosed: () => this.closed,
        },
      );
      if (answer.code !== 0) {
        this.loginRefused(answer);
        return false;
      }
      if (!(await this.hasToken())) throw new Error("login answered success but no token cookie (_ai_token / ai_token) was set");
      await saveSession(this.requireContext(), this.sessionPath, this.settings.sessionDir);
      await page.close().catch(() => undefined);
      this.loginPage = null;
      this.log.info("signed in; session saved", { sessionFile: this.sessionPath });
      const plan = await this.requireApi().planDetails(t.actionTimeoutMs).catch(() => null);
      this.planCapacity = plan?.genSimultaneously ?? null;
      await this.becomeReady("logged in");
      return true;
    } catch (err) {
      if (this.closed) return false;
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
      case "bad_credentials":
        this.fail(`Pixverse refused the login (ErrCode ${answer.code}: ${answer.message}): check EMAIL and PASSWORD`);
        this.log.error("Pixverse refused the login: bad credentials", fields);
        return;
    }
  }

  private askForHuman(round: number): void {
    const detail = this.settings.headless
      ? "the Pixverse login page shows a human check; run the service once with HEADLESS=false and finish the login in the window " +
        "(the session is then saved and reused), or with the simulator POST /__sim/solve-human-check"
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
    this.loginPage = await this.requireContext().newPage();
    return this.loginPage;
  }

  /** Signed in: note the plan's capacity and open the creation page once, which also verifies English. */
  private async becomeReady(how: string): Promise<void> {
    this.setState("ready", how);
    this.log.info("account ready", { how, capacity: this.capacity(), fromPlan: this.planCapacity !== null });
    const t = this.settings.tuning;
    await this.ui.run(t.navigationTimeoutMs, () => undefined, async () => {
      try {
        const page = await this.ensureWorkPage();
        const create = new CreatePage(page, this.settings.webUrl);
        await create.open(t.navigationTimeoutMs);
        if (create.redirectedToLogin()) return;
        await verifyEnglish(page, create.prompt, "prompt box", t.actionTimeoutMs);
        this.workPageClean = true;
      } catch (err) {
        if (err instanceof LanguageError) this.fail(err.message);
        else this.log.warn("could not open the creation page after signing in", { error: errorMessage(err) });
      }
    });
  }

  private fail(detail: string): void {
    this.setState("login_failed", detail);
    this.log.error("account unusable until the operator acts", { detail });
  }

  private scheduleSignIn(delayMs: number): void {
    if (this.closed) return;
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
      this.onChange(this.status());
    }
    this.notifyWaiters();
  }

  private notifyWaiters(): void {
    const waiters = [...this.stateWaiters];
    this.stateWaiters.clear();
    for (const wake of waiters) wake();
  }

  private requireContext(): BrowserContext {
    if (!this.context) throw new Error("account not started");
    return this.context;
  }
}
