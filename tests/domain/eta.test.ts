import { describe, expect, test } from "bun:test";
import { DEFAULT_GENERATION_MS, etaSeconds, etaSlots, remainingMs, type EtaInput } from "../../src/domain/eta.ts";

const base: EtaInput = { state: "queued", queuePosition: 1, meanGenerationMs: 60_000, slots: 2, inFlightElapsedMs: [] };

describe("etaSeconds", () => {
  test("a generating video has the rest of the mean generation time left", () => {
    expect(etaSeconds({ ...base, state: "generating", queuePosition: undefined, elapsedMs: 20_000 })).toBe(40);
    expect(etaSeconds({ ...base, state: "submitting", queuePosition: undefined, elapsedMs: 0 })).toBe(60);
  });

  test("a video past the mean is never promised less than a tenth of it", () => {
    expect(etaSeconds({ ...base, state: "generating", elapsedMs: 500_000 })).toBe(6);
    expect(remainingMs(500_000, 60_000)).toBe(6_000);
  });

  test("the next queued video with a free slot takes one generation", () => {
    expect(etaSeconds({ ...base, queuePosition: 1, slots: 2, inFlightElapsedMs: [10_000] })).toBe(60);
  });

  test("with every slot busy, the next queued video starts when the first one frees", () => {
    // Slots free in 10 s and 40 s: the next starts at 10 s, the one after at 40 s, the third at 70 s.
    const busy = { ...base, slots: 2, inFlightElapsedMs: [50_000, 20_000] };
    expect(etaSeconds({ ...busy, queuePosition: 1 })).toBe(70);
    expect(etaSeconds({ ...busy, queuePosition: 2 })).toBe(100);
    expect(etaSeconds({ ...busy, queuePosition: 3 })).toBe(130);
  });

  test("it grows by one generation for every round of slots ahead", () => {
    const empty = { ...base, slots: 3, inFlightElapsedMs: [] };
    expect([1, 2, 3, 4, 6, 7].map((p) => etaSeconds({ ...empty, queuePosition: p }))).toEqual([60, 60, 60, 120, 120, 180]);
  });

  test("jobs in flight beyond the slots wait like queued ones", () => {
    // One slot, two in flight: the younger waits for the older, and the queued one after both.
    expect(etaSeconds({ ...base, slots: 1, queuePosition: 1, inFlightElapsedMs: [30_000, 0] })).toBe(150);
  });

  test("a queued video waiting out a backoff is not done before its wait is over", () => {
    expect(etaSeconds({ ...base, queuePosition: 1, dueInMs: 30_000 })).toBe(90);
    expect(etaSeconds({ ...base, queuePosition: 1, dueInMs: 0 })).toBe(60);
  });

  test("before any video finished, the default generation time is used", () => {
    expect(etaSeconds({ ...base, meanGenerationMs: null })).toBe(DEFAULT_GENERATION_MS / 1000);
  });

  test("a queued video while no account takes work has no ETA", () => {
    expect(etaSeconds({ ...base, slots: 0 })).toBeNull();
  });

  test("is a whole number of seconds, at least 1", () => {
    expect(etaSeconds({ ...base, meanGenerationMs: 1_500 })).toBe(2);
    expect(etaSeconds({ ...base, state: "generating", meanGenerationMs: 100, elapsedMs: 99 })).toBe(1);
  });
});

describe("etaSlots", () => {
  const states = () => [
    { email: "a", state: "ready", capacity: 3 },
    { email: "b", state: "needs_human", capacity: 5 },
    { email: "c", state: "standby", capacity: 0 },
    { email: "d", state: "standby", capacity: 0 },
  ];

  test("counts the slots of accounts that take work here, and the configured cap for accounts driven elsewhere", async () => {
    expect(await etaSlots({ accountStates: states }, 2)()).toBe(3 + 2 * 2);
  });

  test("leaves out the accounts an operator paused, here or elsewhere", async () => {
    expect(await etaSlots({ accountStates: states }, 2, async () => ["a", "c"])()).toBe(2);
    expect(await etaSlots({ accountStates: states }, 2, async () => ["a", "b", "c", "d"])()).toBe(0);
  });
});
