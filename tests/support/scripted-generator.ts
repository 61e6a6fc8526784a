// A VideoGenerator whose answers the test scripts: what each submission returns, what each poll reports,
// what reconciliation finds. It records every call, so tests can assert "never submitted twice".
import type {
  AccountCapacity,
  PollResult,
  ReconcileRequest,
  ReconcileResult,
  SubmitRequest,
  SubmitResult,
  VideoGenerator,
} from "../../src/domain/generator.ts";
import type { PixverseVideo } from "../../src/domain/status.ts";

/** The account tests name by default (the dispatcher's `accounts` in tests/dispatcher). */
export const SCRIPTED_ACCOUNT = "acct@example.com";

export class ScriptedGenerator implements VideoGenerator {
  /** Slots of each account. */
  cap = 2;
  /** The accounts it has (each with `cap` slots). */
  accounts: string[] = [SCRIPTED_ACCOUNT];
  /** What activate() last named; null until it is called (then every account counts as active). */
  active: Set<string> | null = null;
  /** Accounts that are signed in but take no submission now (paused for credits, waiting for a person). */
  readonly notReady = new Set<string>();
  /** What Pixverse's own list shows running on each account (null: no fresh view, the queue counts its rows). */
  busyAtPixverse: number | null = null;
  /** Submissions that named an account that was not active (a real generator sends nothing for them). */
  readonly refusedInactive: SubmitRequest[] = [];
  /** Ids Pixverse answers 500008 for. */
  readonly gone = new Set<string>();
  readonly submitted: SubmitRequest[] = [];
  readonly polled: string[][] = [];
  /** The account each polled id was said to be on, per poll. */
  readonly polledAccounts: string[][] = [];
  readonly reconciled: ReconcileRequest[] = [];
  /** Answers for the next submissions, in order; when empty a submission succeeds with a fresh id. */
  readonly nextSubmits: (SubmitResult | Error)[] = [];
  reconcileAnswer: (r: ReconcileRequest) => ReconcileResult = () => ({ kind: "absent" });
  readonly videos = new Map<string, PixverseVideo>();
  private nextId = 400_000_000_000_000;

  activate(accounts: readonly string[]): void {
    this.active = new Set(accounts);
  }

  isActive(account: string): boolean {
    return this.accounts.includes(account) && (this.active === null || this.active.has(account));
  }

  async capacity(): Promise<AccountCapacity[]> {
    return this.accounts
      .filter((a) => this.isActive(a))
      .map((account) => ({ account, ready: !this.notReady.has(account), slots: this.cap, busy: this.busyAtPixverse }));
  }

  async submit(request: SubmitRequest): Promise<SubmitResult> {
    if (!this.isActive(request.account)) {
      this.refusedInactive.push(request);
      return { ok: false, kind: "unavailable", message: "the account is not driven here" };
    }
    this.submitted.push(request);
    const scripted = this.nextSubmits.shift();
    if (scripted instanceof Error) throw scripted;
    if (scripted) return scripted;
    const id = String(this.nextId++);
    this.videos.set(id, { id, status: 5, url: null, outputWidth: null, outputHeight: null });
    return { ok: true, pixverseId: id, account: request.account };
  }

  async poll(ids: string[], accountOf: ReadonlyMap<string, string>): Promise<PollResult> {
    this.polled.push(ids);
    this.polledAccounts.push(ids.map((id) => accountOf.get(id) ?? "?"));
    const videos = new Map<string, PixverseVideo>();
    const gone = new Set<string>();
    for (const id of ids) {
      const v = this.videos.get(id);
      if (v) videos.set(id, { ...v });
      else if (this.gone.has(id)) gone.add(id);
    }
    return { videos, gone };
  }

  /** Pixverse forgets a video: absent from the list, `list/detail` 500008. */
  forget(id: string): void {
    this.videos.delete(id);
    this.gone.add(id);
  }

  async reconcile(request: ReconcileRequest): Promise<ReconcileResult> {
    this.reconciled.push(request);
    return this.reconcileAnswer(request);
  }

  /** Pixverse moves a video to `status` (with a URL for finished ones). */
  set(id: string, status: number, url: string | null = null, size: [number, number] | null = null): void {
    this.videos.set(id, { id, status, url, outputWidth: size?.[0] ?? null, outputHeight: size?.[1] ?? null });
  }

  health() {
    return { ready: true, state: "ready" };
  }

  async close(): Promise<void> {}
}
