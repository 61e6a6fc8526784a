// The queue side of the videos table: the claim → submit → poll → record transitions. Every statement is safe
// with several instances on one database; a job's account is recorded when it is claimed, before anything
// is sent, so the holder of that account's lease (the only instance allowed to look at it) can reconcile it.
import { and, asc, eq, gte, inArray, isNotNull, isNull, lt, lte, ne, or, sql, type SQL } from "drizzle-orm";
import type { Db } from "./client.ts";
import type { FinalState, JobState } from "../domain/status.ts";
import type { RequestedSettings } from "../domain/settings.ts";
import { accountLeases, videoImages, videos } from "./schema.ts";
import { fairRound, fairRows, type FairShareWeights } from "./queue-position.ts";

export interface Job {
  id: number;
  kind: "t2v" | "i2v";
  prompt: string;
  state: JobState;
  attempts: number;
  pixverseVideoId: string | null;
  /** Pixverse's last reported video_status; null while Pixverse has never listed the video. */
  pixverseStatus: number | null;
  /** The account the job was claimed for (or found on); null while queued. */
  account: string | null;
  /** What the caller chose for this video; null: the operator's defaults. */
  settings: RequestedSettings | null;
  submittedAt: Date | null;
  createdAt: Date;
  deadlineAt: Date;
  /** The key of our copy (MEDIA_STORE); on a succeeded job: the copy exists and is what get_status answers. */
  mediaKey: string | null;
}

/** The Job columns, selected and returned by name: drizzle types the rows, nothing is mapped by hand. */
const JOB = {
  id: videos.id,
  kind: videos.kind,
  prompt: videos.prompt,
  state: videos.state,
  attempts: videos.attempts,
  pixverseVideoId: videos.pixverseVideoId,
  pixverseStatus: videos.pixverseStatus,
  account: videos.account,
  settings: videos.settings,
  submittedAt: videos.submittedAt,
  createdAt: videos.createdAt,
  deadlineAt: videos.deadlineAt,
  mediaKey: videos.mediaKey,
};

const ACTIVE = ["queued", "submitting", "generating"] as const;
const IN_FLIGHT = ["submitting", "generating"] as const;

const secondsAgo = (ms: number) => sql`now() - make_interval(secs => ${ms / 1000})`;
const secondsAhead = (ms: number) => sql`now() + make_interval(secs => ${ms / 1000})`;

/** Recording a Pixverse id that another job of the same account already holds (videos_account_pixverse_id_key). */
export class PixverseIdTaken extends Error {
  constructor(
    readonly account: string,
    readonly pixverseVideoId: string,
  ) {
    super(`Pixverse video ${pixverseVideoId} on this account already belongs to another job`);
    this.name = "PixverseIdTaken";
  }
}

/** The driver's unique-violation error (pg and PGlite both carry SQLSTATE 23505), possibly wrapped by drizzle. */
function isUniqueViolation(err: unknown, constraint: string): boolean {
  for (let e: unknown = err, depth = 0; e && typeof e === "object" && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const { code, constraint: name, message } = e as { code?: unknown; constraint?: unknown; message?: unknown };
    if (code === "23505" && (name === constraint || (typeof message === "string" && message.includes(constraint)))) return true;
  }
  return false;
}

/** Which submitting jobs a reconciliation may claim. */
export interface ReconcileScope {
  /** Accounts whose lease this instance holds: only their jobs, whoever locked them. */
  accounts: readonly string[];
  /** Also jobs that record no account (claimed before accounts were recorded at claim time). */
  unassigned: boolean;
  /** Accounts are leased: a lock whose owner no longer holds the account's lease is void. */
  leased: boolean;
}

