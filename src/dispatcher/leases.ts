// The lease keeper: holds this instance's Pixverse accounts through the account_leases table. Pixverse keeps
// one live session per account, so an account is driven (signed in to, submitted through, polled) only while
// this instance holds its lease: taken when free or expired, renewed every TTL/3, and dropped at once when a
// renewal is refused or cannot be confirmed before the lease could lapse, before any other instance may take
// it over. Only the held accounts are handed to the generator (`onHeld`), which signs in to those alone.
// The accounts are shared out among the live instances (lease-share.ts): each holds about its share.
import type { Logger } from "../log.ts";
import type { AccountReport, LeaseQueries } from "../db/leases.ts";
import type { Metrics } from "../metrics.ts";
import { shareAccounts } from "./lease-share.ts";

export interface LeaseKeeperOptions {
  /** With `survey`, the accounts are shared out among the live instances (lease-share.ts); without, this
   * instance takes every free account it is configured with. */
  leases: Pick<LeaseQueries, "acquire" | "release"> & Partial<Pick<LeaseQueries, "survey">>;
  /** This instance's id (INSTANCE_ID): the lease rows' holder. */
  holder: string;
  /** Every account this instance could drive (its configuration). */
  accounts: readonly string[];
  /** How long a lease lasts without a heartbeat (ACCOUNT_LEASE_TTL_MS). */
  ttlMs: number;
  /** The held set changed: activate exactly these in the generator (and look for work). */
  onHeld: (accounts: readonly string[]) => void;
  logger: Logger;
  metrics?: Metrics;
  /**
   * What this instance sees of its accounts now (state, credits, slots), written on the lease rows with each
   * heartbeat so that /admin on any instance shows them. Absent: no reports.
   */
  reports?: () => ReadonlyMap<string, AccountReport>;
  /** Accounts with a submission under way here (Dispatcher.submitting): kept until idle when sharing out. */
  busy?: () => ReadonlySet<string>;
  /** The clock in ms, monotonic (tests move it). Default: performance.now(). */
  now?: () => number;
}

export interface LeaseKeeper {
  /** The first acquisition, then heartbeats until stop(). */
  start(): Promise<void>;
  /** The accounts held now: those whose lease is confirmed beyond this instant, less the safety margin. */
  held(): string[];
  /** One heartbeat: acquire or renew, then drop what is no longer held. */
  renew(): Promise<void>;
  /**
   * Drop every account (the generator closes them), then delete this holder's rows: another instance takes
   * them over at its next heartbeat, not after the TTL.
   */
  stop(): Promise<void>;
}

export function createLeaseKeeper(o: LeaseKeeperOptions): LeaseKeeper {
  // A monotonic clock: a wall clock set back (NTP) must not stretch a lease we can no longer confirm.
  const now = o.now ?? (() => performance.now());
  const log = o.logger.child({ component: "leases" });
  // A lease is treated as ours until (time the renewal was sent + TTL − margin). The database's expiry is
  // (its now() when the statement ran + TTL), which is never earlier, so we stop driving an account before any
  // other instance can take it over; the margin covers closing the account's browser context.
  const marginMs = Math.max(1, Math.round(o.ttlMs / 6));
  const heartbeatMs = Math.max(1, Math.round(o.ttlMs / 3));
  /** Each held account: until when its lease is confirmed (local clock). */
  const validUntil = new Map<string, number>();
  let reported: string[] = [];
  let heartbeat: ReturnType<typeof setInterval> | null = null;
  let expiry: ReturnType<typeof setInterval> | null = null;
  let renewing: Promise<void> | null = null;
  let stopped = false;

  function current(): string[] {
    const t = now();
    return o.accounts.filter((a) => (validUntil.get(a) ?? 0) > t);
  }

  /** Tell the generator and metrics when the held set differs from what they were last told. */
  function publish(): void {
    const held = current();
    for (const a of [...validUntil.keys()]) {
      if (held.includes(a)) continue;
      validUntil.delete(a);
      log.warn("account lease lapsed before it could be renewed; the account is dropped", { account: a });
    }
    if (held.length === reported.length && held.every((a, i) => a === reported[i])) return;
    reported = held;
    o.metrics?.leases(o.accounts, held);
    o.onHeld(held);
  }

  async function renewOnce(): Promise<void> {
    const sentAt = now();
    let got: string[];
    let giveUp: string | null = null;
    try {
      let want: readonly string[] = o.accounts;
      if (o.leases.survey) {
        const survey = await o.leases.survey(o.holder, o.accounts, o.ttlMs);
        ({ want, giveUp } = shareAccounts({ me: o.holder, accounts: o.accounts, ...survey, busy: o.busy?.() }));
      }
      got = await o.leases.acquire(o.holder, want, o.ttlMs, o.reports?.());
    } catch (err) {
      // Unconfirmed: the leases held stay ours only until their confirmed time runs out (the expiry check).
      log.warn("account leases could not be renewed; held accounts are dropped when their leases would lapse", { error: err });
      publish();
      return;
    }
    if (stopped) return;
    if (giveUp !== null && validUntil.has(giveUp)) {
      // Dropped here first (the generator closes it), then its row deleted so that the other instance takes
      // it at its next heartbeat, as at shutdown.
      validUntil.delete(giveUp);
      publish();
      await o.leases.release(o.holder, [giveUp]).catch((err: unknown) => log.warn("account lease could not be given up; it lapses after its TTL", { account: giveUp, error: err }));
      log.info("account lease given up to a less loaded instance", { account: giveUp });
      if (stopped) return;
    }
    const before = new Set(current());
    const gotSet = new Set(got);
    for (const a of got) {
      validUntil.set(a, sentAt + o.ttlMs - marginMs);
      if (!before.has(a)) log.info("account lease acquired; this instance drives the account", { account: a, ttl_ms: o.ttlMs });
    }
    for (const a of before) {
      if (gotSet.has(a)) continue;
      validUntil.delete(a);
      log.warn("account lease lost to another instance; the account is dropped", { account: a });
    }
    publish();
  }

  const keeper: LeaseKeeper = {
    async start() {
      o.metrics?.leases(o.accounts, []);
      await keeper.renew();
      heartbeat = setInterval(() => void keeper.renew(), heartbeatMs);
      // Expiry is checked on its own clock: a renewal that hangs on an unreachable database must not keep an
      // account alive past its lease.
      expiry = setInterval(publish, Math.max(1, Math.min(1000, Math.round(marginMs / 2))));
    },
    held: current,
    renew() {
      if (stopped) return Promise.resolve();
      // One at a time: a slow database must not pile up heartbeats.
      renewing ??= renewOnce().finally(() => (renewing = null));
      return renewing;
    },
    async stop() {
      stopped = true;
      if (heartbeat) clearInterval(heartbeat);
      if (expiry) clearInterval(expiry);
      validUntil.clear();
      publish();
      // A renewal still on its way would write the rows again after the delete.
      await renewing?.catch(() => undefined);
      try {
        const released = await o.leases.release(o.holder);
        if (released.length > 0) log.info("account leases released", { accounts: released });
      } catch (err) {
        log.warn("account leases could not be released; they lapse after their TTL", { error: err });
      }
    },
  };
  return keeper;
}
