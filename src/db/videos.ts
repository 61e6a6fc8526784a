// The videos table is both the record of every request and the job queue; its statements live in one file
// per side: requests.ts (what the API writes and reads) and queue.ts (what the dispatcher moves).
import type { Database } from "./client.ts";
import { createRequestQueries } from "./requests.ts";
import { createQueueQueries } from "./queue.ts";
import { createIdempotencyQueries } from "./idempotency.ts";

export type { InsertLimits, InsertOutcome, JobImage, NewVideo, StatusRow } from "./requests.ts";
export type { Job } from "./queue.ts";
export type { CountGeneration, IdempotencyKey, KeyedOutcome } from "./idempotency.ts";

/** Both sides over one open database (and the Idempotency-Key accept path, idempotency.ts). */
export function createVideoRepository(database: Pick<Database, "db" | "held">) {
  return { ...createRequestQueries(database), ...createQueueQueries(database.db), ...createIdempotencyQueries(database) };
}

export type VideoRepository = ReturnType<typeof createVideoRepository>;
