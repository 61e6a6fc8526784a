// The sidecar's browser and its accounts: which account takes a submission, and one poll or
// reconciliation across all of them.
import type { Browser } from "playwright-core";
import type { ReconcileResult, SubmitFailure, SubmitResult } from "../domain/generator.ts";
import type { PixverseVideo } from "../domain/status.ts";
import type { Logger } from "../log.ts";
import { PixverseAccount, type AccountSettings, type SubmitInput } from "./account.ts";
import type { AccountState, AccountStatus } from "./protocol.ts";
import { launchBrowser } from "./browser.ts";
import { errorMessage } from "./waits.ts";

export interface PoolOptions {
  accounts: { email: string; password: string }[];
  chromiumPath: string;
  /** The browser's environment (tests give it a Russian one); defaults to this process's. */
  browserEnv?: Record<string, string | undefined>;
  account: Omit<AccountSettings, "email" | "password">;
}

// Which pixverse id belongs to which account, for routing polls; old entries are forgotten first.
const OWNER_MEMORY = 50_000;

/** States in which an account takes no submission until it recovers (a person, the block's end, the operator). */
const SKIPPED: readonly AccountState[] = ["needs_human", "login_blocked", "login_failed"];
/** Refusals that left nothing at Pixverse and say nothing about the job: another account may take it. */
const NEXT_ACCOUNT: readonly SubmitFailure["kind"][] = ["concurrency", "credits", "session", "unavailable"];

/**
 * What `pick` found: the account to try next (if any), whether a usable account had no free slot, and whether
 * the account is one of those full ones (asked anyway: its view may be stale, and Pixverse's 500044 costs nothing).
 */
interface Choice {
  account: PixverseAccount | undefined;
  full: boolean;
  askFull: boolean;
}

export class AccountPool {
  private readonly owners = new Map<string, PixverseAccount>();
  /** Submissions under way per account: not in any list yet, but they hold a slot. */
  private readonly pending = new Map<PixverseAccount, number>();
  private closing = false;

  private constructor(
    private readonly browser: Browser,
    readonly accounts: PixverseAccount[],
    private readonly log: Logger,
  ) {}

  /** Launch the browser and start signing every account in; resolves once the browser is up. */
  static async start(opts: PoolOptions, log: Logger, onChange: (all: AccountStatus[]) => void, onBrowserGone: () => void): Promise<AccountPool> {
    const browser = await launchBrowser({ executablePath: opts.chromiumPath, headless: opts.account.headless, env: opts.browserEnv });
    let pool: AccountPool | null = null;
    const changed = () => pool && onChange(pool.statuses());
    const accounts = opts.accounts.map(
      (a, i) => new PixverseAccount(browser, { ...opts.account, ...a }, log.child({ account: i }), changed),
    );
    pool = new AccountPool(browser, accounts, log);
    browser.on("disconnected", () => {
      if (!pool?.closing) onBrowserGone();
    });
    await Promise.all(accounts.map((a) => a.start()));
    return pool;
  }

  statuses(): AccountStatus[] {
    return this.accounts.map((a) => a.status());
  }

  /**
   * Generations at once over every account that can still be used, and how many run there now by the
   * accounts' own lists (null when any of them cannot be asked: the queue's own count then decides).
   */
  async capacity(budgetMs: number): Promise<{ slots: number; busy: number | null }> {
    const usable = this.accounts.filter((a) => a.status().state !== "login_failed");
    const busy = await Promise.all(usable.map((a) => a.busy(budgetMs)));
    return {
      slots: usable.reduce((sum, a) => sum + a.capacity(), 0),
      busy: busy.some((b) => b === null) ? null : busy.reduce<number>((sum, b) => sum + (b ?? 0), 0),
    };
  }

  /**
   * Submit through an account that can take it now (see `pick`). A refusal that left nothing at Pixverse
   * (full, out of credits, signed out) lets the next account try, within the same budget. When none could:
   * `concurrency` if a usable account was full (the job waits without losing an attempt), else the last
   * refusal (`credits` first), else `unavailable`.
   */
  async submit(input: SubmitInput, budgetMs: number): Promise<SubmitResult> {
    const deadline = Date.now() + budgetMs;
    const tried = new Set<PixverseAccount>();
    const refusals: SubmitFailure[] = [];
    let full = false;
    let askedFull = false;
    while (Date.now() < deadline) {
      const choice = this.pick(tried, askedFull);
      full ||= choice.full;
      const account = choice.account;
      if (!account) break;
      tried.add(account);
      askedFull ||= choice.askFull;
      this.pending.set(account, (this.pending.get(account) ?? 0) + 1);
      let result;
      try {
        result = await account.submit(input, Math.max(1, deadline - Date.now()));
      } finally {
        const left = (this.pending.get(account) ?? 1) - 1;
        if (left > 0) this.pending.set(account, left);
        else this.pending.delete(account);
      }
      if (result.ok) {
        this.remember(result.pixverseId, account);
        return { ...result, account: account.email };
      }
      if (!NEXT_ACCOUNT.includes(result.kind)) return result;
      if (result.kind === "concurrency") full = true;
      refusals.push(result);
      this.log.debug("account refused a submission; trying the next", { account: account.email, kind: result.kind });
    }
    if (full) {
      const fromPixverse = refusals.find((r) => r.kind === "concurrency");
      return fromPixverse ?? { ok: false, kind: "concurrency", message: "every usable Pixverse account is at its limit of generations at once" };
    }
    const refusal = refusals.find((r) => r.kind === "credits") ?? refusals.at(-1);
    if (refusal) return refusal;
    const states = this.accounts.map((a) => a.status().state).join(", ");
    return { ok: false, kind: "unavailable", message: this.accounts.length === 0 ? "no Pixverse account configured" : `no Pixverse account can take work now (${states})` };
  }

