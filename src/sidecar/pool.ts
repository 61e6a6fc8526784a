// The sidecar's browser and its accounts. Only the active accounts (those whose lease this instance holds)
// have a browser context and a session; the others are on standby and never signed in to, because Pixverse
// keeps one live session per account and another instance drives them. Submissions, polls and
// reconciliations name their account: the service's dispatcher chooses it, this pool never picks silently.
import type { Browser } from "playwright-core";
import type { AccountCapacity, AccountReconcileResult, ReconcileResult, SubmitResult } from "../domain/generator.ts";
import type { PixverseVideo } from "../domain/status.ts";
import type { Logger } from "../log.ts";
import { PixverseAccount, type AccountSettings, type SubmitInput } from "./account.ts";
import type { AccountStatus } from "./protocol.ts";
import { launchBrowser } from "./browser.ts";
import { errorMessage } from "./waits.ts";

export interface PoolOptions {
  accounts: { email: string; password: string }[];
  /** The accounts to drive from the start; default: all of them (one instance, no leases). */
  active?: readonly string[];
  chromiumPath: string;
  /** The browser's environment (tests give it a Russian one); defaults to this process's. */
  browserEnv?: Record<string, string | undefined>;
  account: Omit<AccountSettings, "email" | "password">;
}

export class AccountPool {
  /** The active accounts, by e-mail. */
  private readonly running = new Map<string, PixverseAccount>();
  /** Since when each account not running has been on standby. */
  private readonly standbySince = new Map<string, Date>();
  /** Activations run one after another: each opens or closes contexts. */
  private activation: Promise<void> = Promise.resolve();
  private closing = false;

  private constructor(
    private readonly browser: Browser,
    private readonly opts: PoolOptions,
    private readonly log: Logger,
    private readonly onChange: (all: AccountStatus[]) => void,
  ) {
    for (const a of opts.accounts) this.standbySince.set(a.email, new Date());
  }

  /** Launch the browser and start signing in to the active accounts; resolves once their contexts are open. */
  static async start(opts: PoolOptions, log: Logger, onChange: (all: AccountStatus[]) => void, onBrowserGone: () => void): Promise<AccountPool> {
    const browser = await launchBrowser({ executablePath: opts.chromiumPath, headless: opts.account.headless, env: opts.browserEnv });
    const pool = new AccountPool(browser, opts, log, onChange);
    browser.on("disconnected", () => {
      if (!pool.closing) onBrowserGone();
    });
    await pool.activate(opts.active ?? opts.accounts.map((a) => a.email));
    return pool;
  }

  /** The active accounts, in configuration order. */
  get accounts(): PixverseAccount[] {
    return this.opts.accounts.flatMap((a) => this.running.get(a.email) ?? []);
  }

  statuses(): AccountStatus[] {
    return this.opts.accounts.map((a) => this.running.get(a.email)?.status() ?? standby(a.email, this.standbySince.get(a.email)));
  }

  /**
   * Drive exactly `emails` (those configured) from now on: accounts left out are closed at once (context,
   * pages and any submission under way with them: such a submission's outcome is unknown and reconciled by the
   * next holder), newly named ones open their context and sign in.
   */
  activate(emails: readonly string[]): Promise<void> {
    const run = this.activation.then(() => this.applyActive(new Set(emails)));
    this.activation = run.catch(() => undefined);
    return run;
  }

  private async applyActive(want: ReadonlySet<string>): Promise<void> {
    if (this.closing) return;
    const dropped = [...this.running].filter(([email]) => !want.has(email));
    for (const [email] of dropped) {
      this.running.delete(email);
      this.standbySince.set(email, new Date());
    }
    await Promise.all(dropped.map(([, account]) => account.close()));
    for (const [email] of dropped) this.log.info("account on standby: no longer driven here", { account: email });
    const added: PixverseAccount[] = [];
    for (const credentials of this.opts.accounts) {
      if (!want.has(credentials.email) || this.running.has(credentials.email)) continue;
      added.push(this.open(credentials.email));
    }
    await Promise.all(added.map((a) => a.start()));
    if (dropped.length > 0 || added.length > 0) this.onChange(this.statuses());
  }

  /** A new driver for a configured account, registered as running (not started yet). */
  private open(email: string): PixverseAccount {
    const i = this.opts.accounts.findIndex((a) => a.email === email);
    const account = new PixverseAccount(this.browser, { ...this.opts.account, ...this.opts.accounts[i]! }, this.log.child({ account: i }), () => this.onChange(this.statuses()));
    this.running.set(email, account);
    this.standbySince.delete(email);
    return account;
  }

