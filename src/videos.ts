// The application's view of videos for the HTTP layer: accept a request (group-committed, limits enforced
// in the same transaction) and read a status (mostly from memory). No HTTP and no SQL here. While the
// database is unreachable, create() rejects with the driver's error for every request of the batch (one
// statement or one transaction: nothing of it is half-stored) and status() answers known videos from the cache
// (status-cache.ts); the HTTP layer answers 503 for both. A request with an Idempotency-Key skips the batcher:
// createOnce() claims the key and stores the video in one transaction of its own (db/idempotency.ts).
import { createBatcher } from "./db/batcher.ts";
import { createStatusCache } from "./db/status-cache.ts";
import { PURGE_BATCH } from "./db/idempotency.ts";
import type { CountGeneration, IdempotencyKey, InsertLimits, InsertOutcome, KeyedOutcome, NewVideo, StatusRow, VideoRepository } from "./db/videos.ts";

export interface VideoService {
  create(video: NewVideo): Promise<InsertOutcome>;
  /**
   * Accept `video` at most once per Idempotency-Key and owner within 24 h: the first request with the key makes
   * the video, a repeat with the same parameters answers its id, one with other parameters is a conflict.
   */
  createOnce(video: NewVideo, once: IdempotencyKey, count?: CountGeneration): Promise<KeyedOutcome>;
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
  /** How often a keyed request also deletes expired idempotency keys (default 10 minutes). */
  idempotencyPurgeEveryMs?: number;
  /** The URL to answer for a recorded result_url (MEDIA_STORE=s3 presigned: media/store.ts). Absent: as recorded. */
  answerUrl?: (url: string) => string;
}

const IDEMPOTENCY_PURGE_EVERY_MS = 10 * 60_000;
/** The most status reads in one statement. */
const STATUS_READ_BATCH = 256;

export function createVideoService(repo: VideoRepository, options: VideoServiceOptions): VideoService {
  const answerUrl = options.answerUrl;
  // Reads that miss the cache share one statement per turn of the event loop (batcher.ts), as accepts share a
  // commit: apps polling many videos cost a round trip per batch of polls, not one each.
  const reads = createBatcher<number, StatusRow | null>(
    async (ids) => {
      const found = new Map((await repo.findStatuses(ids)).map((row) => [row.id, row]));
      return ids.map((id) => found.get(id) ?? null);
    },
    { maxItems: STATUS_READ_BATCH },
  );
  // A URL to answer differently from the recorded one (presigned) is made when the row is read, so a cached
  // row holds it for at most the cache's age of an unsettled row (statusMaxAgeMs).
  const load = answerUrl
    ? async (id: number) => {
        const row = await reads.add(id);
        return row?.resultUrl ? { ...row, resultUrl: answerUrl(row.resultUrl) } : row;
      }
    : (id: number) => reads.add(id);
  const cache = createStatusCache(load, {
    maxAgeMs: options.statusMaxAgeMs ?? 1000,
    maxEntries: options.statusCacheEntries ?? 200_000,
    staleIfUnavailableMs: options.statusStaleIfUnavailableMs,
  });
  const inserts = createBatcher<NewVideo, InsertOutcome>((batch) => repo.insertBatch(batch, options.limits), {
    maxItems: 256,
    maxBytes: 48 * 1024 * 1024,
    sizeOf: (v) => v.image?.bytes.byteLength ?? 0,
  });
  const accepted = (id: number) => {
    cache.forget(id);
    options.onAccepted?.(id);
  };

  // Keyed requests in flight in this process, by owner and key. A repeat waits for the one before it and, when
  // that one had the same parameters and got its video, answers the same id without a transaction: a burst of
  // retries holds one pool connection, not one each. The database still decides everything else.
  const flights = new Map<string, { hash: string; done: Promise<KeyedOutcome> }>();
  const purgeEvery = options.idempotencyPurgeEveryMs ?? IDEMPOTENCY_PURGE_EVERY_MS;
  let lastPurge = Number.NEGATIVE_INFINITY;
  // Keys exist only where keyed requests come, so their path purges: bounded statements, one at a time, sooner
  // again while a full batch came back (a backlog). A failure waits for the next turn; it costs only disk.
  const purgeNowAndThen = () => {
    const now = Date.now();
    if (now - lastPurge < purgeEvery) return;
    lastPurge = now;
    repo.purgeExpiredKeys().then(
      (n) => {
        if (n >= PURGE_BATCH) lastPurge = Number.NEGATIVE_INFINITY;
      },
      () => {},
    );
  };

  return {
    async create(video) {
      const outcome = await inserts.add(video);
      if (outcome.ok) accepted(outcome.id);
      return outcome;
    },
    async createOnce(video, once, count) {
      purgeNowAndThen();
      const name = JSON.stringify([video.appBundleId, video.apphudUserId, once.key]);
      const before = flights.get(name);
      const done = (async (): Promise<KeyedOutcome> => {
        if (before) {
          const prior = await before.done.catch(() => null);
          const madeIt = prior?.kind === "created" || prior?.kind === "replayed";
          if (madeIt && before.hash === once.hash) return { kind: "replayed", id: prior.id };
        }
        const outcome = await repo.acceptOnce(video, once, options.limits, count);
        if (outcome.kind === "created") accepted(outcome.id);
        return outcome;
      })();
      const flight = { hash: once.hash, done };
      flights.set(name, flight);
      try {
        return await done;
      } finally {
        if (flights.get(name) === flight) flights.delete(name);
      }
    },
    status: (id) => cache.get(id),
    cachedStatus: (id) => cache.peek(id),
    changed: (id) => cache.forget(id),
  };
}
