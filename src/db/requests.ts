// The API side of the videos table: accepting requests (group-committed, limits enforced exactly), reading a
// status, the stored image of an i2v request, and the queue's counts.
import { sql } from "drizzle-orm";
import type { Database, Db } from "./client.ts";
import type { JobState } from "../domain/status.ts";
import type { RequestedSettings } from "../domain/settings.ts";
import { INT4_MAX, type ImageType } from "../domain/limits.ts";
import { insertImageByCopy, loadImageBytesByCopy, pgliteClientOf } from "./pglite-bytea.ts";
import { hexToBytes, rows, type Row } from "./sql-rows.ts";

export interface NewVideo {
  appBundleId: string;
  apphudUserId: string;
  clientIp: string | null;
  kind: "t2v" | "i2v";
  prompt: string;
  /** What the caller chose (only the keys given); absent or null: the operator's defaults, stored as null. */
  settings?: RequestedSettings | null;
  image?: { bytes: Uint8Array; type: ImageType; width: number; height: number };
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

// accept_videos's decisions as one text value, a word per request in batch order (its id, or the limit that
// refused it): one row for the driver to parse instead of one per request. Followed by the arguments.
const DECIDE = "select string_agg(coalesce(video_id::text, refused), ' ' order by ord) as decisions from accept_videos";

/** A limit as an int4 argument written into SQL text (config already bounds it; this keeps the text safe). */
function int4(n: number): string {
  if (!Number.isInteger(n) || n < 0 || n > INT4_MAX) throw new RangeError(`not an int4 limit: ${n}`);
  return String(n);
}

/** Requests and their images over an open database; on PostgreSQL, text-only inserts use its held connection. */
export function createRequestQueries(database: Pick<Database, "db" | "held">) {
  const { db, held } = database;
  return {
    /**
     * Insert a batch of requests in one transaction (one commit for all: group commit), enforcing the
     * per-user and queue-depth limits exactly. Outcomes come back in the order of `batch`.
     */
    async insertBatch(batch: NewVideo[], limits: InsertLimits): Promise<InsertOutcome[]> {
      // `s` is left out (undefined) for a request without settings: the function reads it as null.
      const payload = JSON.stringify(
        batch.map((v, i) => ({ o: i, a: v.appBundleId, u: v.apphudUserId, ip: v.clientIp, k: v.kind, p: v.prompt, s: v.settings ?? undefined })),
      );
      const accept = async (t: Db) =>
        toOutcomes(
          await rows(
            t,
            sql`${sql.raw(DECIDE)}(${payload}::jsonb, ${limits.maxActivePerUser}, ${limits.maxQueueDepth}, ${limits.deadlineMinutes})`,
          ),
        );
      const toOutcomes = (result: Row[]): InsertOutcome[] => {
        const words = String(result[0]?.decisions ?? "").split(" ");
        if (words.length !== batch.length) throw new Error(`accept_videos decided ${words.length} of ${batch.length} requests`);
        return words.map((w): InsertOutcome =>
          w === "active_videos_per_user" || w === "queue_depth" ? { ok: false, limit: w } : { ok: true, id: Number(w) },
        );
      };
      // Text only: one statement, committed on its own (the function holds the insert lock until then).
      if (!batch.some((v) => v.image)) {
        if (held) {
          const [a, q, d] = [limits.maxActivePerUser, limits.maxQueueDepth, limits.deadlineMinutes].map(int4);
          return toOutcomes(await held((literal) => `${DECIDE}(${literal(payload)}::jsonb, ${a}, ${q}, ${d})`));
        }
        return accept(db);
      }
      // With images: the rows and their images commit together.
      return db.transaction(async (tx) => {
        const t = tx as unknown as Db;
        const outcomes = await accept(t);
        const pglite = pgliteClientOf(tx);
        for (let i = 0; i < batch.length; i++) {
          const image = batch[i]!.image;
          const outcome = outcomes[i]!;
          if (!image || !outcome.ok) continue;
          if (pglite) await insertImageByCopy(pglite, { videoId: outcome.id, ...image });
          else {
            await t.execute(
              sql`insert into video_images (video_id, bytes, type, width, height)
                  values (${outcome.id}, ${image.bytes}, ${image.type}, ${image.width}, ${image.height})`,
            );
          }
        }
        return outcomes;
      });
    },

    async findStatus(id: number): Promise<StatusRow | null> {
      const [r] = await rows(
        db,
        sql`select id, app_bundle_id, apphud_user_id, state, result_url from videos where id = ${id}`,
      );
      if (!r) return null;
      return {
        id: Number(r.id),
        appBundleId: String(r.app_bundle_id),
        apphudUserId: String(r.apphud_user_id),
        state: r.state as JobState,
        resultUrl: (r.result_url as string | null) ?? null,
      };
    },

    async loadImage(id: number): Promise<JobImage | null> {
      const pglite = pgliteClientOf(db);
      if (pglite) {
        const [meta] = await rows(db, sql`select type, width, height from video_images where video_id = ${id}`);
        const bytes = meta ? await loadImageBytesByCopy(pglite, id) : null;
        if (!meta || !bytes) return null;
        return { bytes, type: meta.type as ImageType, width: Number(meta.width), height: Number(meta.height) };
      }
      const [r] = await rows(db, sql`select bytes, type, width, height from video_images where video_id = ${id}`);
      if (!r) return null;
      const raw = r.bytes as Uint8Array | string;
      const bytes = typeof raw === "string" ? hexToBytes(raw) : new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength);
      return { bytes, type: r.type as ImageType, width: Number(r.width), height: Number(r.height) };
    },

    /** How many videos are in each state (one grouped count; for the metrics' queue depth). Read-only. */
    /** Jobs not yet final, by state (the partial indexes of the active states keep this cheap on a large table). */
    async countByState(): Promise<Record<string, number>> {
      const counts: Record<string, number> = {};
      const found = await rows(db, sql`select state, count(*)::int as n from videos where state in ('queued', 'submitting', 'generating') group by state`);
      for (const r of found) counts[String(r.state)] = Number(r.n);
      return counts;
    },

    async queueDepth(): Promise<number> {
      const [r] = await rows(db, sql`select waiting from queue_stats where id = 1`);
      return Number(r?.waiting ?? 0);
    },
  };
}
