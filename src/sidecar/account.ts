// One Pixverse account, put together from three parts with one job each: its session (sign-in state,
// session.ts), its submissions (the work page, submission.ts) and what it has at Pixverse (the video list,
// ledger.ts). This class only routes between them.
import type { Browser, Page } from "playwright-core";
import type { AccountReconcileResult, AccountSubmitResult } from "../domain/generator.ts";
import type { Logger } from "../log.ts";
import type { PixverseApi } from "./api.ts";
import { VideoLedger, type PollOutcome } from "./ledger.ts";
import { LOGIN_BLOCK_MS, type Credits } from "./pixverse.ts";
import type { AccountStatus } from "./protocol.ts";
import { AccountSession } from "./session.ts";
import { Submitter, type SubmitInput, type SubmitMode } from "./submission.ts";

export type { SubmitInput } from "./submission.ts";

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
  /** Pixverse's view of what runs on the account is read again when older than this. */
  viewMaxAgeMs: number;
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
  viewMaxAgeMs: 3_000,
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
  /** How a generation reaches Pixverse (PIXVERSE_SUBMIT). */
  submitMode: SubmitMode;
  /** The creation page's path (PIXVERSE_CREATE_PATH). */
  createPath: string;
  tuning: AccountTuning;
}


export class PixverseAccount {
  private readonly session: AccountSession;
  private readonly submitter: Submitter;
  private readonly ledger: VideoLedger;
  /** Prompts whose submission is queued or under way here: reconciling them now could not be trusted. */
  private readonly submitting = new Map<string, number>();
  /** Credits left when last read (for metrics), and when that was. */
  private creditsLeft: number | null = null;
  private creditsReadAt = 0;

  constructor(
    browser: Browser,
    readonly settings: AccountSettings,
    private readonly log: Logger,
    private readonly onChange: (status: AccountStatus) => void = () => undefined,
  ) {
    this.session = new AccountSession(browser, settings, log, {
      onReady: () => this.submitter.warmUp(),
      onChange: () => onChange(this.status()),
    });
    this.submitter = new Submitter(this.session, settings, log);
    this.ledger = new VideoLedger(this.session, settings.tuning, log);
  }

  get email(): string {
    return this.settings.email;
  }

  // ── Queries ──────────────────────────────────────────────────────────────────────────────────────────

  status(): AccountStatus {
    return { ...this.session.status(this.ledger.inFlight), credits: this.creditsLeft };
  }

  /**
   * Read the credits left again when the last read is older than the credits recheck interval (one API call a
   * minute at most, not awaited: it only feeds the status); an account paused for credits also looks whether
   * they came back, so it resumes without a submission having to try.
   */
  refreshCredits(): void {
    if (!this.session.canQuery() || Date.now() - this.creditsReadAt < this.settings.tuning.creditsRecheckMs) return;
    this.creditsReadAt = Date.now();
    void (async () => {
      await this.session.recheckCredits();
      const credits = await this.session.api.credits(this.settings.tuning.actionTimeoutMs);
      if (credits.total === this.creditsLeft) return;
      this.creditsLeft = credits.total;
      this.onChange(this.status());
    })().catch((err: unknown) => this.log.debug("could not read the credits", { error: err instanceof Error ? err.message : String(err) }));
  }

  capacity(): number {
    return this.session.capacity();
  }

  /** How busy the account is, for choosing one: in-flight videos per slot. */
  load(): number {
    return this.ledger.inFlight / Math.max(1, this.capacity());
  }

  canQuery(): boolean {
    return this.session.canQuery();
  }

  /** Generations running at Pixverse on this account (its own list), or null when it cannot be asked. */
  busy(budgetMs: number): Promise<number | null> {
    return this.ledger.busy(budgetMs);
  }

  // ── Life cycle ───────────────────────────────────────────────────────────────────────────────────────

  start(): Promise<void> {
    return this.session.start();
  }

  /** Closing the context closes its pages, the work page too. */
  async close(): Promise<void> {
    await this.session.close();
  }

  waitUntilSignedIn(timeoutMs: number): Promise<boolean> {
    return this.session.waitUntilSignedIn(timeoutMs);
  }

  // ── Work ─────────────────────────────────────────────────────────────────────────────────────────────

  /** Submit one generation; never longer than `budgetMs`. A lost session is restored once and tried again. */
  async submit(input: SubmitInput, budgetMs: number): Promise<AccountSubmitResult> {
    const deadline = Date.now() + budgetMs;
    const key = input.prompt.trim();
    this.submitting.set(key, (this.submitting.get(key) ?? 0) + 1);
    try {
      const refused = await this.session.gate(deadline);
      if (refused) return { ok: false, kind: refused.credits ? "credits" : "unavailable", message: refused.message };
      const result = await this.submitter.queue.run(
        deadline - Date.now(),
        (): AccountSubmitResult => ({ ok: false, kind: "unavailable", message: "the account's page stayed busy until the deadline" }),
        async () => {
          const first = await this.submitter.attempt(input, deadline);
          if ("result" in first) return first.result;
          if (!(await this.session.recover(first.sessionLost, "submit", deadline))) return sessionResult(first.sessionLost);
          const second = await this.submitter.attempt(input, deadline);
          return "result" in second ? second.result : sessionResult(second.sessionLost);
        },
      );
      if (result.ok) this.ledger.noteSubmitted(result.pixverseId);
      else if (result.kind === "concurrency") this.ledger.forgetView();
      return result;
    } finally {
      const left = (this.submitting.get(key) ?? 1) - 1;
      if (left > 0) this.submitting.set(key, left);
      else this.submitting.delete(key);
    }
  }

  poll(ids: readonly string[], budgetMs: number): Promise<PollOutcome> {
    return this.ledger.poll(ids, budgetMs);
  }

  async reconcile(prompt: string, submittedAt: number, exclude: ReadonlySet<string>, budgetMs: number): Promise<AccountReconcileResult> {
    if (this.submitting.has(prompt.trim())) return { kind: "unknown", message: "a submission of this prompt is still under way here" };
    return this.ledger.reconcile(prompt, submittedAt, exclude, budgetMs);
  }

  // ── For the live check ───────────────────────────────────────────────────────────────────────────────

  async credits(): Promise<Credits> {
    return this.session.api.credits(this.settings.tuning.actionTimeoutMs);
  }

  async plan(): Promise<{ genSimultaneously: number | null; raw: unknown }> {
    return this.session.api.planDetails(this.settings.tuning.actionTimeoutMs);
  }

  async hasToken(): Promise<boolean> {
    return (await this.session.token()) !== null;
  }

  /** A new page in the signed-in context, apart from the one submissions use. */
  async openPage(): Promise<Page> {
    return this.session.context.newPage();
  }

  requireApi(): PixverseApi {
    return this.session.api;
  }
}

function sessionResult(code: number): AccountSubmitResult {
  return { ok: false, kind: "session", code, message: `session lost (ErrCode ${code}) and not restored in time` };
}
