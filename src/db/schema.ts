// The database schema: `videos` is both the record of every request and the job queue.
import { sql } from "drizzle-orm";
import { bigint, boolean, customType, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import type { RequestedSettings } from "../domain/settings.ts";

const bytea = customType<{ data: Uint8Array; driverData: Uint8Array }>({ dataType: () => "bytea" });

export const videos = pgTable(
  "videos",
  {
    // Ids are JSON numbers in answers: past 2^53 - 1 they would not be exact, so the sequence stops there (an
    // insert past it fails and stores nothing, rather than storing a video whose answer cannot be given).
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity({ maxValue: Number.MAX_SAFE_INTEGER }),
    appBundleId: text("app_bundle_id").notNull(),
    apphudUserId: text("apphud_user_id").notNull(),
    clientIp: text("client_ip"),
    kind: text("kind", { enum: ["t2v", "i2v"] }).notNull(),
    prompt: text("prompt").notNull(),
    /**
     * What the caller chose for this video (model, quality, duration, aspectRatio, seed, negativePrompt; only
     * the keys given); null when nothing was chosen: the operator's defaults apply at submission.
     */
    settings: jsonb("settings").$type<RequestedSettings>(),
    state: text("state", {
      enum: ["queued", "submitting", "generating", "succeeded", "failed", "moderated", "deleted"],
    })
      .notNull()
      .default("queued"),
    /** The Pixverse account that holds (or held) this job; null until it is submitted. */
    account: text("account"),
    pixverseVideoId: text("pixverse_video_id"),
    pixverseStatus: integer("pixverse_status"),
    resultUrl: text("result_url"),
    errorCode: text("error_code"),
    errorMessage: text("error_message"),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAt: timestamp("next_attempt_at", { withTimezone: true }).notNull().defaultNow(),
    lockOwner: text("lock_owner"),
    lockedAt: timestamp("locked_at", { withTimezone: true }),
    /** When the last submission started: reconciliation looks for Pixverse videos made after it. */
    submittedAt: timestamp("submitted_at", { withTimezone: true }),
    deadlineAt: timestamp("deadline_at", { withTimezone: true }).notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
    finishedAt: timestamp("finished_at", { withTimezone: true }),
    /** Where to POST the `video.finished` event (webhooks); null: no webhook. */
    callbackUrl: text("callback_url"),
    /** Pixverse's own URL of the finished video, kept when `result_url` is our copy (MEDIA_STORE). */
    pixverseUrl: text("pixverse_url"),
    /** Pixverse's URL of the video's first frame, when it gave one. */
    firstFrameUrl: text("first_frame_url"),
    /** Where our copy of the video lives (MEDIA_STORE): the key under DATA_DIR/media or in the bucket. */
    mediaKey: text("media_key"),
    /** Copy attempts made (MEDIA_STORE), for the backoff between them. */
    mediaAttempts: integer("media_attempts").notNull().default(0),
  },
  (t) => [
    // Claiming: the oldest due queued job.
    index("videos_queued_idx").on(t.nextAttemptAt, t.id).where(sql`${t.state} = 'queued'`),
    // Polling and reconciliation: every job at or on its way to Pixverse.
    index("videos_in_flight_idx").on(t.state, t.lockedAt).where(sql`${t.state} in ('submitting', 'generating')`),
    // The per-user limit on unfinished videos.
    index("videos_user_active_idx")
      .on(t.appBundleId, t.apphudUserId)
      .where(sql`${t.state} in ('queued', 'submitting', 'generating')`),
    // Recently finished videos stay watched for a later deletion or moderation by Pixverse.
    index("videos_recent_success_idx").on(t.finishedAt).where(sql`${t.state} = 'succeeded'`),
    // Deadlines of unfinished jobs.
    index("videos_active_deadline_idx").on(t.deadlineAt).where(sql`${t.state} in ('queued', 'submitting', 'generating')`),
    // The operator page's recent failures: newest first among the jobs that ended without a video.
    index("videos_recent_failure_idx").on(t.id).where(sql`${t.state} in ('failed', 'moderated', 'deleted')`),
    // A Pixverse video belongs to one job: reconciliation can never give a video that another job holds.
    uniqueIndex("videos_account_pixverse_id_key").on(t.account, t.pixverseVideoId).where(sql`${t.pixverseVideoId} is not null`),
  ],
);

/** The uploaded image of an i2v job, kept in the database (another instance may submit it) until Pixverse has it. */
export const videoImages = pgTable("video_images", {
  videoId: bigint("video_id", { mode: "number" })
    .primaryKey()
    .references(() => videos.id, { onDelete: "cascade" }),
  bytes: bytea("bytes").notNull(),
  type: text("type", { enum: ["png", "jpg", "webp"] }).notNull(),
  width: integer("width").notNull(),
  height: integer("height").notNull(),
});

/**
 * Counters kept exact in the database, so limits never count rows on the hot path: accept_videos adds the rows
 * it inserts (it is the only way rows enter `videos`), triggers follow every update and delete.
 */
export const queueStats = pgTable("queue_stats", {
  id: integer("id").primaryKey(),
  /** Jobs not yet handed to Pixverse: queued + submitting. */
  waiting: integer("waiting").notNull().default(0),
});

/**
 * Which instance drives each Pixverse account. Pixverse keeps one live session per account, so exactly one
 * instance may sign in to it: the holder renews `expires_at` by heartbeat; once it lapses another instance
 * takes the row over.
 */
export const accountLeases = pgTable("account_leases", {
  account: text("account").primaryKey(),
  holder: text("holder").notNull(),
  expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
  acquiredAt: timestamp("acquired_at", { withTimezone: true }).notNull().defaultNow(),
  heartbeatAt: timestamp("heartbeat_at", { withTimezone: true }).notNull().defaultNow(),
  /**
   * The account as its holder last saw it (state, since, credits, slots, in flight), written with each
   * heartbeat, so that any instance's /admin shows accounts another instance drives.
   */
  report: jsonb("report").$type<AccountReport>(),
});

/**
 * The instances alive now and the accounts each is configured with, written with every lease heartbeat, so
 * that the accounts are shared out among the instances that could drive them (dispatcher/lease-share.ts)
 * instead of the first instance taking them all. A row lapses with the instance's leases.
 */
export const instances = pgTable("instances", {
  id: text("id").primaryKey(),
  accounts: text("accounts").array().notNull(),
  expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
});

/**
 * SESSION_STORE=postgres: each account's signed-in browser session, sealed with SESSION_KEY (AES-256-GCM), so
 * that the instance that takes an account's lease over goes on with the session instead of signing in again.
 * `key`: the session file's name (a hash of the e-mail and the site), never the e-mail.
 */
export const accountSessions = pgTable("account_sessions", {
  key: text("key").primaryKey(),
  sealed: bytea("sealed").notNull(),
  savedAt: timestamp("saved_at", { withTimezone: true, mode: "date", precision: 3 }).notNull(),
});

/** What a lease's holder reports of its account with each heartbeat (no e-mail, no Pixverse text). */
export interface AccountReport {
  state: string;
  since: string;
  capacity: number;
  inFlight: number;
  credits: number | null;
}

/** Rate-limit counters shared by every instance (RATE_LIMIT_STORE=postgres): one row per limited key and window. */
export const rateLimits = pgTable("rate_limits", {
  key: text("key").primaryKey(),
  hits: integer("hits").notNull(),
  resetAt: timestamp("reset_at", { withTimezone: true }).notNull(),
});

/**
 * The webhook outbox: one `video.finished` event per video that has a callback URL, written by a trigger in
 * the same transaction that ends the job (drizzle/0007), delivered at least once, retried with backoff.
 * `state` and `result_url` are the job's as it ended, so every retry sends the same body.
 */
export const webhookDeliveries = pgTable(
  "webhook_deliveries",
  {
    eventId: uuid("event_id").primaryKey().defaultRandom(),
    videoId: bigint("video_id", { mode: "number" })
      .notNull()
      .references(() => videos.id, { onDelete: "cascade" }),
    url: text("url").notNull(),
    state: text("state").notNull(),
    resultUrl: text("result_url"),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAt: timestamp("next_attempt_at", { withTimezone: true }).notNull().defaultNow(),
    lastStatus: integer("last_status"),
    lastError: text("last_error"),
    lockOwner: text("lock_owner"),
    lockedAt: timestamp("locked_at", { withTimezone: true }),
    deliveredAt: timestamp("delivered_at", { withTimezone: true }),
    /** Given up after the retry window (at least 24 h). */
    failedAt: timestamp("failed_at", { withTimezone: true }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("webhook_deliveries_video_key").on(t.videoId),
    index("webhook_deliveries_due_idx").on(t.nextAttemptAt).where(sql`${t.deliveredAt} is null and ${t.failedAt} is null`),
  ],
);

/**
 * Idempotency-Key: a key from one end user (app_bundle_id + apphud_user_id) names one video for 24 h.
 * `request_hash` is the hash of the request's parameters (a changed body is a 409).
 */
export const idempotencyKeys = pgTable(
  "idempotency_keys",
  {
    appBundleId: text("app_bundle_id").notNull(),
    apphudUserId: text("apphud_user_id").notNull(),
    key: text("key").notNull(),
    requestHash: text("request_hash").notNull(),
    videoId: bigint("video_id", { mode: "number" }).references(() => videos.id, { onDelete: "cascade" }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.appBundleId, t.apphudUserId, t.key] }), index("idempotency_keys_created_idx").on(t.createdAt)],
);

/** What an operator set on a Pixverse account from /admin: paused accounts take no new jobs. */
export const accountControls = pgTable("account_controls", {
  account: text("account").primaryKey(),
  paused: boolean("paused").notNull().default(false),
  /** Set by "retry sign-in": the holder of the account signs in again once, then clears it. */
  signInRequestedAt: timestamp("sign_in_requested_at", { withTimezone: true }),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
});

export type VideoRow = typeof videos.$inferSelect;