  /**
   * The operator's "retry sign-in": an active account that is not signed in (waiting out the re-login
   * cooldown or a login block, refused, or waiting for a person) closes its context and opens a fresh one from
   * the saved session file, and signs in at once. So a session file a person copied in is used, and the
   * cooldown, the block and a failed login are forgotten. A signed-in account (ready or paused for credits)
   * is left alone, and so is one not driven here. Resolves with whether the account was restarted.
   */
  signInAgain(email: string): Promise<boolean> {
    const run = this.activation.then(async () => {
      const current = this.running.get(email);
      if (this.closing || !current || current.canQuery()) return false;
      await current.close();
      const account = this.open(email);
      await account.start();
      this.onChange(this.statuses());
      return true;
    });
    this.activation = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /**
   * Each active account's room: whether it takes submissions now, its slots, and what runs there by its own
   * list (null when it cannot be asked). `slots` and `busy` add up the accounts that can still be used.
   */
  async capacity(budgetMs: number): Promise<{ slots: number; busy: number | null; accounts: AccountCapacity[] }> {
    const accounts = await Promise.all(
      this.accounts.map(async (a): Promise<AccountCapacity> => {
        a.refreshCredits();
        const state = a.status().state;
        return { account: a.email, ready: state === "ready", slots: a.capacity(), busy: state === "login_failed" ? null : await a.busy(budgetMs) };
      }),
    );
    const usable = accounts.filter((c) => this.running.get(c.account)?.status().state !== "login_failed");
    return {
      slots: usable.reduce((sum, c) => sum + c.slots, 0),
      busy: usable.some((c) => c.busy === null) ? null : usable.reduce((sum, c) => sum + (c.busy ?? 0), 0),
      accounts,
    };
  }

  /**
   * Submit through `email`'s account (default: the only active one). An account that is not active answers
   * `unavailable` and nothing is sent: the dispatcher then gives the job to an account it holds.
   */
  async submit(input: SubmitInput, budgetMs: number, email?: string): Promise<SubmitResult> {
    const active = this.accounts;
    const account = email === undefined ? (active.length === 1 ? active[0] : undefined) : this.running.get(email);
    if (!account) {
      const why = email === undefined ? `${active.length} accounts are active: name one` : "the account is not driven here (standby)";
      return { ok: false, kind: "unavailable", message: why };
    }
    const result = await account.submit(input, budgetMs);
    return result.ok ? { ...result, account: account.email } : result;
  }

  /**
   * Each id's state, from the account that holds it (`owners`, from the job rows); an id of unknown owner is
   * asked of every active account. `gone` counts only from the owner (or the only account).
   */
  async poll(ids: readonly string[], budgetMs: number, owners: Readonly<Record<string, string>> = {}): Promise<{ videos: PixverseVideo[]; gone: string[] }> {
    const active = this.accounts;
    const found = await Promise.all(
      active.map((account) => {
        const mine = ids.filter((id) => owners[id] === undefined || owners[id] === account.email);
        if (mine.length === 0) return { videos: [], gone: [] };
        account.refreshCredits();
        return account.poll(mine, budgetMs).catch((err: unknown) => {
          this.log.warn("poll failed", { account: account.email, error: errorMessage(err) });
          return { videos: [], gone: [] };
        });
      }),
    );
    const videos = found.flatMap((f) => f.videos);
    const gone = found.flatMap((f, i) => f.gone.filter((id) => owners[id] === active[i]!.email || active.length === 1));
    return { videos, gone };
  }

  /**
   * Did a submission whose outcome is unknown create a video? On `email`'s account (not active: `unknown`),
   * or on every active account: `found` from any wins, `absent` only when every one says so.
   */
  async reconcile(prompt: string, submittedAt: number, exclude: ReadonlySet<string>, budgetMs: number, email?: string): Promise<ReconcileResult> {
    const asked = email === undefined ? this.accounts : [this.running.get(email)].filter((a) => a !== undefined);
    if (asked.length === 0) return { kind: "unknown", message: email === undefined ? "no account is driven here" : "the account is not driven here (standby)" };
    const results = await Promise.all(
      asked.map((account) =>
        account.reconcile(prompt, submittedAt, exclude, budgetMs).catch((err: unknown): AccountReconcileResult => ({ kind: "unknown", message: errorMessage(err) })),
      ),
    );
    const found = results.findIndex((r) => r.kind === "found");
    const hit = results[found];
    if (hit?.kind === "found") return { ...hit, account: asked[found]!.email };
    return results.find((r) => r.kind === "unknown") ?? { kind: "absent" };
  }

  async close(): Promise<void> {
    this.closing = true;
    await this.activation;
    await Promise.all(this.accounts.map((a) => a.close()));
    await this.browser.close().catch(() => undefined);
  }
}

function standby(email: string, since: Date = new Date()): AccountStatus {
  return { email, state: "standby", detail: "not driven by this instance (another holds its lease)", since: since.toISOString(), capacity: 0, inFlight: 0 };
}
