// What the operator page shows, gathered from its sources: this instance's sidecar (the accounts it is
// configured with, their states, credits and slots), the lease table (who drives each account, every
// instance's), the operator's controls, the queue's counts and the recent failures. Pure assembly: the
// reading is done by the functions in AdminDeps.
import { createHash } from "node:crypto";
import type { LeaseRow } from "../db/leases.ts";
import type { AccountControl, AdminQueries, FailureRow } from "../db/admin.ts";
import type { AccountStatus } from "../sidecar/protocol.ts";
import { maskEmail } from "../sidecar/mask.ts";
import { ACTIVE_STATES } from "../domain/status.ts";

/** What the page needs from the service (main.ts builds it; tests give their own). */
export interface AdminDeps {
  /** ADMIN_PASSWORD. */
  password: string;
  queries: AdminQueries;
  /** Every account lease row (src/db/leases.ts list()). */
  leases: () => Promise<LeaseRow[]>;
  /** Unfinished jobs by state (src/db/requests.ts countByState). */
  queue: () => Promise<Record<string, number>>;
  /** The accounts this instance is configured with, as its sidecar last reported them; [] without one. */
  accounts: () => AccountStatus[];
  /** This instance's id (INSTANCE_ID): the lease holder's name when it drives an account. */
  instance: string;
  /** JOB_DEADLINE_MINUTES: a requeued job gets a fresh deadline. */
  deadlineMinutes: number;
  /** A job changed here (requeued): forget its cached status, wake the dispatcher. */
  onJobChanged?: (id: number) => void;
  /** How a person finishes a login that needs one (the steps shown for `needs_human`). */
  humanLogin: HumanLoginFacts;
}

export interface HumanLoginFacts {
  /** HEADLESS: false means the browser window is open on this instance's machine. */
  headless: boolean;
  /** The saved session's file for an account (src/sidecar/browser.ts sessionFile). */
  sessionFileOf: (email: string) => string;
}

export interface AccountView {
  /** Opaque and stable (a hash of the e-mail): names the account in the actions' URLs without showing it. */
  key: string;
  email: string;
  masked: string;
  /**
   * The account's state as this instance knows it, or as the instance driving it reported it with its last
   * heartbeat; `elsewhere` when that instance has not reported yet.
   */
  state: string;
  detail: string | null;
  since: string | null;
  credits: number | null;
  capacity: number | null;
  inFlight: number | null;
  paused: boolean;
  signInRequestedAt: Date | null;
  lease: { holder: string; expiresAt: Date; live: boolean; mine: boolean } | null;
  /** The path of the saved session this instance would use (for the human-login steps). */
  sessionFile: string | null;
}

export interface AdminView {
  instance: string;
  now: Date;
  accounts: AccountView[];
  queue: { state: string; count: number }[];
  failures: FailureRow[];
  humanLogin: HumanLoginFacts;
}

export function accountKey(email: string): string {
  return createHash("sha256").update(email.trim().toLowerCase()).digest("hex").slice(0, 16);
}

/** An account's e-mail in a text (a state's detail may quote it), masked. */
function maskIn(text: string | undefined, email: string): string | null {
  if (!text) return null;
  return text.split(email).join(maskEmail(email));
}

/** Every account any source knows: configured here, leased by any instance, or controlled. */
function knownAccounts(local: AccountStatus[], leases: LeaseRow[], controls: AccountControl[]): string[] {
  const seen = new Set<string>();
  for (const email of [...local.map((a) => a.email), ...leases.map((l) => l.account), ...controls.map((c) => c.account)]) seen.add(email);
  return [...seen];
}

/** The account an action names by its key, among those the page would show; null when none. */
export async function findAccount(deps: AdminDeps, key: string): Promise<string | null> {
  const [leases, controls] = await Promise.all([deps.leases(), deps.queries.listControls()]);
  return knownAccounts(deps.accounts(), leases, controls).find((email) => accountKey(email) === key) ?? null;
}

export async function loadView(deps: AdminDeps, now = new Date()): Promise<AdminView> {
  const [leases, controls, counts, failures] = await Promise.all([deps.leases(), deps.queries.listControls(), deps.queue(), deps.queries.recentFailures(50)]);
  const local = deps.accounts();
  const statusOf = new Map(local.map((a) => [a.email, a]));
  const leaseOf = new Map(leases.map((l) => [l.account, l]));
  const controlOf = new Map(controls.map((c) => [c.account, c]));
  const accounts = knownAccounts(local, leases, controls).map((email): AccountView => {
    const status = statusOf.get(email);
    const lease = leaseOf.get(email);
    const control = controlOf.get(email);
    const live = lease ? lease.expiresAt.getTime() > now.getTime() : false;
    const mine = lease?.holder === deps.instance && live;
    // Another instance drives it: what it reported with its last heartbeat (lease rows carry it), else nothing.
    const elsewhere = (!status || status.state === "standby") && live && !mine;
    const seen = elsewhere ? (lease!.report ?? null) : (status ?? null);
    return {
      key: accountKey(email),
      email,
      masked: maskEmail(email),
      state: elsewhere ? (seen?.state ?? "elsewhere") : (status?.state ?? "not configured here"),
      detail: elsewhere
        ? `driven by ${lease!.holder}${seen ? `, as it reported at ${lease!.heartbeatAt.toISOString().replace("T", " ").slice(0, 19)} UTC` : ": its state is on that instance's /admin and /ready"}`
        : maskIn(status?.detail, email),
      since: seen?.since ?? null,
      credits: seen?.credits ?? null,
      capacity: seen?.capacity ?? null,
      inFlight: seen?.inFlight ?? null,
      paused: control?.paused ?? false,
      signInRequestedAt: control?.signInRequestedAt ?? null,
      lease: lease ? { holder: lease.holder, expiresAt: lease.expiresAt, live, mine } : null,
      sessionFile: status ? deps.humanLogin.sessionFileOf(email) : null,
    };
  });
  return {
    instance: deps.instance,
    now,
    accounts,
    queue: ACTIVE_STATES.map((state) => ({ state, count: counts[state] ?? 0 })),
    failures,
    humanLogin: deps.humanLogin,
  };
}
