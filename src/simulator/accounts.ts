// Accounts and their sign-in: one live session per account (a newer login turns older tokens into
// 10005), failed-login lockout (500213), and the simulator's human check in front of the login.
import { randomBytes } from "node:crypto";
import { ERR, errMsg, HUMAN_CHECK_MESSAGE, OAUTH_ONLY_MESSAGE, type ErrCode } from "./codes.ts";
import type { Ui } from "./layouts.ts";
import type { Video } from "./videos.ts";

export interface NewAccount {
  email: string;
  password: string;
  credits?: number;
  concurrency?: number;
  oauthOnly?: boolean;
  /** The page layout this account's signed-in pages use; without it, the simulator's. */
  ui?: Ui;
}

export interface Account {
  id: number;
  email: string;
  /** Pixverse accounts have a username besides the e-mail; ours is the e-mail's local part. */
  username: string;
  password: string;
  oauthOnly: boolean;
  credits: number;
  concurrency: number;
  liveToken: string | null;
  ui: Ui | null;
  /** Oldest first; listed newest first. */
  videos: Video[];
  /** Videos that may still be running; pruned lazily. */
  inFlight: Video[];
}

/** An account as the state file keeps it: its videos are kept apart. */
export type AccountRecord = Omit<Account, "videos" | "inFlight">;

export interface SessionRecord extends Session {
  token: string;
}

interface Session {
  accountId: number;
  expiresAt: number;
  /** Set when a newer login (or a kick) took the account over: calls then get 10005. */
  replaced: boolean;
}

export interface Refusal {
  ok: false;
  code: ErrCode;
  message: string;
}

function refuse(code: ErrCode, message = errMsg(code)): Refusal {
  return { ok: false, code, message };
}

// The real token is a JWT valid about 30 days (spec "Signing in").
const TOKEN_TTL_MS = 30 * 24 * 60 * 60 * 1000;
// The spec gives 500213 and a ≥ 10 minute back-off; the threshold of 5 failures is our choice.
const MAX_FAILED_LOGINS = 5;
const LOGIN_LOCK_MS = 10 * 60 * 1000;

export interface AccountDefaults {
  credits: number;
  concurrency: number;
}

export class AccountBook {
  private accounts = new Map<number, Account>();
  private sessions = new Map<string, Session>();
  private failedLogins = new Map<string, { count: number; lockedUntil: number }>();
  private human = { on: false, solved: false };
  private counts = { logins: 0, failedLogins: 0, kicks: 0 };

  constructor(
    private readonly defaults: AccountDefaults,
    private readonly now: () => number,
    private readonly nextId: () => number,
    /** Told about every change worth keeping in the state file (accounts, sessions, credits). */
    private readonly changed: () => void = () => {},
  ) {}

  clear(): void {
    this.accounts.clear();
    this.sessions.clear();
    this.failedLogins.clear();
    this.human = { on: false, solved: false };
    this.counts = { logins: 0, failedLogins: 0, kicks: 0 };
  }

  /** Add an account, replacing any with the same e-mail (its sessions end: their tokens become unknown). */
  add(input: NewAccount): Account {
    const existing = this.find(input.email);
    if (existing) {
      for (const [token, s] of this.sessions) if (s.accountId === existing.id) this.sessions.delete(token);
      this.accounts.delete(existing.id);
    }
    const account: Account = {
      id: this.nextId(),
      email: input.email,
      username: input.email.split("@")[0] || input.email,
      password: input.password,
      oauthOnly: input.oauthOnly ?? false,
      credits: input.credits ?? this.defaults.credits,
      concurrency: input.concurrency ?? this.defaults.concurrency,
      liveToken: null,
      ui: input.ui ?? null,
      videos: [],
      inFlight: [],
    };
    this.accounts.set(account.id, account);
    this.changed();
    return account;
  }

  /** By e-mail or username, ignoring case (the login form accepts either). */
  find(name: string): Account | undefined {
    const wanted = name.trim().toLowerCase();
    for (const a of this.accounts.values()) {
      if (a.email.toLowerCase() === wanted || a.username.toLowerCase() === wanted) return a;
    }
    return undefined;
  }

  all(): IterableIterator<Account> {
    return this.accounts.values();
  }

