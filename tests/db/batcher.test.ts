import { expect, test } from "bun:test";
import { createBatcher } from "../../src/db/batcher.ts";

/** After the batcher's own turn: a batch started by an add() before this has left. */
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

test("requests that arrive during a commit share the next commit", async () => {
  const batches: number[][] = [];
  let release!: () => void;
  let first = true;
  const b = createBatcher<number, number>(
    async (items) => {
      batches.push(items);
      if (first) {
        first = false;
        await new Promise<void>((r) => (release = r));
      }
      return items.map((i) => i * 10);
    },
    { maxItems: 100, maxBytes: 1000, sizeOf: () => 0 },
  );
  const p1 = b.add(1);
  await nextTurn();
  const rest = [2, 3, 4].map((i) => b.add(i));
  expect(b.pending()).toBe(3);
  release();
  expect(await Promise.all([p1, ...rest])).toEqual([10, 20, 30, 40]);
  expect(batches).toEqual([[1], [2, 3, 4]]);
});

test("requests received in the same turn of the event loop share the first batch, even when the commit blocks the thread", async () => {
  const batches: number[][] = [];
  // Like PGlite: the commit runs on this thread, so no request can arrive while it runs.
  const blockingCommit = (items: number[]) => {
    batches.push(items);
    const until = performance.now() + 5;
    while (performance.now() < until);
    return Promise.resolve(items);
  };
  const b = createBatcher<number, number>(blockingCommit, { maxItems: 100 });
  const first = [1, 2, 3].map((i) => b.add(i));
  expect(batches).toEqual([]);
  expect(await Promise.all(first)).toEqual([1, 2, 3]);
  const second = [4, 5].map((i) => b.add(i));
  expect(await Promise.all(second)).toEqual([4, 5]);
  expect(batches).toEqual([[1, 2, 3], [4, 5]]);
});

test("a batch never exceeds its byte budget, but a single large item still goes alone", async () => {
  const batches: number[][] = [];
  const b = createBatcher<number, number>(async (items) => (batches.push(items), items), { maxItems: 100, maxBytes: 10, sizeOf: (n) => n });
  await Promise.all([b.add(1), b.add(6), b.add(6), b.add(20), b.add(1)]);
  expect(batches).toEqual([[1, 6], [6], [20], [1]]);
});

test("a failed commit rejects every request of its batch and the next batch still runs", async () => {
  let calls = 0;
  const b = createBatcher<number, number>(
    async (items) => {
      calls++;
      if (calls === 1) throw new Error("db down");
      return items;
    },
    { maxItems: 100, maxBytes: 1000, sizeOf: () => 0 },
  );
  const failed = [b.add(1), b.add(2)].map((f) => f.then(() => "answered", (e: Error) => e.message));
  await nextTurn();
  const later = b.add(3);
  expect(await Promise.all(failed)).toEqual(["db down", "db down"]);
  expect(await later).toBe(3);
  expect(calls).toBe(2);
});

test("the next batch is sent to the database before the finished batch's requests are answered", async () => {
  const events: string[] = [];
  let release!: () => void;
  let first = true;
  const b = createBatcher<number, number>(
    async (items) => {
      events.push(`flush ${items.join(",")}`);
      if (first) {
        first = false;
        await new Promise<void>((r) => (release = r));
      }
      return items;
    },
    { maxItems: 100, maxBytes: 1000, sizeOf: () => 0 },
  );
  const p1 = b.add(1).then(() => events.push("answered 1"));
  await nextTurn();
  const rest = [b.add(2), b.add(3)];
  release();
  await Promise.all([p1, ...rest]);
  expect(events).toEqual(["flush 1", "flush 2,3", "answered 1"]);
});

test("a flush that throws synchronously rejects its batch like a failed commit", async () => {
  let calls = 0;
  const b = createBatcher<number, number>(
    (items) => {
      calls++;
      if (calls === 1) throw new Error("no connection");
      return Promise.resolve(items);
    },
    { maxItems: 100, maxBytes: 1000, sizeOf: () => 0 },
  );
  const failed = b.add(1).then(() => "answered", (e: Error) => e.message);
  await nextTurn();
  const later = b.add(2);
  expect(await failed).toBe("no connection");
  expect(await later).toBe(2);
});
