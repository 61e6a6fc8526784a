// Answers status reads mostly from memory. A video that failed, was moderated or deleted never changes, so
// it is cached for good (bounded by count); any other is re-read from the database when its entry is older
// than `maxAgeMs` (another instance may have moved it; Pixverse may still delete a delivered video).
// This instance's own changes are seen at once.
import type { StatusRow } from "./videos.ts";
import { isSettled } from "../domain/status.ts";

export interface StatusCacheOptions {
  maxAgeMs: number;
  maxEntries: number;
  now?: () => number;
}

export function createStatusCache(load: (id: number) => Promise<StatusRow | null>, options: StatusCacheOptions) {
  type Entry = { row: StatusRow | null; at: number };
  const entries = new Map<number, Entry>();
  const inflight = new Map<number, Promise<StatusRow | null>>();
  // Bumped by forget(): a read that started before a change must not store what it read.
  const epochs = new Map<number, number>();
  const now = options.now ?? Date.now;

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
    if (hit && ((hit.row !== null && isSettled(hit.row.state)) || now() - hit.at < options.maxAgeMs)) return hit.row;
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
