// Answers status reads mostly from memory. A video that failed, was moderated or deleted never changes, so
// it is cached for good (bounded by count); any other is re-read from the database when its entry is older
// than `maxAgeMs` (another instance may have moved it; Pixverse may still delete a delivered video).
// This instance's own changes are seen at once.
// While the database is unreachable (isDatabaseUnavailable), a refresh that fails serves the last row read
// instead of the error, for up to `staleIfUnavailableMs` after that read (a stale answer beats none; a settled
// one is exact anyway), and the next attempt for that id waits `maxAgeMs`, so polls do not hammer a database
// that is coming back. An id never read (or read as missing) still fails: the caller answers 503.
import type { StatusRow } from "./videos.ts";
import { isSettled } from "../domain/status.ts";
import { isDatabaseUnavailable } from "./client.ts";

export interface StatusCacheOptions {
  maxAgeMs: number;
  maxEntries: number;
  /** How long after its last successful read a row may still be served while the database is unreachable (default 10 min). */
  staleIfUnavailableMs?: number;
  now?: () => number;
}

/** Ten minutes: past that, a "generating" answer is more likely wrong than useful, and a 503 says why. */
export const STALE_IF_UNAVAILABLE_MS = 10 * 60_000;

export function createStatusCache(load: (id: number) => Promise<StatusRow | null>, options: StatusCacheOptions) {
  // `retryAt`: set when a refresh failed for unavailability; until then the (stale) row is served without a read.
  type Entry = { row: StatusRow | null; at: number; retryAt?: number };
  const entries = new Map<number, Entry>();
  const inflight = new Map<number, Promise<StatusRow | null>>();
  // Bumped by forget(): a read that started before a change must not store what it read.
  const epochs = new Map<number, number>();
  const now = options.now ?? Date.now;
  const staleIfUnavailableMs = options.staleIfUnavailableMs ?? STALE_IF_UNAVAILABLE_MS;

  function store(id: number, row: StatusRow | null): void {
    if (entries.size >= options.maxEntries && !entries.has(id)) {
      // Map iteration order is insertion order: drop the oldest entry.
      const oldest = entries.keys().next().value;
      if (oldest !== undefined) entries.delete(oldest);
    }
    entries.set(id, { row, at: now() });
  }

  /** The cached answer when it may still be given; undefined when the database must be read. */
  function peek(id: number): StatusRow | null | undefined {
    const hit = entries.get(id);
    if (!hit) return undefined;
    const t = now();
    if ((hit.row !== null && isSettled(hit.row.state)) || t - hit.at < options.maxAgeMs) return hit.row;
    // The database was unreachable at the last refresh: keep the stale row until the next attempt is due.
    if (hit.retryAt !== undefined && t < hit.retryAt) return hit.row;
    return undefined;
  }

  return {
    peek,
    async get(id: number): Promise<StatusRow | null> {
      const hit = peek(id);
      if (hit !== undefined) return hit;
      // Concurrent readers of the same id share one database read.
      let pending = inflight.get(id);
      if (!pending) {
        const epoch = epochs.get(id) ?? 0;
        pending = load(id).then(
          (row) => {
            if (inflight.get(id) === pending) inflight.delete(id);
            if ((epochs.get(id) ?? 0) === epoch) store(id, row);
            return row;
          },
          (e) => {
            if (inflight.get(id) === pending) inflight.delete(id);
            // Unreachable database: the last row read, while it is not too old (forget() removed any entry
            // this instance made stale). Anything else, or nothing known, is the caller's error.
            const last = entries.get(id);
            const t = now();
            if (last?.row && isDatabaseUnavailable(e) && t - last.at < staleIfUnavailableMs) {
              last.retryAt = t + options.maxAgeMs;
              return last.row;
            }
            throw e;
          },
        );
        inflight.set(id, pending);
      }
      return pending;
    },
    /** This instance changed the row: forget it, so the next read sees the database. */
    forget(id: number): void {
      entries.delete(id);
      inflight.delete(id);
      epochs.set(id, (epochs.get(id) ?? 0) + 1);
      // Epochs only matter while a read is in flight; keep the map from growing without bound.
      if (epochs.size > 10_000) epochs.clear();
    },
    size: () => entries.size,
  };
}

export type StatusCache = ReturnType<typeof createStatusCache>;
