// The application's view of videos for the HTTP layer: accept a request (group-committed, limits enforced
// in the same transaction) and read a status (mostly from memory). No HTTP and no SQL here. While the
// database is unreachable, create() rejects with the driver's error for every request of the batch (one
// statement or one transaction: nothing of it is half-stored) and status() answers known videos from the cache
// (status-cache.ts); the HTTP layer answers 503 for both.
import { createBatcher } from "./db/batcher.ts";
import { createStatusCache } from "./db/status-cache.ts";
import type { InsertLimits, InsertOutcome, NewVideo, StatusRow, VideoRepository } from "./db/videos.ts";

export interface VideoService {
  create(video: NewVideo): Promise<InsertOutcome>;
  status(id: number): Promise<StatusRow | null>;
  /** The status from memory when it may be given without a database read (undefined: call `status`). */
  cachedStatus(id: number): StatusRow | null | undefined;
  /** A row changed in this process (the dispatcher): drop any cached copy. */
  changed(id: number): void;
}

export interface VideoServiceOptions {
  limits: InsertLimits;
  /** How far behind another instance's change a status read may be. */
  statusMaxAgeMs?: number;
  statusCacheEntries?: number;
  /** How long a known status may still be served while the database is unreachable (status-cache.ts's default: 10 min). */
  statusStaleIfUnavailableMs?: number;
  /** Called with each accepted video's id once it is committed (the dispatcher looks for work at once). */
  onAccepted?: (id: number) => void;
}

export function createVideoService(repo: VideoRepository, options: VideoServiceOptions): VideoService {
  const cache = createStatusCache((id) => repo.findStatus(id), {
    maxAgeMs: options.statusMaxAgeMs ?? 1000,
    maxEntries: options.statusCacheEntries ?? 200_000,
    staleIfUnavailableMs: options.statusStaleIfUnavailableMs,
  });
  const inserts = createBatcher<NewVideo, InsertOutcome>((batch) => repo.insertBatch(batch, options.limits), {
    maxItems: 256,
    maxBytes: 48 * 1024 * 1024,
    sizeOf: (v) => v.image?.bytes.byteLength ?? 0,
  });
  return {
    async create(video) {
      const outcome = await inserts.add(video);
      if (outcome.ok) {
        cache.forget(outcome.id);
        options.onAccepted?.(outcome.id);
      }
      return outcome;
    },
    status: (id) => cache.get(id),
    cachedStatus: (id) => cache.peek(id),
    changed: (id) => cache.forget(id),
  };
}
