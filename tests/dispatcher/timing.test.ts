import { expect, test } from "bun:test";
import { backoffMs, pollIntervalMs } from "../../src/dispatcher/timing.ts";

test("backoff doubles per attempt and stops at the cap", () => {
  const o = { baseMs: 1000, maxMs: 10_000 };
  const mid = () => 0.5; // no jitter
  expect([1, 2, 3, 4, 5, 6].map((a) => backoffMs(a, o, mid))).toEqual([1000, 2000, 4000, 8000, 10_000, 10_000]);
});

test("backoff jitter stays within ±20 %", () => {
  const o = { baseMs: 1000, maxMs: 10_000 };
  expect(backoffMs(1, o, () => 0)).toBe(800);
  expect(backoffMs(1, o, () => 0.999999)).toBe(1200);
});

test("the poll interval is short for young jobs and grows to the cap for old ones", () => {
  const o = { minMs: 1000, maxMs: 5000 };
  expect(pollIntervalMs(0, o)).toBe(1000);
  expect(pollIntervalMs(40_000, o)).toBe(2000);
  expect(pollIntervalMs(10 * 60_000, o)).toBe(5000);
});
