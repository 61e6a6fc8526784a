// The webhook outbox (webhook_deliveries): the trigger of drizzle/0007 writes one row per video with a
// callback URL when the job first becomes final, in the transaction that ends it; these statements deliver
// them. Several instances share the outbox: a row is claimed with FOR UPDATE SKIP LOCKED and leased by
// moving its next_attempt_at past the lock's TTL, so one due index serves both "due" and "lock lapsed" (a
// worker that dies mid-delivery leaves a row that is due again once its lease ends). Only the lock's owner
// may record an attempt's outcome. Times are the database's own.
import { sql } from "drizzle-orm";
import type { Db } from "./client.ts";
import type { JobState } from "../domain/status.ts";
import { int, rows, text, textOrNull, type Row } from "./sql-rows.ts";

/** A claimed event: what the delivery needs to build, sign and send it. */
export interface ClaimedDelivery {
  eventId: string;
  videoId: number;
  url: string;
  state: JobState;
  resultUrl: string | null;
  appBundleId: string;
  apphudUserId: string;
  /** Attempts made before this one. */
  attempts: number;
  /** How long ago the event was written (the job ended), in ms. */
  ageMs: number;
}

/** What one failed attempt left behind. */
export interface FailedAttempt {
  /** The receiver's HTTP status, or null when there was none (network error, time-out, refused address). */
  status: number | null;
  /** A short account of the failure, for operators (no secret, no signature). */
  error: string;
}

export interface OutboxCounts {
  pending: number;
  delivered: number;
  failed: number;
}

const MAX_ERROR_CHARS = 500;
const secs = (ms: number) => sql`make_interval(secs => ${ms / 1000})`;

function claimed(r: Row): ClaimedDelivery {
  return {
    eventId: text(r.event_id),
    videoId: int(r.video_id),
    url: text(r.url),
    state: text(r.state) as JobState,
    resultUrl: textOrNull(r.result_url),
    appBundleId: text(r.app_bundle_id),
    apphudUserId: text(r.apphud_user_id),
    attempts: int(r.attempts),
    ageMs: Math.max(0, Math.round(Number(r.age_ms))),
  };
}

export function createWebhookOutbox(db: Db) {
  return {
    /**
     * Claim up to `max` due events for `owner`, leased for `lockTtlMs` (longer than one attempt can take).
     * First attempts go before retries: a receiver that keeps failing (each attempt waiting out the time-out)
     * must not hold back other apps' new events.
     */
    async claimDue(owner: string, max: number, lockTtlMs: number): Promise<ClaimedDelivery[]> {
      if (max <= 0) return [];
      const claimedRows = await rows(
        db,
        sql`with due as (
              select event_id from webhook_deliveries
              where delivered_at is null and failed_at is null and next_attempt_at <= now()
              order by attempts = 0 desc, next_attempt_at
              limit ${max}
              for update skip locked
            )
            update webhook_deliveries w
            set lock_owner = ${owner}, locked_at = now(), next_attempt_at = now() + ${secs(lockTtlMs)}
            from due, videos v
            where w.event_id = due.event_id and v.id = w.video_id
            returning w.event_id, w.video_id, w.url, w.state, w.result_url, w.attempts,
                      v.app_bundle_id, v.apphud_user_id,
                      extract(epoch from (now() - w.created_at)) * 1000 as age_ms`,
      );
      return claimedRows.map(claimed);
    },

    /** The receiver answered 2xx: done. False when the lease was lost (another worker has the row now). */
    async delivered(eventId: string, owner: string, status: number): Promise<boolean> {
      const done = await rows(
        db,
        sql`update webhook_deliveries
            set delivered_at = now(), attempts = attempts + 1, last_status = ${status}, last_error = null,
                lock_owner = null, locked_at = null
            where event_id = ${eventId} and lock_owner = ${owner}
            returning event_id`,
      );
      return done.length > 0;
    },

    /**
     * An attempt failed: the next one in `retryInMs`, unless the event is `windowMs` old or more, in which
     * case it is given up (failed_at). So an event is retried for at least the whole window. Null when the
     * lease was lost.
     */
    async attemptFailed(
      eventId: string,
      owner: string,
      failure: FailedAttempt,
      retryInMs: number,
      windowMs: number,
    ): Promise<{ gaveUp: boolean; nextAttemptAt: Date | null } | null> {
      const updated = await rows(
        db,
        sql`update webhook_deliveries
            set attempts = attempts + 1, last_status = ${failure.status}, last_error = ${failure.error.slice(0, MAX_ERROR_CHARS)},
                failed_at = case when now() >= created_at + ${secs(windowMs)} then now() end,
                next_attempt_at = now() + ${secs(retryInMs)},
                lock_owner = null, locked_at = null
            where event_id = ${eventId} and lock_owner = ${owner}
            returning failed_at is not null as gave_up, next_attempt_at`,
      );
      const r = updated[0];
      if (!r) return null;
      const gaveUp = r.gave_up === true;
      return { gaveUp, nextAttemptAt: gaveUp ? null : new Date(r.next_attempt_at as string | Date) };
    },

    /** Hand a claimed event back without an attempt (shutting down, or not ready to send), due in `inMs`. */
    async release(eventId: string, owner: string, inMs = 0): Promise<boolean> {
      const done = await rows(
        db,
        sql`update webhook_deliveries
            set next_attempt_at = now() + ${secs(inMs)}, lock_owner = null, locked_at = null
            where event_id = ${eventId} and lock_owner = ${owner}
            returning event_id`,
      );
      return done.length > 0;
    },

    /** Every event still leased by `owner` due again now (shutdown: the next worker, here or elsewhere, takes them at once). */
    async releaseAll(owner: string): Promise<number> {
      const done = await rows(
        db,
        sql`update webhook_deliveries set next_attempt_at = now(), lock_owner = null, locked_at = null
            where lock_owner = ${owner} and delivered_at is null and failed_at is null
            returning event_id`,
      );
      return done.length;
    },

    /** How many events wait, were delivered and were given up (for operators). */
    async counts(): Promise<OutboxCounts> {
      const [r] = await rows(
        db,
        sql`select count(*) filter (where delivered_at is null and failed_at is null) as pending,
                   count(*) filter (where delivered_at is not null) as delivered,
                   count(*) filter (where failed_at is not null) as failed
            from webhook_deliveries`,
      );
      return { pending: int(r?.pending ?? 0), delivered: int(r?.delivered ?? 0), failed: int(r?.failed ?? 0) };
    },
  };
}

export type WebhookOutbox = ReturnType<typeof createWebhookOutbox>;
