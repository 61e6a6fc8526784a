// The queue side of the videos table: the claim → submit → poll → record transitions. Every statement is safe
// with several instances on one database.
import { sql } from "drizzle-orm";
import type { Db } from "./client.ts";
import type { FinalState, JobState } from "../domain/status.ts";
import type { RequestedSettings } from "../domain/settings.ts";
import { rows, toDate, type Row } from "./sql-rows.ts";

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

const JOB_COLUMNS = sql.raw(
  "id, kind, prompt, state, attempts, pixverse_video_id, pixverse_status, account, settings, submitted_at, created_at, deadline_at",
);

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

/** The queue's transitions over an open database. */
export function createQueueQueries(db: Db) {
  return {

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
  };
}
