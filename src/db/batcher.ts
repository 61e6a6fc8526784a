// Group commit: requests that arrive while a batch is being committed wait for the next batch, so one
// transaction (one WAL flush) answers many requests. Under light load a batch is a single request. Status reads
// that miss the cache (src/videos.ts) and the shared rate-limit counts (rate-limit-store.ts) are grouped the same
// way: one statement for many requests.
//
// An idle batcher sends its first batch on the next turn of the event loop, not at once: the requests already
// received are read first and go in the same batch. Without that, a database that runs on this thread (PGlite,
// the default without DATABASE_URL) never batched: its commit blocks the loop, so nothing could arrive during
// it, and every request was a transaction of its own (text2video on PGlite 1.3k → 7.2–7.9k rps; on PostgreSQL
// the same within noise, bench/README.md).
export interface BatcherOptions<T> {
  maxItems: number;
  /** Bound on a batch's payload (images), so a batch never holds hundreds of MB at once. Absent: none. */
  maxBytes?: number;
  /** An item's share of `maxBytes`. */
  sizeOf?: (item: T) => number;
}

export function createBatcher<T, R>(flush: (items: T[]) => Promise<R[]>, options: BatcherOptions<T>) {
  type Pending = { item: T; resolve: (r: R) => void; reject: (e: unknown) => void };
  let queue: Pending[] = [];
  let running = false;
  const maxBytes = options.maxBytes ?? Number.POSITIVE_INFINITY;
  const sizeOf = options.sizeOf ?? (() => 0);

  function takeBatch(): Pending[] {
    let bytes = 0;
    let n = 0;
    while (n < queue.length && n < options.maxItems) {
      const size = sizeOf(queue[n]!.item);
      if (n > 0 && bytes + size > maxBytes) break;
      bytes += size;
      n++;
    }
    const batch = queue.slice(0, n);
    queue = queue.slice(n);
    return batch;
  }

  async function drain(): Promise<void> {
    while (queue.length > 0) {
      const batch = takeBatch();
      try {
        const results = await flush(batch.map((p) => p.item));
        batch.forEach((p, i) => p.resolve(results[i]!));
      } catch (e) {
        for (const p of batch) p.reject(e);
      }
    }
    running = false;
  }

  return {
    add(item: T): Promise<R> {
      return new Promise<R>((resolve, reject) => {
        queue.push({ item, resolve, reject });
        if (!running) {
          running = true;
          setImmediate(() => void drain());
        }
      });
    },
    /** Items waiting for the next batch (not counting the one being committed). */
    pending: () => queue.length,
  };
}
