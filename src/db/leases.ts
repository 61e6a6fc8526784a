// Account leases: which instance drives each Pixverse account. Pixverse keeps one live session per account,
// so only the holder of an account's lease may sign in to it, submit through it or read its list. Times are
// the database's own (now()), so the instances' clocks never have to agree.
import { and, asc, eq, gt, inArray, lt, sql } from "drizzle-orm";
import type { Db } from "./client.ts";
import { accountLeases, instances, type AccountReport } from "./schema.ts";

export type { AccountReport };

export interface LeaseRow {
  account: string;
  holder: string;
  expiresAt: Date;
  acquiredAt: Date;
  heartbeatAt: Date;
  /** The account as the holder saw it at its last heartbeat; null before its first report. */
  report: AccountReport | null;
}

/** The live instances with their configured accounts, and the live leases. */
export interface LeaseSurvey {
  instances: { id: string; accounts: string[] }[];
  leases: { account: string; holder: string }[];
}

export function createLeaseQueries(db: Db) {
  return {
    /**
     * Take or renew the leases on `accounts` for `holder` until now + `ttlMs`, in one statement: a row is
     * written when it is new, already this holder's, or expired; a live lease of another holder is left alone.
     * Returns the accounts `holder` holds afterwards (a subset of `accounts`). `reports`: what the holder sees of
     * the accounts it drives, written on the rows it keeps (a report of an account it does not get is dropped).
     */
    async acquire(holder: string, accounts: readonly string[], ttlMs: number, reports: ReadonlyMap<string, AccountReport> = new Map()): Promise<string[]> {
      if (accounts.length === 0) return [];
      const until = sql`now() + make_interval(secs => ${ttlMs / 1000})`;
      // The same order in every instance, so that two of them renewing the same set never deadlock.
      const values = [...new Set(accounts)].sort().map((account) => ({ account, holder, expiresAt: until, report: reports.get(account) ?? null }));
      const rows = await db
        .insert(accountLeases)
        .values(values)
        .onConflictDoUpdate({
          target: accountLeases.account,
          set: {
            holder,
            expiresAt: sql`excluded.expires_at`,
            heartbeatAt: sql`now()`,
            report: sql`excluded.report`,
            // A takeover starts a new lease; a renewal keeps its start.
            acquiredAt: sql`case when ${accountLeases.holder} = ${holder} then ${accountLeases.acquiredAt} else now() end`,
          },
          setWhere: sql`${accountLeases.holder} = ${holder} or ${accountLeases.expiresAt} <= now()`,
        })
        .returning({ account: accountLeases.account });
      return rows.map((r) => r.account);
    },

    /**
     * Say that `holder` is alive until now + `ttlMs` and configured with `accounts`, then read who else is alive
     * and which live lease each holds: what the accounts are shared out by (dispatcher/lease-share.ts). Called
     * before `acquire` in the same heartbeat, so an instance's row lapses just before its leases do.
     */
    async survey(holder: string, accounts: readonly string[], ttlMs: number): Promise<LeaseSurvey> {
      const until = sql`now() + make_interval(secs => ${ttlMs / 1000})`;
      // Rows of instances gone for an hour are of no use to anyone: cleared here, a few at a time at most.
      await db.delete(instances).where(lt(instances.expiresAt, sql`now() - interval '1 hour'`));
      await db
        .insert(instances)
        .values({ id: holder, accounts: [...accounts], expiresAt: until })
        .onConflictDoUpdate({ target: instances.id, set: { accounts: sql`excluded.accounts`, expiresAt: sql`excluded.expires_at` } });
      const live = await db.select({ id: instances.id, accounts: instances.accounts }).from(instances).where(gt(instances.expiresAt, sql`now()`));
      const leases = await db
        .select({ account: accountLeases.account, holder: accountLeases.holder })
        .from(accountLeases)
        .where(gt(accountLeases.expiresAt, sql`now()`));
      return { instances: live, leases };
    },

    /**
     * Give up this holder's leases (all, or those of `accounts`) so that another instance takes them at once.
     * Giving up all of them is leaving: the instance's own row goes too.
     */
    async release(holder: string, accounts?: readonly string[]): Promise<string[]> {
      const where = accounts === undefined ? eq(accountLeases.holder, holder) : and(eq(accountLeases.holder, holder), inArray(accountLeases.account, [...accounts]));
      if (accounts !== undefined && accounts.length === 0) return [];
      if (accounts === undefined) await db.delete(instances).where(eq(instances.id, holder));
      const rows = await db.delete(accountLeases).where(where).returning({ account: accountLeases.account });
      return rows.map((r) => r.account);
    },

    /** Every lease row (expired ones too: `expiresAt` says), by account. */
    async list(): Promise<LeaseRow[]> {
      return db.select().from(accountLeases).orderBy(asc(accountLeases.account));
    },
  };
}

export type LeaseQueries = ReturnType<typeof createLeaseQueries>;
