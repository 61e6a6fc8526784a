// What the operator page (/admin) reads and writes: the operator's controls of each Pixverse account
// (account_controls: paused, a sign-in asked for), the recent failures, and putting a failed job back in the
// queue. The holder of an account's lease reads the controls (src/admin/controls.ts, the dispatcher's choice
// of account), so an action taken on any instance reaches the instance that drives the account.
import { and, desc, eq, inArray, isNotNull, sql } from "drizzle-orm";
import type { Db } from "./client.ts";
import { accountControls, videoImages, videos, webhookDeliveries } from "./schema.ts";

export interface AccountControl {
  account: string;
  paused: boolean;
  signInRequestedAt: Date | null;
  updatedAt: Date;
}

/** A job that ended without a video, as the page lists it. */
export interface FailureRow {
  id: number;
  appBundleId: string;
  apphudUserId: string;
  kind: "t2v" | "i2v";
  state: "failed" | "moderated" | "deleted";
  account: string | null;
  /** Pixverse's ErrCode or status (`pixverse_status_8`, `500054`), or ours (`deadline`, `pixverse_gone`). */
  errorCode: string | null;
  errorMessage: string | null;
  pixverseStatus: number | null;
  attempts: number;
  createdAt: Date;
  finishedAt: Date | null;
}

export type RequeueOutcome = "requeued" | "not_found" | "not_failed" | "image_gone" | "too_recent";

/**
 * A job that failed less than this long ago may still have a submission under way (a deadline can end a job
 * while its submission waits for Pixverse's answer, up to the claim's lifetime): requeued now, that late
 * answer could be taken for the new claim's. Longer than the dispatcher's lock TTL (180 s).
 */
export const REQUEUE_AFTER_SECONDS = 200;

const ENDED_WITHOUT_VIDEO = ["failed", "moderated", "deleted"] as const;

export function createAdminQueries(db: Db) {
  /** Insert the account's row with `set` applied, or apply `set` to the existing one. */
  const upsert = (account: string, set: { paused?: boolean; signInRequestedAt?: ReturnType<typeof sql> }) =>
    db
      .insert(accountControls)
      .values({ account, ...set })
      .onConflictDoUpdate({ target: accountControls.account, set: { ...set, updatedAt: sql`now()` } });

  return {
    async listControls(): Promise<AccountControl[]> {
      return db.select().from(accountControls).orderBy(accountControls.account);
    },

    /** The paused accounts: read by the dispatcher once per submit round (a handful of rows). */
    async pausedAccounts(): Promise<Set<string>> {
      const rows = await db.select({ account: accountControls.account }).from(accountControls).where(eq(accountControls.paused, true));
      return new Set(rows.map((r) => r.account));
    },

    async setPaused(account: string, paused: boolean): Promise<void> {
      await upsert(account, { paused });
    },

    /** Ask the instance that drives the account to sign in again (it takes the request: takeSignInRequests). */
    async requestSignIn(account: string): Promise<void> {
      await upsert(account, { signInRequestedAt: sql`now()` });
    },

    /**
     * Take the sign-in requests of `accounts` (those this instance drives), clearing them in the same
     * statement: each request is acted on once, by one instance.
     */
    async takeSignInRequests(accounts: readonly string[]): Promise<string[]> {
      if (accounts.length === 0) return [];
      const rows = await db
        .update(accountControls)
        .set({ signInRequestedAt: null, updatedAt: sql`now()` })
        .where(and(inArray(accountControls.account, [...accounts]), isNotNull(accountControls.signInRequestedAt)))
        .returning({ account: accountControls.account });
      return rows.map((r) => r.account);
    },

    /**
     * The newest jobs that ended without a video. Newest by id (the primary key, read backwards until enough
     * match) rather than by finish time, which has no index: the page must stay cheap on a large table.
     */
    async recentFailures(limit = 50): Promise<FailureRow[]> {
      return db
        .select({
          id: videos.id,
          appBundleId: videos.appBundleId,
          apphudUserId: videos.apphudUserId,
          kind: videos.kind,
          state: sql<FailureRow["state"]>`${videos.state}`,
          account: videos.account,
          errorCode: videos.errorCode,
          errorMessage: videos.errorMessage,
          pixverseStatus: videos.pixverseStatus,
          attempts: videos.attempts,
          createdAt: videos.createdAt,
          finishedAt: videos.finishedAt,
        })
        .from(videos)
        .where(inArray(videos.state, [...ENDED_WITHOUT_VIDEO]))
        .orderBy(desc(videos.id))
        .limit(limit);
    },

    /**
     * Put a failed job back in the queue as if it had just been accepted: no attempts, no error, no Pixverse
     * video, a fresh deadline. Only from `failed` (a moderated prompt would be refused again; a deleted video
     * was made and paid for). An image job whose image is gone (it is dropped when a job ends) cannot run
     * again, nor can one that failed in the last REQUEUE_AFTER_SECONDS. Its webhook event, if any, is dropped
     * too, so the job's next final state sends a new one.
     */
    async requeueFailed(id: number, deadlineMinutes: number): Promise<RequeueOutcome> {
      return db.transaction(async (tx) => {
        const [job] = await tx
          .select({ state: videos.state, kind: videos.kind, recent: sql<boolean>`${videos.finishedAt} > now() - make_interval(secs => ${REQUEUE_AFTER_SECONDS})` })
          .from(videos)
          .where(eq(videos.id, id))
          .for("update");
        if (!job) return "not_found";
        if (job.state !== "failed") return "not_failed";
        if (job.recent) return "too_recent";
        if (job.kind === "i2v") {
          const [image] = await tx.select({ id: videoImages.videoId }).from(videoImages).where(eq(videoImages.videoId, id));
          if (!image) return "image_gone";
        }
        await tx
          .update(videos)
          .set({
            state: "queued",
            attempts: 0,
            errorCode: null,
            errorMessage: null,
            account: null,
            pixverseVideoId: null,
            pixverseStatus: null,
            resultUrl: null,
            pixverseUrl: null,
            firstFrameUrl: null,
            mediaKey: null,
            mediaAttempts: 0,
            lockOwner: null,
            lockedAt: null,
            submittedAt: null,
            finishedAt: null,
            nextAttemptAt: sql`now()`,
            deadlineAt: sql`now() + make_interval(mins => ${deadlineMinutes})`,
            updatedAt: sql`now()`,
          })
          .where(and(eq(videos.id, id), eq(videos.state, "failed")));
        await tx.delete(webhookDeliveries).where(eq(webhookDeliveries.videoId, id));
        return "requeued";
      });
    },
  };
}

export type AdminQueries = ReturnType<typeof createAdminQueries>;
