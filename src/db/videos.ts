// The one file that writes SQL for videos: inserting requests, reading a status, and the queue's
// claim → submit → poll → record transitions. Every statement is safe with several instances on one database.
import { sql } from "drizzle-orm";
import type { Database, Db } from "./client.ts";
import type { FinalState, JobState } from "../domain/status.ts";
import type { RequestedSettings } from "../domain/settings.ts";
import { INT4_MAX, type ImageType } from "../domain/limits.ts";
import { insertImageByCopy, loadImageBytesByCopy, pgliteClientOf } from "./pglite-bytea.ts";

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

export interface Job {
  id: number;
  kind: "t2v" | "i2v";
  prompt: string;
  state: JobState;
  attempts: number;
  pixverseVideoId: string | null;
  /** Pixverse's last reported video_status; null while Pixverse has never listed the video. */
  pixverseStatus: number | null;
  account: string | null;
  /** What the caller chose for this video; null: the operator's defaults. */
  settings: RequestedSettings | null;
  submittedAt: Date | null;
  createdAt: Date;
  deadlineAt: Date;
}

export interface JobImage {
  bytes: Uint8Array;
  type: ImageType;
  width: number;
  height: number;
}

type Row = Record<string, unknown>;

async function rows(db: Db, query: ReturnType<typeof sql>): Promise<Row[]> {
  const result = (await db.execute(query)) as unknown as { rows: Row[] };
  return result.rows;
}

/** Raw SQL returns timestamps as PostgreSQL text (`2026-11-25 17:00:00.12+00`); make them Dates. */
function toDate(v: unknown): Date | null {
  if (v === null || v === undefined) return null;
  if (v instanceof Date) return v;
  return new Date(String(v).replace(" ", "T").replace(/([+-]\d\d)$/, "$1:00"));
}

function toJob(r: Row): Job {
  return {
    id: Number(r.id),
    kind: r.kind as Job["kind"],
    prompt: String(r.prompt),
    state: r.state as JobState,
    attempts: Number(r.attempts),
    pixverseVideoId: (r.pixverse_video_id as string | null) ?? null,
    pixverseStatus: r.pixverse_status === null || r.pixverse_status === undefined ? null : Number(r.pixverse_status),
    account: (r.account as string | null) ?? null,
    settings: (r.settings as RequestedSettings | null | undefined) ?? null,
    submittedAt: toDate(r.submitted_at),
    createdAt: toDate(r.created_at)!,
    deadlineAt: toDate(r.deadline_at)!,
  };
}

// accept_videos's decisions as one text value, a word per request in batch order (its id, or the limit that
// refused it): one row for the driver to parse instead of one per request. Followed by the arguments.
const DECIDE = "select string_agg(coalesce(video_id::text, refused), ' ' order by ord) as decisions from accept_videos";

/** A limit as an int4 argument written into SQL text (config already bounds it; this keeps the text safe). */
function int4(n: number): string {
  if (!Number.isInteger(n) || n < 0 || n > INT4_MAX) throw new RangeError(`not an int4 limit: ${n}`);
  return String(n);
}

const JOB_COLUMNS = sql.raw(
  "id, kind, prompt, state, attempts, pixverse_video_id, pixverse_status, account, settings, submitted_at, created_at, deadline_at",
);

