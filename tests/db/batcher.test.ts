import { expect, test } from "bun:test";
import { createBatcher } from "../../src/db/batcher.ts";

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
  const rest = [2, 3, 4].map((i) => b.add(i));
  expect(b.pending()).toBe(3);
  release();
  expect(await Promise.all([p1, ...rest])).toEqual([10, 20, 30, 40]);
  expect(batches).toEqual([[1], [2, 3, 4]]);
});

test("a batch never exceeds its byte budget, but a single large item still goes alone", async () => {
  const batches: number[][] = [];
  const b = createBatcher<number, number>(async (items) => (batches.push(items), items), { maxItems: 100, maxBytes: 10, sizeOf: (n) => n });
  await Promise.all([b.add(1), b.add(6), b.add(6), b.add(20), b.add(1)]);
  expect(batches).toEqual([[1], [6], [6], [20], [1]]);
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
  const failing = b.add(1);
  const later = b.add(2);
  expect(failing).rejects.toThrow("db down");
  expect(await later).toBe(2);
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
  const failing = b.add(1);
  const later = b.add(2);
  await expect(failing).rejects.toThrow("no connection");
  expect(await later).toBe(2);
});