  /** Each id's state, from the account that has it; `gone` only when the account that made it says so. */
  async poll(ids: readonly string[], budgetMs: number): Promise<{ videos: PixverseVideo[]; gone: string[] }> {
    const found = await Promise.all(
      this.accounts.map((account) => {
        // Each account is asked for its own ids and for those whose owner is not known (after a restart).
        const mine = ids.filter((id) => {
          const owner = this.owners.get(id);
          return owner === undefined || owner === account;
        });
        return account.poll(mine, budgetMs).catch((err: unknown) => {
          this.log.warn("poll failed", { account: account.email, error: errorMessage(err) });
          return { videos: [], gone: [] };
        });
      }),
    );
    const videos = found.flatMap(({ videos }, i) => {
      for (const v of videos) this.remember(v.id, this.accounts[i]!);
      return videos;
    });
    // With several accounts, an id of unknown owner is missing from all but one: only its owner's word counts.
    const gone = found.flatMap(({ gone }, i) => gone.filter((id) => this.accounts.length === 1 || this.owners.get(id) === this.accounts[i]));
    return { videos, gone };
  }

  /** `found` from any account wins; `absent` only when every account says so. */
  async reconcile(prompt: string, submittedAt: number, exclude: ReadonlySet<string>, budgetMs: number): Promise<ReconcileResult> {
    const results = await Promise.all(
      this.accounts.map((account) =>
        account.reconcile(prompt, submittedAt, exclude, budgetMs).catch(
          (err: unknown): ReconcileResult => ({ kind: "unknown", message: errorMessage(err) }),
        ),
      ),
    );
    const found = results.findIndex((r) => r.kind === "found");
    if (found >= 0) {
      const result = results[found]!;
      const account = this.accounts[found]!;
      if (result.kind === "found") {
        this.remember(result.pixverseId, account);
        return { ...result, account: account.email };
      }
    }
    const unknown = results.find((r) => r.kind === "unknown");
    if (unknown) return unknown;
    return results.length > 0 ? { kind: "absent" } : { kind: "unknown", message: "no Pixverse account configured" };
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(this.accounts.map((a) => a.close()));
    await this.browser.close().catch(() => undefined);
  }

  /**
   * The account that should take the next submission, of those not tried yet: a ready one with a free slot by
   * its own count (videos it submitted and has not seen end, plus submissions under way here), least
   * loaded first; else, once per submission, the least loaded full one (a video may just have ended; Pixverse
   * answers 500044 otherwise and nothing is made); else one still signing in (its submission waits for the
   * sign-in, bounded); else one paused for credits (its gate looks whether they came back, at most once per
   * recheck interval). needs_human, login_blocked and login_failed accounts are skipped until they recover.
   */
  private pick(tried: ReadonlySet<PixverseAccount>, askedFull: boolean): Choice {
    const candidates = this.accounts.filter((a) => !tried.has(a) && !SKIPPED.includes(a.status().state));
    const ready = candidates.filter((a) => a.status().state === "ready");
    // The account's own count (its submissions, less what polls saw end), not a list call: picking must not
    // touch the session (a lost one is noticed and restored by the submission itself).
    const loads = ready.map((account) => {
      const used = account.status().inFlight + (this.pending.get(account) ?? 0);
      const slots = account.capacity();
      return { account, free: slots - used, load: used / Math.max(1, slots) };
    });
    loads.sort((a, b) => a.load - b.load);
    const open = loads.filter((l) => l.free > 0);
    const full = loads.length > open.length;
    if (open[0]) return { account: open[0].account, full, askFull: false };
    if (loads[0] && !askedFull) return { account: loads[0].account, full, askFull: true };
    const state = (a: PixverseAccount) => a.status().state;
    const signingIn = candidates.find((a) => state(a) === "signing_in" || state(a) === "signed_out");
    if (signingIn) return { account: signingIn, full, askFull: false };
    return { account: candidates.find((a) => state(a) === "paused_credits"), full, askFull: false };
  }

  private remember(id: string, account: PixverseAccount): void {
    this.owners.delete(id);
    this.owners.set(id, account);
    if (this.owners.size > OWNER_MEMORY) {
      const oldest = this.owners.keys().next().value;
      if (oldest !== undefined) this.owners.delete(oldest);
    }
  }
}