/** The repository over an open database; on PostgreSQL, text-only inserts use its held connection. */
export function createVideoRepository(database: Pick<Database, "db" | "held">) {
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

    async findJob(id: number): Promise<(Job & { errorCode: string | null; lockOwner: string | null; resultUrl: string | null; nextAttemptAt: Date }) | null> {
      const [r] = await rows(db, sql`select * from videos where id = ${id}`);
      if (!r) return null;
      return {
        ...toJob(r),
        errorCode: (r.error_code as string | null) ?? null,
        lockOwner: (r.lock_owner as string | null) ?? null,
        resultUrl: (r.result_url as string | null) ?? null,
        nextAttemptAt: toDate(r.next_attempt_at)!,
      };
    },

    /** Claim up to `max` due queued jobs for `owner` and mark them submitting, atomically. */
    async claimQueued(owner: string, max: number): Promise<Job[]> {
      if (max <= 0) return [];
      const claimed = await rows(
        db,
        sql`update videos set state = 'submitting', lock_owner = ${owner}, locked_at = now(), submitted_at = now(),
                   attempts = attempts + 1, updated_at = now()
            where id in (
              select id from videos where state = 'queued' and next_attempt_at <= now()
              order by next_attempt_at, id limit ${max} for update skip locked)
            returning ${JOB_COLUMNS}`,
      );
      return claimed.map(toJob).sort((a, b) => a.id - b.id);
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

    /** Pixverse accepted the job: record its id at once, release the lock, and drop the image (Pixverse has it). */
    async markSubmitted(id: number, owner: string, pixverseVideoId: string, account: string): Promise<boolean> {
      const updated = await rows(
        db,
        sql`update videos set state = 'generating', pixverse_video_id = ${pixverseVideoId}, account = ${account},
                   lock_owner = null, locked_at = null, error_code = null, error_message = null, updated_at = now()
            where id = ${id} and state = 'submitting' and lock_owner = ${owner}
            returning id`,
      );
      if (updated.length > 0) await db.execute(sql`delete from video_images where video_id = ${id}`);
      return updated.length > 0;
    },

    /** Back to the queue after a submission that certainly did not reach Pixverse. */
    async requeue(
      id: number,
      owner: string,
      options: { delayMs: number; refundAttempt?: boolean; errorCode?: string; errorMessage?: string },
    ): Promise<boolean> {
      const updated = await rows(
        db,
        sql`update videos set state = 'queued', lock_owner = null, locked_at = null,
                   next_attempt_at = now() + make_interval(secs => ${options.delayMs / 1000}),
                   attempts = attempts - ${options.refundAttempt ? 1 : 0},
                   error_code = ${options.errorCode ?? null}, error_message = ${options.errorMessage ?? null}, updated_at = now()
            where id = ${id} and state = 'submitting' and lock_owner = ${owner}
            returning id`,
      );
      return updated.length > 0;
    },

    /**
     * The submission's outcome is unknown: keep the job in `submitting` with no live lock, so that only
     * reconciliation (never a blind resubmit) decides what happens next.
     */
    async markOutcomeUnknown(id: number, owner: string, message: string): Promise<boolean> {
      const updated = await rows(
        db,
        sql`update videos set lock_owner = null, locked_at = null, error_code = 'unknown_outcome',
                   error_message = ${message}, updated_at = now()
            where id = ${id} and state = 'submitting' and lock_owner = ${owner}
            returning id`,
      );
      return updated.length > 0;
    },

    /** Claim jobs left in `submitting` without a live lock (crash, timeout) for reconciliation. */
    async claimUnreconciled(owner: string, lockTtlMs: number, max: number, graceMs: number): Promise<Job[]> {
      const claimed = await rows(
        db,
        sql`update videos set lock_owner = ${owner}, locked_at = now(), updated_at = now()
            where id in (
              select id from videos where state = 'submitting'
                and (lock_owner is null or locked_at < now() - make_interval(secs => ${lockTtlMs / 1000}))
                and coalesce(submitted_at, created_at) < now() - make_interval(secs => ${graceMs / 1000})
              order by id limit ${max} for update skip locked)
            returning ${JOB_COLUMNS}`,
      );
      return claimed.map(toJob);
    },

    /** Release a reconciliation claim without a decision; it is tried again later. */
    async releaseClaim(id: number, owner: string): Promise<void> {
      await db.execute(
        sql`update videos set lock_owner = null, locked_at = null, updated_at = now()
            where id = ${id} and lock_owner = ${owner}`,
      );
    },

    /** At start: locks this owner held in an earlier life are void; their jobs go to reconciliation. */
    async resetLocksOf(owner: string): Promise<number> {
      const r = await rows(
        db,
        sql`update videos set lock_owner = null, locked_at = null, updated_at = now()
            where lock_owner = ${owner} returning id`,
      );
      return r.length;
    },

    /** Jobs at Pixverse that this instance polls. */
    async listGenerating(accounts: string[]): Promise<Job[]> {
      if (accounts.length === 0) return [];
      const list = await rows(
        db,
        sql`select ${JOB_COLUMNS} from videos
            where state = 'generating' and account in (select jsonb_array_elements_text(${JSON.stringify(accounts)}::jsonb))
            order by id`,
      );
      return list.map(toJob);
    },

    /** Videos of these accounts that succeeded within `watchMs`: Pixverse may still delete or moderate them. */
    async listRecentlySucceeded(accounts: string[], watchMs: number): Promise<Job[]> {
      if (accounts.length === 0 || watchMs <= 0) return [];
      const list = await rows(
        db,
        sql`select ${JOB_COLUMNS} from videos
            where state = 'succeeded' and finished_at > now() - make_interval(secs => ${watchMs / 1000})
              and account in (select jsonb_array_elements_text(${JSON.stringify(accounts)}::jsonb))
            order by id`,
      );
      return list.map(toJob);
    },

    /** Pixverse deleted or moderated a video after delivering it: the answer changes from the URL to that. */
    async revokeSuccess(id: number, state: "deleted" | "moderated", pixverseStatus: number | null): Promise<boolean> {
      const updated = await rows(
        db,
        sql`update videos set state = ${state}, pixverse_status = coalesce(${pixverseStatus}::int, pixverse_status),
                   error_code = ${pixverseStatus === null ? "pixverse_gone" : `pixverse_status_${pixverseStatus}`},
                   error_message = 'changed by Pixverse after delivery',
                   finished_at = now(), updated_at = now()
            where id = ${id} and state = 'succeeded'
            returning id`,
      );
      return updated.length > 0;
    },

    /** How many videos are in each state (one grouped count; for the metrics' queue depth). Read-only. */
    /** Jobs not yet final, by state (the partial indexes of the active states keep this cheap on a large table). */
    async countByState(): Promise<Record<string, number>> {
      const counts: Record<string, number> = {};
      const found = await rows(db, sql`select state, count(*)::int as n from videos where state in ('queued', 'submitting', 'generating') group by state`);
      for (const r of found) counts[String(r.state)] = Number(r.n);
      return counts;
    },

    async countInFlight(accounts: string[]): Promise<number> {
      const [r] = await rows(
        db,
        sql`select count(*)::int as n from videos where state in ('submitting', 'generating')
            and (account is null or account in (select jsonb_array_elements_text(${JSON.stringify(accounts)}::jsonb)))`,
      );
      return Number(r?.n ?? 0);
    },

    /** Record Pixverse's raw status without ending the job. */
    async notePixverseStatus(id: number, status: number): Promise<void> {
      await db.execute(sql`update videos set pixverse_status = ${status} where id = ${id} and pixverse_status is distinct from ${status}`);
    },

    /** End a job; a job already ended stays as it was. Returns whether this call ended it. */
    async finish(
      id: number,
      state: FinalState,
      details: { url?: string; pixverseStatus?: number; errorCode?: string; errorMessage?: string; owner?: string },
    ): Promise<boolean> {
      const ownerCheck = details.owner === undefined ? sql`` : sql` and (lock_owner is null or lock_owner = ${details.owner})`;
      const updated = await rows(
        db,
        sql`update videos set state = ${state}, result_url = ${details.url ?? null},
                   pixverse_status = coalesce(${details.pixverseStatus ?? null}::int, pixverse_status),
                   error_code = ${details.errorCode ?? null}, error_message = ${details.errorMessage ?? null},
                   lock_owner = null, locked_at = null, finished_at = now(), updated_at = now()
            where id = ${id} and state in ('queued', 'submitting', 'generating')${ownerCheck}
            returning id`,
      );
      if (updated.length > 0) await db.execute(sql`delete from video_images where video_id = ${id}`);
      return updated.length > 0;
    },

    /** End every unfinished job past its deadline as failed; returns their ids. */
    async failExpired(): Promise<number[]> {
      const expired = await rows(
        db,
        sql`update videos set state = 'failed', error_code = 'deadline',
                   error_message = 'the job did not finish before its deadline',
                   lock_owner = null, locked_at = null, finished_at = now(), updated_at = now()
            where id in (select id from videos where state in ('queued', 'submitting', 'generating') and deadline_at < now()
                         for update skip locked)
            returning id`,
      );
      const ids = expired.map((r) => Number(r.id));
      if (ids.length > 0) {
        await db.execute(sql`delete from video_images where video_id in (select jsonb_array_elements_text(${JSON.stringify(ids)}::jsonb)::bigint)`);
      }
      return ids;
    },

    /** Is any queued job due now? (Cheap: the claim index.) */
    async hasDueQueued(): Promise<boolean> {
      const [r] = await rows(db, sql`select exists(select 1 from videos where state = 'queued' and next_attempt_at <= now()) as due`);
      return r?.due === true || r?.due === "t";
    },

    async queueDepth(): Promise<number> {
      const [r] = await rows(db, sql`select waiting from queue_stats where id = 1`);
      return Number(r?.waiting ?? 0);
    },
  };
}

export type VideoRepository = ReturnType<typeof createVideoRepository>;

function hexToBytes(hex: string): Uint8Array {
  const clean = hex.startsWith("\\x") ? hex.slice(2) : hex;
  return Uint8Array.from(Buffer.from(clean, "hex"));
}
