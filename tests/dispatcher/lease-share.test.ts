// How each instance decides which accounts to hold (src/dispatcher/lease-share.ts): evenly among the live
// instances that could drive them, converging in a few heartbeats, never leaving an account nobody takes.
import { describe, expect, test } from "bun:test";
import { shareAccounts, type ShareSnapshot } from "../../src/dispatcher/lease-share.ts";

const FOUR = ["a1", "a2", "a3", "a4"];

/** Heartbeats in turn, each applying its decision as the lease rows would, until nothing changes. */
function settle(configs: Record<string, readonly string[]>, leases: { account: string; holder: string }[] = [], rounds = 20) {
  const instances = Object.entries(configs).map(([id, accounts]) => ({ id, accounts }));
  let current = [...leases];
  for (let round = 0; round < rounds; round++) {
    const before = JSON.stringify(current);
    for (const { id, accounts } of instances) {
      const { want, giveUp } = shareAccounts({ me: id, accounts, instances, leases: current });
      // The upsert: renewed or taken when free; a live lease of another holder stays as it is.
      const mineOrFree = (a: string) => !current.some((l) => l.account === a && l.holder !== id);
      current = current.filter((l) => l.holder !== id || want.includes(l.account));
      for (const a of want) if (mineOrFree(a) && !current.some((l) => l.account === a)) current.push({ account: a, holder: id });
      if (giveUp) current = current.filter((l) => l.account !== giveUp);
    }
    if (JSON.stringify(current) === before) return { leases: current, rounds: round };
  }
  throw new Error(`did not settle: ${JSON.stringify(current)}`);
}

const countBy = (leases: { holder: string }[]) => leases.reduce<Record<string, number>>((n, l) => ({ ...n, [l.holder]: (n[l.holder] ?? 0) + 1 }), {});

describe("sharing the accounts out", () => {
  test("alone, an instance takes every account it is configured with", () => {
    const snapshot: ShareSnapshot = { me: "A", accounts: FOUR, instances: [{ id: "A", accounts: FOUR }], leases: [] };
    expect(shareAccounts(snapshot)).toEqual({ want: FOUR, giveUp: null });
  });

  test("two instances with the same four accounts end with two each, every account held once", () => {
    const { leases } = settle({ A: FOUR, B: FOUR });
    expect(leases.map((l) => l.account).sort()).toEqual(FOUR);
    expect(countBy(leases)).toEqual({ A: 2, B: 2 });
  });

  test("an instance that joins late gets its share: the holder of all gives up one per heartbeat", () => {
    const all = FOUR.map((account) => ({ account, holder: "A" }));
    const first = shareAccounts({ me: "A", accounts: FOUR, instances: [{ id: "A", accounts: FOUR }, { id: "B", accounts: FOUR }], leases: all });
    expect(first.giveUp).toBe("a4");
    expect(first.want).toEqual(["a1", "a2", "a3"]);
    const { leases } = settle({ A: FOUR, B: FOUR }, all);
    expect(countBy(leases)).toEqual({ A: 2, B: 2 });
  });

  test("an odd count stays put at a difference of one, with no account traded back and forth", () => {
    const three = ["a1", "a2", "a3"];
    const leases = [
      { account: "a1", holder: "A" },
      { account: "a2", holder: "A" },
      { account: "a3", holder: "B" },
    ];
    for (const me of ["A", "B"]) {
      const decision = shareAccounts({ me, accounts: three, instances: [{ id: "A", accounts: three }, { id: "B", accounts: three }], leases });
      expect(decision.giveUp).toBeNull();
    }
  });

  test("with three instances and seven accounts, every account is held and no one holds more than one above another", () => {
    const seven = ["a1", "a2", "a3", "a4", "a5", "a6", "a7"];
    const { leases } = settle({ A: seven, B: seven, C: seven });
    expect(leases.map((l) => l.account).sort()).toEqual(seven);
    const counts = Object.values(countBy(leases));
    expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
  });

  test("an account only one instance is configured with is always taken by it, however much it holds", () => {
    const { leases } = settle({ A: ["x", "y", "z"], B: ["z"] });
    expect(leases.find((l) => l.account === "z")?.holder).toBe("B");
    expect(leases.filter((l) => l.holder === "A").map((l) => l.account).sort()).toEqual(["x", "y"]);
    const disjoint = settle({ A: ["a1", "a2"], B: ["b1", "b2"] });
    expect(countBy(disjoint.leases)).toEqual({ A: 2, B: 2 });
  });

  test("an account with a submission under way is not given up; another idle one is, or none this heartbeat", () => {
    const both = [{ id: "A", accounts: FOUR }, { id: "B", accounts: FOUR }];
    const all = FOUR.map((account) => ({ account, holder: "A" }));
    expect(shareAccounts({ me: "A", accounts: FOUR, instances: both, leases: all, busy: new Set(["a4"]) }).giveUp).toBe("a3");
    const allBusy = shareAccounts({ me: "A", accounts: FOUR, instances: both, leases: all, busy: new Set(FOUR) });
    expect(allBusy).toEqual({ want: FOUR, giveUp: null });
  });

  test("a free account is left to a live instance holding fewer", () => {
    const decision = shareAccounts({
      me: "A",
      accounts: FOUR,
      instances: [{ id: "A", accounts: FOUR }, { id: "B", accounts: FOUR }],
      leases: [{ account: "a1", holder: "A" }],
    });
    expect(decision).toEqual({ want: ["a1"], giveUp: null });
  });
});
