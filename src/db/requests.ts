// The API side of the videos table: accepting requests (group-committed, limits enforced exactly), reading a
// status, the stored image of an i2v request, and the queue's counts. Reads and image inserts go through
// drizzle's query builder; accepting is a call of the SQL function accept_videos (drizzle/0009), with parameters:
// the only way rows enter `videos` (it keeps queue_stats' count of them).
import { count, eq, inArray, sql, type SQL } from "drizzle-orm";
import type pg from "pg";
import type { Database, Db } from "./client.ts";
import { queueStats, videoImages, videos } from "./schema.ts";
import { ACTIVE_STATES, type JobState } from "../domain/status.ts";
import type { RequestedSettings } from "../domain/settings.ts";
import type { ImageType } from "../domain/limits.ts";
import { insertImageByCopy, loadImageBytesByCopy, pgliteClientOf } from "./pglite-bytea.ts";
import { int, rows, textOrNull, type Row } from "./sql-rows.ts";

export interface NewVideo {
  appBundleId: string;
  apphudUserId: string;
  clientIp: string | null;
  kind: "t2v" | "i2v";
  prompt: string;
  /** What the caller chose (only the keys given); absent or null: the operator's defaults, stored as null. */
  settings?: RequestedSettings | null;
  image?: { bytes: Uint8Array; type: ImageType; width: number; height: number };
  /** Where to POST the video.finished event (webhooks); absent: none. */
  callbackUrl?: string | null;
}

export interface InsertLimits {
  maxActivePerUser: number;
  maxQueueDepth: number;
  deadlineMinutes: number;
}

export type InsertOutcome = { ok: true; id: number } | { ok: false; limit: "active_videos_per_user" | "queue_depth" };

export interface StatusRow {
  id: number;
  appBundleId: string;
  apphudUserId: string;
  state: JobState;
  resultUrl: string | null;
}

export interface JobImage {
  bytes: Uint8Array;
  type: ImageType;
  width: number;
  height: number;
}

/**
 * accept_videos(batch, max_active, max_waiting, deadline_minutes): inserts the batch's accepted requests and
 * answers one row per request, in batch order: its new id, or the limit that refused it. The batch travels as
 * one jsonb parameter (`s` and `cb` left out for a request without settings or callback URL: the function reads
 * them as null).
 */
function acceptVideos(batch: NewVideo[], limits: InsertLimits): SQL {
  return sql`select video_id, refused from accept_videos(${acceptPayload(batch)}::jsonb, ${limits.maxActivePerUser}, ${limits.maxQueueDepth}, ${limits.deadlineMinutes}) order by ord`;
}

/** The batch as accept_videos reads it. */
function acceptPayload(batch: NewVideo[]): string {
  return JSON.stringify(
    batch.map((v, i) => ({ o: i, a: v.appBundleId, u: v.apphudUserId, ip: v.clientIp, k: v.kind, p: v.prompt, s: v.settings ?? undefined, cb: v.callbackUrl ?? undefined })),
  );
}

/**
 * The same call as acceptVideos, as a named prepared statement on the held connection: PostgreSQL parses and
 * plans it once per connection instead of once per batch (an unnamed statement is parsed and planned again
 * each time), on the serial path every group-commit batch takes. PGlite and transactions use acceptVideos.
 */
const ACCEPT_STATEMENT = {
  name: "accept_videos",
  text: "select video_id, refused from accept_videos($1::jsonb, $2, $3, $4) order by ord",
};

async function acceptPrepared(client: pg.PoolClient, batch: NewVideo[], limits: InsertLimits): Promise<InsertOutcome[]> {
  const values = [acceptPayload(batch), limits.maxActivePerUser, limits.maxQueueDepth, limits.deadlineMinutes];
  return decide(batch, (await client.query<Row>({ ...ACCEPT_STATEMENT, values })).rows);
}

/** One row of accept_videos. */
function toOutcome(r: Row): InsertOutcome {
  if (r.video_id !== null && r.video_id !== undefined) return { ok: true, id: int(r.video_id) };
  const refused = textOrNull(r.refused);
  if (refused === "active_videos_per_user" || refused === "queue_depth") return { ok: false, limit: refused };
  throw new Error(`accept_videos refused a request for an unknown reason: ${refused}`);
}