  login(username: string, password: string): { ok: true; account: Account; token: string } | Refusal {
    const key = username.trim().toLowerCase();
    const now = this.now();
    if ((this.failedLogins.get(key)?.lockedUntil ?? 0) > now) return refuse(ERR.tooManyLogins);
    // Not Pixverse's: the page never posts while the check is unsolved; this catches a check switched on later.
    if (this.human.on && !this.human.solved) return refuse(ERR.badRequest, HUMAN_CHECK_MESSAGE);
    const account = this.find(username);
    if (!account) return this.failLogin(key, now, refuse(ERR.userNotFound));
    if (account.oauthOnly) return this.failLogin(key, now, refuse(ERR.authFailed, OAUTH_ONLY_MESSAGE));
    if (account.password !== password) return this.failLogin(key, now, refuse(ERR.authFailed));
    this.failedLogins.delete(key);
    this.endLiveSession(account);
    const token = makeToken(account, now + TOKEN_TTL_MS);
    this.sessions.set(token, { accountId: account.id, expiresAt: now + TOKEN_TTL_MS, replaced: false });
    account.liveToken = token;
    this.counts.logins += 1;
    this.changed();
    return { ok: true, account, token };
  }

  /** The `Token` header → its account, or the ErrCode Pixverse would answer. */
  authenticate(token: string | undefined): { ok: true; account: Account } | { ok: false; code: ErrCode } {
    if (!token) return { ok: false, code: ERR.tokenMissing };
    const session = this.sessions.get(token);
    const account = session ? this.accounts.get(session.accountId) : undefined;
    if (!session || !account) return { ok: false, code: ERR.tokenInvalid };
    if (session.replaced) return { ok: false, code: ERR.loggedInElsewhere };
    if (session.expiresAt <= this.now()) return { ok: false, code: ERR.tokenExpired };
    return { ok: true, account };
  }

  /** End the account's live session as a login elsewhere would. False when there is no such account. */
  kick(email: string): boolean {
    const account = this.find(email);
    if (!account) return false;
    if (this.endLiveSession(account)) {
      this.counts.kicks += 1;
      this.changed();
    }
    return true;
  }

  /** Accounts and sessions for the state file (failed-login counts and the human check are not kept). */
  snapshot(): { accounts: AccountRecord[]; sessions: SessionRecord[] } {
    const accounts = [...this.accounts.values()].map(({ videos: _v, inFlight: _f, ...rest }) => ({ ...rest }));
    const sessions = [...this.sessions].map(([token, s]) => ({ token, ...s }));
    return { accounts, sessions };
  }

  /** Replace every account and session with saved ones; the accounts come back without videos. */
  restore(accounts: AccountRecord[], sessions: SessionRecord[]): Account[] {
    this.clear();
    for (const a of accounts) this.accounts.set(a.id, { ...a, videos: [], inFlight: [] });
    for (const { token, ...s } of sessions) if (this.accounts.has(s.accountId)) this.sessions.set(token, s);
    return [...this.accounts.values()];
  }

  byId(id: number): Account | undefined {
    return this.accounts.get(id);
  }

  /** Switching it on (again) makes it unsolved; once solved it stays solved until then. */
  setHumanCheck(on: boolean): void {
    this.human = { on, solved: false };
  }

  solveHumanCheck(): void {
    this.human.solved = true;
  }

  humanCheck(): { on: boolean; solved: boolean } {
    return { ...this.human };
  }

  counters(): { logins: number; failedLogins: number; kicks: number } {
    return { ...this.counts };
  }

  private failLogin(key: string, now: number, refusal: Refusal): Refusal {
    const count = (this.failedLogins.get(key)?.count ?? 0) + 1;
    this.failedLogins.set(key, { count, lockedUntil: count >= MAX_FAILED_LOGINS ? now + LOGIN_LOCK_MS : 0 });
    this.counts.failedLogins += 1;
    return refusal;
  }

  private endLiveSession(account: Account): boolean {
    const session = account.liveToken ? this.sessions.get(account.liveToken) : undefined;
    account.liveToken = null;
    if (!session || session.replaced) return false;
    session.replaced = true;
    return true;
  }
}

/**
 * A JWT-shaped token like Pixverse's (AccountId, ExpireTime, Username). The signature is random bytes:
 * the simulator looks tokens up rather than verifying them, which also makes every token unique.
 */
function makeToken(account: Account, expiresAt: number): string {
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString("base64url");
  const header = part({ alg: "HS256", typ: "JWT" });
  const payload = part({ AccountId: account.id, ExpireTime: Math.floor(expiresAt / 1000), Username: account.username });
  return `${header}.${payload}.${randomBytes(32).toString("base64url")}`;
}
