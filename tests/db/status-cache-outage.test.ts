// The status cache while the database is unreachable: the last row read is served instead of the error
// (bounded in age, and without re-reading on every poll), anything else still fails, and the first good
// read afterwards replaces it.
import { expect, test } from "bun:test";
import { createStatusCache } from "../../src/db/status-cache.ts";
import type { StatusRow } from "../../src/db/videos.ts";

const unreachable = () => Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" });
const row = (state: StatusRow["state"], id = 1): StatusRow => ({ id, appBundleId: "a", apphudUserId: "u", state, resultUrl: state === "succeeded" ? "https://m/x.mp4" : null });

/** `hold`: the load with this number (from 1) waits for `until`. */
function harness(initial: StatusRow | null, hold?: { load: number; until: Promise<void> }) {
  let current: StatusRow | null = initial;
  let failure: (() => Error) | null = null;
  let loads = 0;
  let t = 0;
  const cache = createStatusCache(
    async () => {
      loads++;
      if (failure) throw failure();
      // The row as it is when the read starts: a held read can be overtaken by a change.
      const row = current ? { ...current } : null;
      if (loads === hold?.load) await hold.until;
      return row;
    },
    { maxAgeMs: 1000, maxEntries: 3, staleIfUnavailableMs: 60_000, now: () => t },
  );
  return {
    cache,
    loads: () => loads,
    set: (r: StatusRow | null) => (current = r),
    fail: (f: (() => Error) | null) => (failure = f),
    advance: (ms: number) => (t += ms),
  };
}

test("a known video past its max age is answered from memory when the refresh finds the database unreachable", async () => {
  const h = harness(row("generating"));
  await h.cache.get(1);
  h.fail(unreachable);
  h.advance(5_000);
  expect((await h.cache.get(1))?.state).toBe("generating");
  expect(h.loads()).toBe(2);
});

test("after a failed refresh the stale row is given without a read until maxAge has passed", async () => {
  const h = harness(row("queued"));
  await h.cache.get(1);
  h.fail(unreachable);
  h.advance(2_000);
  await h.cache.get(1);
  expect(h.loads()).toBe(2);
  h.advance(500);
  expect(h.cache.peek(1)?.state).toBe("queued");
  await h.cache.get(1);
  expect(h.loads()).toBe(2);
  h.advance(600);
  expect(h.cache.peek(1)).toBeUndefined();
  expect((await h.cache.get(1))?.state).toBe("queued");
  expect(h.loads()).toBe(3);
});

test("a video never read is an error during an outage, not an answer", async () => {
  const h = harness(row("queued"));
  h.fail(unreachable);
  await expect(h.cache.get(1)).rejects.toThrow("ECONNREFUSED");
});

test("a video read as missing is an error during an outage, not a stale 'no such video'", async () => {
  const h = harness(null);
  expect(await h.cache.get(1)).toBeNull();
  h.fail(unreachable);
  h.advance(2_000);
  await expect(h.cache.get(1)).rejects.toThrow("ECONNREFUSED");
});

test("a row older than staleIfUnavailableMs is no longer served: the outage error comes through", async () => {
  const h = harness(row("generating"));
  await h.cache.get(1);
  h.fail(unreachable);
  h.advance(60_001);
  await expect(h.cache.get(1)).rejects.toThrow("ECONNREFUSED");
});

test("an error that is not unavailability still fails the read even with a cached row", async () => {
  const h = harness(row("generating"));
  await h.cache.get(1);
  h.fail(() => Object.assign(new Error("syntax error"), { code: "42601", severity: "ERROR" }));
  h.advance(2_000);
  await expect(h.cache.get(1)).rejects.toThrow("syntax error");
});

test("the first good read after the outage replaces the stale row", async () => {
  const h = harness(row("generating"));
  await h.cache.get(1);
  h.fail(unreachable);
  h.advance(2_000);
  await h.cache.get(1);
  h.fail(null);
  h.set(row("succeeded"));
  h.advance(1_001);
  expect((await h.cache.get(1))?.state).toBe("succeeded");
});

test("a video this instance changed (forget) is not served stale during an outage", async () => {
  const h = harness(row("queued"));
  await h.cache.get(1);
  h.cache.forget(1);
  h.fail(unreachable);
  await expect(h.cache.get(1)).rejects.toThrow("ECONNREFUSED");
});

test("a read overtaken by this instance's change is not served as fresh: the next read goes to the database", async () => {
  const gate = Promise.withResolvers<void>();
  const h = harness(row("generating"), { load: 1, until: gate.promise });
  const poll = h.cache.get(1);
  h.set(row("succeeded"));
  h.cache.forget(1);
  gate.resolve();
  // Its reader gets what it read, from before the change.
  expect((await poll)?.state).toBe("generating");
  expect(h.cache.peek(1)).toBeUndefined();
  expect((await h.cache.get(1))?.state).toBe("succeeded");
  expect(h.loads()).toBe(2);
});

test("a read overtaken by this instance's change is still what an outage is answered from (the poll that saw the change leaves it known)", async () => {
  // The poll lands between the database's commit and forget(): its answer is the final one, and the database
  // goes away right after; before, nothing was left to serve and get_status was a 503.
  const gate = Promise.withResolvers<void>();
  const h = harness(row("succeeded"), { load: 1, until: gate.promise });
  const poll = h.cache.get(1);
  h.cache.forget(1);
  gate.resolve();
  expect((await poll)?.state).toBe("succeeded");
  h.fail(unreachable);
  expect((await h.cache.get(1))?.state).toBe("succeeded");
  expect(h.loads()).toBe(2);
  // Then as any outage fallback: no new attempt before maxAge has passed.
  expect((await h.cache.get(1))?.state).toBe("succeeded");
  expect(h.loads()).toBe(2);
});
