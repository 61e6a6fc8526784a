// The sidecar's browser and its accounts: which account takes a submission, and one poll or
// reconciliation across all of them.
import type { Browser } from "playwright-core";
import type { ReconcileResult, SubmitResult } from "../domain/generator.ts";
import type { PixverseVideo } from "../domain/status.ts";
import type { Logger } from "../log.ts";
import { PixverseAccount, type AccountSettings, type SubmitInput } from "./account.ts";
import type { AccountStatus } from "./protocol.ts";
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

export class AccountPool {
  private readonly owners = new Map<string, PixverseAccount>();
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

  async submit(input: SubmitInput, budgetMs: number): Promise<SubmitResult> {
    const account = this.pick();
    if (!account) return { ok: false, kind: "unavailable", message: "no Pixverse account configured" };
    const result = await account.submit(input, budgetMs);
    if (result.ok) this.remember(result.pixverseId, account);
    return result;
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
      if (result.kind === "found") this.remember(result.pixverseId, this.accounts[found]!);
      return result;
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

  /** The account that should take the next submission: ready and least loaded first. */
  private pick(): PixverseAccount | undefined {
    const rank = (a: PixverseAccount) => {
      switch (a.status().state) {
        case "ready":
          return 0;
        case "paused_credits":
          return 1;
        case "signing_in":
        case "signed_out":
          return 2;
        default:
          return 3;
      }
    };
    return [...this.accounts].sort((a, b) => rank(a) - rank(b) || a.load() - b.load())[0];
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
