import { expect, test } from "bun:test";
import { createStatusCache } from "../../src/db/status-cache.ts";
import type { StatusRow } from "../../src/db/videos.ts";

function harness(initial: StatusRow | null) {
  let row = initial;
  let loads = 0;
  let t = 0;
  const cache = createStatusCache(
    async () => {
      loads++;
      return row ? { ...row } : null;
    },
    { maxAgeMs: 1000, maxEntries: 3, now: () => t },
  );
  return {
    cache,
    loads: () => loads,
    set: (r: StatusRow | null) => (row = r),
    advance: (ms: number) => (t += ms),
  };
}

const row = (state: StatusRow["state"], id = 1): StatusRow => ({ id, appBundleId: "a", apphudUserId: "u", state, resultUrl: state === "succeeded" ? "https://m/x.mp4" : null });

test("an unfinished video is at most maxAge behind the database", async () => {
  const h = harness(row("queued"));
  expect((await h.cache.get(1))?.state).toBe("queued");
  h.set(row("generating"));
  h.advance(999);
  expect((await h.cache.get(1))?.state).toBe("queued");
  h.advance(2);
  expect((await h.cache.get(1))?.state).toBe("generating");
});

test("a failed, moderated or deleted video is served from memory for a minute, then read again (an operator may requeue it)", async () => {
  const h = harness(row("failed"));
  await h.cache.get(1);
  h.advance(59_999);
  expect((await h.cache.get(1))?.state).toBe("failed");
  expect(h.loads()).toBe(1);
  h.set(row("queued")); // requeued from /admin on another instance
  h.advance(2);
  expect((await h.cache.get(1))?.state).toBe("queued");
  expect(h.loads()).toBe(2);
});

test("a change made by this process is seen at once", async () => {
  const h = harness(row("generating"));
  await h.cache.get(1);
  h.set(row("succeeded"));
  h.cache.forget(1);
  expect((await h.cache.get(1))?.state).toBe("succeeded");
});

test("concurrent reads of one id share a single database read", async () => {
  const h = harness(row("queued"));
  await Promise.all([h.cache.get(1), h.cache.get(1), h.cache.get(1)]);
  expect(h.loads()).toBe(1);
});

test("a delivered video is re-read after maxAge, since Pixverse may still delete it", async () => {
  const h = harness(row("succeeded"));
  await h.cache.get(1);
  h.set(row("deleted"));
  h.advance(1001);
  expect((await h.cache.get(1))?.state).toBe("deleted");
});

test("the cache holds at most maxEntries videos", async () => {
  const h = harness(row("succeeded"));
  for (const id of [1, 2, 3, 4, 5]) await h.cache.get(id);
  expect(h.cache.size()).toBe(3);
});

test("when full, the video read least recently is the one dropped", async () => {
  const h = harness(row("failed")); // settled: only eviction can drop an entry
  for (const id of [1, 2, 3]) await h.cache.get(id);
  await h.cache.get(1); // 2 is now the least recently read
  await h.cache.get(4);
  expect(h.loads()).toBe(4);
  expect(h.cache.peek(2)).toBeUndefined();
  for (const id of [1, 3, 4]) expect(h.cache.peek(id)?.state).toBe("failed");
});

test("a read that started before a change does not cache the old state", async () => {
  let release!: (r: StatusRow) => void;
  let calls = 0;
  const cache = createStatusCache(
    (id) => {
      calls++;
      if (calls === 1) return new Promise<StatusRow>((r) => (release = r));
      return Promise.resolve(row("succeeded", id));
    },
    { maxAgeMs: 60_000, maxEntries: 10 },
  );
  const slow = cache.get(1);
  cache.forget(1); // the dispatcher finished the job while the read was in flight
  release(row("generating"));
  expect((await slow)?.state).toBe("generating");
  expect((await cache.get(1))?.state).toBe("succeeded");
});
