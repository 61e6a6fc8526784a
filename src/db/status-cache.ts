// Answers status reads mostly from memory: an LRU cache (lru-cache) of rows, bounded by count, whose fetch
// reads the database. A video that failed, was moderated or deleted changes only when an operator requeues it
// (/admin), so it is re-read only after `settledMaxAgeMs` (a minute: the requeue is seen by every instance
// within it); any other is re-read once its entry is older than `maxAgeMs` (another instance may have moved
// it; Pixverse may still delete a delivered video). This instance's own changes are seen at once (forget). Concurrent reads
// of one id share one database read. A change that overtakes a read in flight (the read may predate it) leaves
// what it read stale at once: the next read goes to the database, and only an outage is answered from it, so a
// video a client has just been answered about stays known here.
// While the database is unreachable (isDatabaseUnavailable), a refresh that fails serves the last row read
// instead of the error, for up to `staleIfUnavailableMs` after that read (a stale answer beats none; a settled
// one is exact anyway), and the next attempt for that id waits `maxAgeMs`, so polls do not hammer a database
// that is coming back. An id never read (or read as missing) still fails: the caller answers 503.
import { LRUCache } from "lru-cache";
import type { StatusRow } from "./videos.ts";
import { isSettled } from "../domain/status.ts";
import { isDatabaseUnavailable } from "./client.ts";

export interface StatusCacheOptions {
  maxAgeMs: number;
  maxEntries: number;
  /** How long a failed, moderated or deleted video is served from memory (default 60 s, at least maxAgeMs). */
  settledMaxAgeMs?: number;
  /** How long after its last successful read a row may still be served while the database is unreachable (default 10 min). */
  staleIfUnavailableMs?: number;
  /** The clock, in ms (tests); default performance.now. */
  now?: () => number;
}

/** Ten minutes: past that, a "generating" answer is more likely wrong than useful, and a 503 says why. */
export const STALE_IF_UNAVAILABLE_MS = 10 * 60_000;

export function createStatusCache(load: (id: number) => Promise<StatusRow | null>, options: StatusCacheOptions) {
  // `readAt`: when the row was last read from the database (a stale row served in an outage keeps it).
  type Entry = { row: StatusRow | null; readAt: number; overtaken?: true };
  const now = options.now ?? (() => performance.now());
  const staleIfUnavailableMs = options.staleIfUnavailableMs ?? STALE_IF_UNAVAILABLE_MS;
  const settledMaxAgeMs = Math.max(options.settledMaxAgeMs ?? 60_000, options.maxAgeMs);
  const origin = now();
  // Ids with a read in flight (one at most: lru-cache shares it), and those of them a change overtook.
  const reading = new Set<number>();
  const overtaken = new Set<number>();

  const entries = new LRUCache<number, Entry>({
    max: options.maxEntries,
    ttl: options.maxAgeMs,
    // Our clock, counted from here: lru-cache reads a start time of 0 as "no TTL", hence the + 1.
    perf: { now: () => now() - origin + 1 },
    // Ages exact to the millisecond: lru-cache would otherwise reuse one clock reading for 1 ms.
    ttlResolution: 0,
    // A stale entry stays (unanswered) for the outage fallback below, also when a refresh fails otherwise.
    noDeleteOnStaleGet: true,
    noDeleteOnFetchRejection: true,
    // An entry deleted during its read (evicted) aborts the read in lru-cache's eyes: the reader still gets
    // what it read, and since the entry no longer holds that read, what it read is not stored.
    ignoreFetchAbort: true,
    async fetchMethod(id, stale, { options: set }) {
      reading.add(id);
      try {
        const row = await load(id);
        if (row && isSettled(row.state)) set.ttl = settledMaxAgeMs;
        // Overtaken by this instance's change (forget): kept, but never an answer of its own (peek, get).
        return overtaken.has(id) ? { row, readAt: now(), overtaken: true } : { row, readAt: now() };
      } catch (e) {
        // Unreachable database: the last row read (an overtaken one included), while it is not too old, kept
        // as an ordinary entry for another maxAgeMs before the next attempt. Anything else, or nothing known,
        // is the caller's error.
        if (stale?.row && isDatabaseUnavailable(e) && now() - stale.readAt < staleIfUnavailableMs) return { row: stale.row, readAt: stale.readAt };
        throw e;
      } finally {
        reading.delete(id);
        overtaken.delete(id);
      }
    },
  });

  /** The cached answer when it may still be given; undefined when the database must be read. */
  function peek(id: number): StatusRow | null | undefined {
    const entry = entries.get(id);
    return entry && !entry.overtaken ? entry.row : undefined;
  }

  return {
    peek,
    async get(id: number): Promise<StatusRow | null> {
      // An overtaken entry is read again (and stays the fallback if the database is away).
      const entry = await entries.fetch(id, entries.peek(id)?.overtaken ? { forceRefresh: true } : undefined);
      // fetchMethod always answers an entry or throws; lru-cache answers undefined only for an aborted
      // fetch that is not ignored, or a fetchMethod that gave nothing.
      if (!entry) throw new Error(`status cache: no answer for video ${id}`);
      return entry.row;
    },
    /**
     * This instance changed the row: the next read sees the database. A read in flight is left to finish (and
     * to be stale at once): deleting it would leave nothing to serve in an outage, not even the answer its
     * reader was just given.
     */
    forget(id: number): void {
      if (reading.has(id)) overtaken.add(id);
      else entries.delete(id);
    },
    size: () => entries.size,
  };
}

export type StatusCache = ReturnType<typeof createStatusCache>;