/** The queue's transitions over an open database. */
export function createQueueQueries(db: Db) {
  const dropImages = async (ids: number[]) => {
    if (ids.length > 0) await db.delete(videoImages).where(inArray(videoImages.videoId, ids));
  };
  /** A claim this owner still holds on a job on its way to Pixverse. */
  const claimedBy = (id: number, owner: string) => and(eq(videos.id, id), eq(videos.state, "submitting"), eq(videos.lockOwner, owner));

  return {
    async findJob(id: number): Promise<(Job & { errorCode: string | null; lockOwner: string | null; resultUrl: string | null; nextAttemptAt: Date }) | null> {
      const [r] = await db
        .select({ ...JOB, errorCode: videos.errorCode, lockOwner: videos.lockOwner, resultUrl: videos.resultUrl, nextAttemptAt: videos.nextAttemptAt })
        .from(videos)
        .where(eq(videos.id, id));
      return r ?? null;
    },

    /**
     * Claim up to `max` due queued jobs for `owner` and mark them submitting, atomically. With `account`, the
     * jobs record it in the same statement: the account is known before anything is sent. Jobs are taken in
     * the fair order (queue-position.ts): in turn across end users (counting the videos each already has in
     * flight), oldest first within each, `weights` jobs per round for an app's users.
     */
    async claimQueued(owner: string, max: number, account?: string, weights: FairShareWeights = {}): Promise<Job[]> {
      if (max <= 0) return [];
      const isDue = and(eq(videos.state, "queued"), lte(videos.nextAttemptAt, sql`now()`));
      // Ranked in a subquery, locked outside it (PostgreSQL allows no FOR UPDATE beside a window function).
      // Rows another claimer holds are skipped, and one it has just claimed fails the re-checked `isDue`.
      const ranked = db.select({ id: videos.id, round: sql<number>`${fairRound(weights)}`.as("round") }).from(videos).where(fairRows()).as("ranked");
      const due = db
        .select({ id: videos.id })
        .from(videos)
        .innerJoin(ranked, eq(ranked.id, videos.id))
        .where(isDue)
        .orderBy(asc(ranked.round), asc(videos.id))
        .limit(max)
        .for("update", { of: videos, skipLocked: true });
      const claimed = await db
        .update(videos)
        .set({
          state: "submitting",
          lockOwner: owner,
          lockedAt: sql`now()`,
          submittedAt: sql`now()`,
          attempts: sql`${videos.attempts} + 1`,
          updatedAt: sql`now()`,
          ...(account === undefined ? {} : { account }),
        })
        .where(inArray(videos.id, due))
        .returning(JOB);
      return claimed.sort((a, b) => a.id - b.id);
    },

    /** A claimed job that one account refused (nothing reached Pixverse) goes to another before it is sent again. */
    async moveClaim(id: number, owner: string, account: string): Promise<boolean> {
      const moved = await db
        .update(videos)
        .set({ account, submittedAt: sql`now()`, updatedAt: sql`now()` })
        .where(and(claimedBy(id, owner), isNull(videos.pixverseVideoId)))
        .returning({ id: videos.id });
      return moved.length > 0;
    },

    /**
     * Pixverse accepted the job: record its id at once, release the lock, and drop the image (Pixverse has it).
     * Throws PixverseIdTaken when another job of the account already holds that id.
     */
    async markSubmitted(id: number, owner: string, pixverseVideoId: string, account: string): Promise<boolean> {
      let updated: { id: number }[];
      try {
        updated = await db
          .update(videos)
          .set({ state: "generating", pixverseVideoId, account, lockOwner: null, lockedAt: null, errorCode: null, errorMessage: null, updatedAt: sql`now()` })
          .where(claimedBy(id, owner))
          .returning({ id: videos.id });
      } catch (err) {
        if (isUniqueViolation(err, "videos_account_pixverse_id_key")) throw new PixverseIdTaken(account, pixverseVideoId);
        throw err;
      }
      await dropImages(updated.map((r) => r.id));
      return updated.length > 0;
    },

    /** Back to the queue after a submission that certainly did not reach Pixverse; any account may take it next. */
    async requeue(
      id: number,
      owner: string,
      options: { delayMs: number; refundAttempt?: boolean; errorCode?: string; errorMessage?: string },
    ): Promise<boolean> {
      const updated = await db
        .update(videos)
        .set({
          state: "queued",
          account: null,
          lockOwner: null,
          lockedAt: null,
          nextAttemptAt: secondsAhead(options.delayMs),
          attempts: sql`${videos.attempts} - ${options.refundAttempt ? 1 : 0}`,
          errorCode: options.errorCode ?? null,
          errorMessage: options.errorMessage ?? null,
          updatedAt: sql`now()`,
        })
        .where(claimedBy(id, owner))
        .returning({ id: videos.id });
      return updated.length > 0;
    },

    /**
     * The submission's outcome is unknown: keep the job in `submitting` with no live lock, so that only
     * reconciliation (never a blind resubmit) decides what happens next.
     */
    async markOutcomeUnknown(id: number, owner: string, message: string): Promise<boolean> {
      const updated = await db
        .update(videos)
        .set({ lockOwner: null, lockedAt: null, errorCode: "unknown_outcome", errorMessage: message, updatedAt: sql`now()` })
        .where(claimedBy(id, owner))
        .returning({ id: videos.id });
      return updated.length > 0;
    },

    /**
     * Claim jobs left in `submitting` without a live lock (crash, timeout) for reconciliation. With a `scope`,
     * only jobs of the accounts it names, and a lock counts as live only while its owner still holds the
     * account's lease: an instance that lost the lease (or died) no longer reaches that account, so the new
     * holder takes its jobs over at once. Without one (a single instance), any job whose lock has lapsed.
     */
    async claimUnreconciled(owner: string, lockTtlMs: number, max: number, graceMs: number, scope?: ReconcileScope): Promise<Job[]> {
      if (scope && scope.accounts.length === 0 && !scope.unassigned) return [];
      const lockLapsed = or(isNull(videos.lockOwner), lt(videos.lockedAt, secondsAgo(lockTtlMs)));
      let where: SQL | undefined;
      if (!scope) {
        where = lockLapsed;
      } else {
        const leaseLost = and(
          isNotNull(videos.account),
          ne(videos.lockOwner, owner),
          sql`not exists (select 1 from ${accountLeases} where ${accountLeases.account} = ${videos.account}
                and ${accountLeases.holder} = ${videos.lockOwner} and ${accountLeases.expiresAt} > now())`,
        );
        const held = scope.accounts.length > 0 ? inArray(videos.account, [...scope.accounts]) : undefined;
        const accountIn = scope.unassigned ? or(held, isNull(videos.account)) : held;
        where = and(accountIn, scope.leased ? or(lockLapsed, leaseLost) : lockLapsed);
      }
      const stuck = db
        .select({ id: videos.id })
        .from(videos)
        .where(and(eq(videos.state, "submitting"), lt(sql`coalesce(${videos.submittedAt}, ${videos.createdAt})`, secondsAgo(graceMs)), where))
        .orderBy(asc(videos.id))
        .limit(max)
        .for("update", { skipLocked: true });
      return db
        .update(videos)
        .set({ lockOwner: owner, lockedAt: sql`now()`, updatedAt: sql`now()` })
        .where(inArray(videos.id, stuck))
        .returning(JOB);
    },

    /** Release a reconciliation claim without a decision; it is tried again later. */
    async releaseClaim(id: number, owner: string): Promise<void> {
      await db
        .update(videos)
        .set({ lockOwner: null, lockedAt: null, updatedAt: sql`now()` })
        .where(and(eq(videos.id, id), eq(videos.lockOwner, owner)));
    },

    /** At start: locks this owner held in an earlier life are void; their jobs go to reconciliation. */
    async resetLocksOf(owner: string): Promise<number> {
      const reset = await db
        .update(videos)
        .set({ lockOwner: null, lockedAt: null, updatedAt: sql`now()` })
        .where(eq(videos.lockOwner, owner))
        .returning({ id: videos.id });
      return reset.length;
    },

    /** Jobs at Pixverse on these accounts (the ones this instance polls). */
    async listGenerating(accounts: readonly string[]): Promise<Job[]> {
      if (accounts.length === 0) return [];
      return db
        .select(JOB)
        .from(videos)
        .where(and(eq(videos.state, "generating"), inArray(videos.account, [...accounts])))
        .orderBy(asc(videos.id));
    },

    /** Videos of these accounts that succeeded within `watchMs`: Pixverse may still delete or moderate them. */
    async listRecentlySucceeded(accounts: readonly string[], watchMs: number): Promise<Job[]> {
      if (accounts.length === 0 || watchMs <= 0) return [];
      return db
        .select(JOB)
        .from(videos)
        .where(and(eq(videos.state, "succeeded"), sql`${videos.finishedAt} > ${secondsAgo(watchMs)}`, inArray(videos.account, [...accounts])))
        .orderBy(asc(videos.id));
    },

    /**
     * Pixverse ids on `account` recorded by jobs other than `jobId` since `since`: a reconciliation must never
     * take one of them. The database is the record of which job holds which video, across instances.
     */
    async pixverseIdsOf(account: string, jobId: number, since: Date): Promise<string[]> {
      const rows = await db
        .select({ pixverseVideoId: videos.pixverseVideoId })
        .from(videos)
        .where(and(eq(videos.account, account), isNotNull(videos.pixverseVideoId), ne(videos.id, jobId), gte(videos.submittedAt, since)));
      return rows.flatMap((r) => (r.pixverseVideoId === null ? [] : [r.pixverseVideoId]));
    },

    /**
     * Pixverse deleted or moderated a video after delivering it: the answer changes from the URL to that.
     * Not a video we answer with our own copy (media_key): that one stays delivered.
     */
    async revokeSuccess(id: number, state: "deleted" | "moderated", pixverseStatus: number | null): Promise<boolean> {
      const updated = await db
        .update(videos)
        .set({
          state,
          ...(pixverseStatus === null ? {} : { pixverseStatus }),
          errorCode: pixverseStatus === null ? "pixverse_gone" : `pixverse_status_${pixverseStatus}`,
          errorMessage: "changed by Pixverse after delivery",
          finishedAt: sql`now()`,
          updatedAt: sql`now()`,
        })
        .where(and(eq(videos.id, id), eq(videos.state, "succeeded"), isNull(videos.mediaKey)))
        .returning({ id: videos.id });
      return updated.length > 0;
    },

    /** Jobs submitting or at Pixverse, per account (accounts without any are absent). */
    async countInFlightByAccount(accounts: readonly string[]): Promise<Map<string, number>> {
      if (accounts.length === 0) return new Map();
      const rows = await db
        .select({ account: videos.account, n: sql<number>`count(*)`.mapWith(Number) })
        .from(videos)
        .where(and(inArray(videos.state, [...IN_FLIGHT]), inArray(videos.account, [...accounts])))
        .groupBy(videos.account);
      return new Map(rows.flatMap((r) => (r.account === null ? [] : [[r.account, r.n] as const])));
    },

    /** Record Pixverse's raw status without ending the job. */
    async notePixverseStatus(id: number, status: number): Promise<void> {
      await db
        .update(videos)
        .set({ pixverseStatus: status })
        .where(and(eq(videos.id, id), sql`${videos.pixverseStatus} is distinct from ${status}`));
    },

    /**
     * End a job; a job already ended stays as it was. Returns whether this call ended it. `whileGenerating`: end
     * it only while it is `generating` with this Pixverse video id (the media copier's end: a job failed and
     * requeued meanwhile has a new video, which an old copy must not end).
     */
    async finish(
      id: number,
      state: FinalState,
      details: {
        url?: string;
        pixverseStatus?: number;
        errorCode?: string;
        errorMessage?: string;
        owner?: string;
        mediaKey?: string | null;
        whileGenerating?: string;
      },
    ): Promise<boolean> {
      const ownerCheck = details.owner === undefined ? undefined : or(isNull(videos.lockOwner), eq(videos.lockOwner, details.owner));
      const videoCheck =
        details.whileGenerating === undefined
          ? undefined
          : and(eq(videos.state, "generating"), eq(videos.pixverseVideoId, details.whileGenerating));
      const updated = await db
        .update(videos)
        .set({
          state,
          resultUrl: details.url ?? null,
          // MEDIA_STORE: the key of the copy `url` points at; null when the copy was given up (Pixverse's URL).
          ...(details.mediaKey === undefined ? {} : { mediaKey: details.mediaKey }),
          ...(details.pixverseStatus === undefined ? {} : { pixverseStatus: details.pixverseStatus }),
          errorCode: details.errorCode ?? null,
          errorMessage: details.errorMessage ?? null,
          lockOwner: null,
          lockedAt: null,
          finishedAt: sql`now()`,
          updatedAt: sql`now()`,
        })
        .where(and(eq(videos.id, id), inArray(videos.state, [...ACTIVE]), ownerCheck, videoCheck))
        .returning({ id: videos.id });
      await dropImages(updated.map((r) => r.id));
      return updated.length > 0;
    },

    /** End every unfinished job past its deadline as failed; returns their ids. */
    async failExpired(): Promise<number[]> {
      const expired = db
        .select({ id: videos.id })
        .from(videos)
        .where(and(inArray(videos.state, [...ACTIVE]), lt(videos.deadlineAt, sql`now()`)))
        .for("update", { skipLocked: true });
      const ended = await db
        .update(videos)
        .set({
          state: "failed",
          errorCode: "deadline",
          errorMessage: "the job did not finish before its deadline",
          lockOwner: null,
          lockedAt: null,
          finishedAt: sql`now()`,
          updatedAt: sql`now()`,
        })
        .where(inArray(videos.id, expired))
        .returning({ id: videos.id });
      const ids = ended.map((r) => r.id);
      await dropImages(ids);
      return ids;
    },

    /** Is any queued job due now? (Cheap: the claim index.) */
    async hasDueQueued(): Promise<boolean> {
      const due = await db
        .select({ id: videos.id })
        .from(videos)
        .where(and(eq(videos.state, "queued"), lte(videos.nextAttemptAt, sql`now()`)))
        .limit(1);
      return due.length > 0;
    },
  };
}
