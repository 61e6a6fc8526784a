// Sharing the Pixverse accounts out among the instances alive now, so that two machines with four accounts
// drive two each instead of the first taking all four (and the second idling with its browser empty).
//
// Each instance decides for itself at its heartbeat, from the same snapshot (the live instances with the
// accounts they are configured with, and the live leases): it keeps what it holds; it takes a free account
// only while no other live instance that could drive it holds fewer accounts than it does; and when another
// such instance holds at least two fewer, it gives one account up (one per heartbeat, so that the handover
// settles without sending every account round), never one with a submission under way. Taking stays the
// lease row's atomic upsert, so two instances deciding at once can never both hold an account: at worst the
// shares even out a heartbeat later. An account only this instance can drive is always taken, so lists that
// differ between instances leave nothing unheld.

export interface ShareSnapshot {
  /** This instance. */
  me: string;
  /** The accounts this instance is configured with. */
  accounts: readonly string[];
  /** Every live instance (this one included) and the accounts it is configured with. */
  instances: ReadonlyArray<{ id: string; accounts: readonly string[] }>;
  /** The live leases: which instance holds which account. */
  leases: ReadonlyArray<{ account: string; holder: string }>;
  /** Accounts this instance is submitting through now: not given up until idle (a later heartbeat). */
  busy?: ReadonlySet<string>;
}

export interface ShareDecision {
  /** The accounts to ask for (renewed or taken), in the configured order. */
  want: string[];
  /** An account this instance holds and gives up now, to a less loaded instance; null when none. */
  giveUp: string | null;
}

export function shareAccounts(s: ShareSnapshot): ShareDecision {
  const holderOf = new Map(s.leases.map((l) => [l.account, l.holder]));
  const load = new Map<string, number>();
  for (const l of s.leases) load.set(l.holder, (load.get(l.holder) ?? 0) + 1);
  const loadOf = (id: string) => load.get(id) ?? 0;
  /** The other live instances that could drive `account`. */
  const rivals = (account: string) => s.instances.filter((i) => i.id !== s.me && i.accounts.includes(account));

  const held = s.accounts.filter((a) => holderOf.get(a) === s.me);
  let mine = held.length;
  const want = [...held];
  for (const account of s.accounts) {
    if (holderOf.has(account)) continue;
    if (rivals(account).some((r) => loadOf(r.id) < mine)) continue;
    want.push(account);
    mine += 1;
  }

  // Give one up only when the rival ends with fewer than this instance, so two instances never trade back
  // and forth (a difference of one stays).
  const giveUp = [...held].reverse().find((a) => !s.busy?.has(a) && rivals(a).some((r) => loadOf(r.id) <= held.length - 2)) ?? null;
  const order = new Map(s.accounts.map((a, i) => [a, i]));
  return {
    want: want.filter((a) => a !== giveUp).sort((x, y) => order.get(x)! - order.get(y)!),
    giveUp,
  };
}