async function accept(db: Db, batch: NewVideo[], limits: InsertLimits): Promise<InsertOutcome[]> {
  return decide(batch, await rows(db, acceptVideos(batch, limits)));
}

function decide(batch: NewVideo[], decided: Row[]): InsertOutcome[] {
  if (decided.length !== batch.length) throw new Error(`accept_videos decided ${decided.length} of ${batch.length} requests`);
  return decided.map(toOutcome);
}

/**
 * accept_videos and the accepted requests' images, inside the caller's transaction `tx` (the images must commit
 * with their rows). Also used by an Idempotency-Key's transaction (idempotency.ts), which claims the key first.
 */
export async function acceptWithImages(tx: Db, batch: NewVideo[], limits: InsertLimits): Promise<InsertOutcome[]> {
  const outcomes = await accept(tx, batch, limits);
  const images = batch.flatMap((v, i) => {
    const outcome = outcomes[i]!;
    return v.image && outcome.ok ? [{ videoId: outcome.id, ...v.image }] : [];
  });
  const pglite = pgliteClientOf(tx);
  if (pglite) for (const image of images) await insertImageByCopy(pglite, image);
  else if (images.length > 0) await tx.insert(videoImages).values(images);
  return outcomes;
}

/** Requests and their images over an open database; on PostgreSQL, text-only batches use its held connection. */
export function createRequestQueries(database: Pick<Database, "db" | "held">) {
  const { db, held } = database;
  const findStatuses = (ids: readonly number[]): Promise<StatusRow[]> =>
    db
      .select({ id: videos.id, appBundleId: videos.appBundleId, apphudUserId: videos.apphudUserId, state: videos.state, resultUrl: videos.resultUrl })
      .from(videos)
      .where(inArray(videos.id, [...ids]));
  return {
    /**
     * Insert a batch of requests in one transaction (one commit for all: group commit), enforcing the
     * per-user and queue-depth limits exactly. Outcomes come back in the order of `batch`.
     */
    async insertBatch(batch: NewVideo[], limits: InsertLimits): Promise<InsertOutcome[]> {
      // Text only: one statement, committed on its own (the function holds the insert lock until then).
      if (!batch.some((v) => v.image)) return held ? held((_, client) => acceptPrepared(client, batch, limits)) : accept(db, batch, limits);
      // With images: the rows and their images commit together.
      return db.transaction((tx) => acceptWithImages(tx, batch, limits));
    },

    /** The rows of `ids` in one statement, in no particular order; an id with no row is left out. */
    findStatuses,

    async findStatus(id: number): Promise<StatusRow | null> {
      const [found] = await findStatuses([id]);
      return found ?? null;
    },

    async loadImage(id: number): Promise<JobImage | null> {
      const meta = { type: videoImages.type, width: videoImages.width, height: videoImages.height };
      const pglite = pgliteClientOf(db);
      if (pglite) {
        const [found] = await db.select(meta).from(videoImages).where(eq(videoImages.videoId, id));
        const bytes = found ? await loadImageBytesByCopy(pglite, id) : null;
        return found && bytes ? { ...found, bytes } : null;
      }
      const [found] = await db.select({ ...meta, bytes: videoImages.bytes }).from(videoImages).where(eq(videoImages.videoId, id));
      if (!found) return null;
      // node-postgres hands bytea over as a Buffer; callers get a plain Uint8Array over the same memory.
      const { bytes } = found;
      return { ...found, bytes: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) };
    },

    /** Jobs not yet final, by state (the partial indexes of the active states keep this cheap on a large table). */
    async countByState(): Promise<Record<string, number>> {
      const found = await db
        .select({ state: videos.state, n: count() })
        .from(videos)
        .where(inArray(videos.state, ACTIVE_STATES))
        .groupBy(videos.state);
      return Object.fromEntries(found.map((r) => [r.state, r.n]));
    },

    async queueDepth(): Promise<number> {
      const [found] = await db.select({ waiting: queueStats.waiting }).from(queueStats).where(eq(queueStats.id, 1));
      return found?.waiting ?? 0;
    },
  };
}
