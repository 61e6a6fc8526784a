// Idempotency-Key in the database: a key from one end user (app_bundle_id + apphud_user_id) names one video for
// 24 hours. A keyed request is accepted in one transaction that first claims the key and then stores the video
// (the same accept_videos call as the group-commit path), so a key and its video commit together or not at all:
// a crash, a refused limit or a lost connection leaves the key free, and two requests with the same key, from
// any number of instances, wait on the key's primary key and make one video.
import { sql } from "drizzle-orm";
import type { Database, Db } from "./client.ts";
import { acceptWithImages, type InsertLimits, type NewVideo } from "./requests.ts";
import { int, rows, text } from "./sql-rows.ts";

/** How long a key names its video; after it, the same key makes a new one. */
export const IDEMPOTENCY_KEY_TTL_HOURS = 24;

/** Expired keys deleted per purge statement: a short statement, whatever the backlog. */
export const PURGE_BATCH = 1000;

/** What a keyed request came to. */
export type KeyedOutcome =
  /** This request claimed the key and its video was stored. */
  | { kind: "created"; id: number }
  /** The key already names a video made from the same parameters: that video, nothing new. */
  | { kind: "replayed"; id: number }
  /** A limit refused the video; the key stays free (nothing was stored). */
  | { kind: "refused"; limit: "active_videos_per_user" | "queue_depth" }
  /** The key names a video made from other parameters. */
  | { kind: "conflict" };

/**
 * Counts a keyed request under its per-user rate limit, or throws the 429; answers how to take that count back
 * (the request made no video after all).
 */
export type CountGeneration = () => Promise<() => Promise<void>>;

/** A request's key and the hash of its parameters (src/http/idempotency.ts). */
export interface IdempotencyKey {
  key: string;
  hash: string;
}

/** Thrown inside the transaction to roll it back (and free the key) when a limit refuses the video. */
class Refused extends Error {
  constructor(readonly limit: "active_videos_per_user" | "queue_depth") {
    super("refused");
  }
}

/**
 * Claim the key: insert it, or take over one older than the TTL. A row comes back only when this transaction
 * now owns the key. A concurrent claim of the same key waits here until the first transaction ends.
 */
function claim(tx: Db, video: NewVideo, once: IdempotencyKey) {
  return rows(
    tx,
    sql`insert into idempotency_keys (app_bundle_id, apphud_user_id, key, request_hash)
        values (${video.appBundleId}, ${video.apphudUserId}, ${once.key}, ${once.hash})
        on conflict (app_bundle_id, apphud_user_id, key) do update
          set request_hash = excluded.request_hash, video_id = null, created_at = now()
          where idempotency_keys.created_at < now() - make_interval(hours => ${IDEMPOTENCY_KEY_TTL_HOURS})
        returning 1 as claimed`,
  );
}

function existing(tx: Db, video: NewVideo, key: string) {
  return rows(
    tx,
    sql`select request_hash, video_id from idempotency_keys
        where app_bundle_id = ${video.appBundleId} and apphud_user_id = ${video.apphudUserId} and key = ${key}`,
  );
}

/** The key's row while it lives (younger than the TTL) and names a video; none otherwise. */
function live(db: Db, video: NewVideo, key: string) {
  return rows(
    db,
    sql`select request_hash, video_id from idempotency_keys
        where app_bundle_id = ${video.appBundleId} and apphud_user_id = ${video.apphudUserId} and key = ${key}
          and video_id is not null and created_at >= now() - make_interval(hours => ${IDEMPOTENCY_KEY_TTL_HOURS})`,
  );
}

/** A key's row as the request's answer: the same parameters are a replay, others a conflict. */
const answerFrom = (found: Record<string, unknown>, once: IdempotencyKey): KeyedOutcome =>
  text(found.request_hash) !== once.hash ? { kind: "conflict" } : { kind: "replayed", id: int(found.video_id) };

export function createIdempotencyQueries(database: Pick<Database, "db">) {
  const { db } = database;

  /** The key claimed and its video stored, in one transaction; or what the key already names. */
  async function claimAndAccept(video: NewVideo, once: IdempotencyKey, limits: InsertLimits): Promise<KeyedOutcome> {
    try {
      return await db.transaction(async (tx): Promise<KeyedOutcome> => {
        // Twice at most: the key's row may vanish between the claim and the read (its video deleted, which
        // cascades); the second claim then owns it.
        for (let attempt = 0; attempt < 2; attempt++) {
          if ((await claim(tx, video, once)).length > 0) {
            const [outcome] = await acceptWithImages(tx, [video], limits);
            if (!outcome!.ok) throw new Refused(outcome!.limit);
            await tx.execute(
              sql`update idempotency_keys set video_id = ${outcome!.id}
                  where app_bundle_id = ${video.appBundleId} and apphud_user_id = ${video.apphudUserId} and key = ${once.key}`,
            );
            return { kind: "created", id: outcome!.id };
          }
          const [found] = await existing(tx, video, once.key);
          if (!found) continue;
          // A key is only ever committed with its video (above), so a live key always names one.
          return answerFrom(found, once);
        }
        throw new Error("idempotency key could be neither claimed nor read");
      });
    } catch (e) {
      if (e instanceof Refused) return { kind: "refused", limit: e.limit };
      throw e;
    }
  }

  return {
    /**
     * Accept `video` under `once.key`, at most once per key and owner within the TTL. `count` (the per-user
     * limit; it throws the 429) runs only for a request that may make a video: not for a retry of a key that
     * already names one, which is answered from the key's row first. Its count is taken back when the request
     * makes no video after all (another limit refuses it, a concurrent twin made it, or the database fails). It
     * runs outside the transaction: the limit's store may need a connection of its own
     * (RATE_LIMIT_STORE=postgres), and the transaction holds the insert lock. Rejects with the driver's error
     * when the database fails (nothing is stored then).
     */
    async acceptOnce(video: NewVideo, once: IdempotencyKey, limits: InsertLimits, count?: CountGeneration): Promise<KeyedOutcome> {
      const [known] = await live(db, video, once.key);
      if (known) return answerFrom(known, once);
      const takeBack = await count?.();
      let outcome: KeyedOutcome | undefined;
      try {
        outcome = await claimAndAccept(video, once, limits);
        return outcome;
      } finally {
        if (outcome?.kind !== "created") await takeBack?.().catch(() => {});
      }
    },

    /**
     * Delete up to `max` keys older than the TTL; answers how many. The age is checked again on the row being
     * deleted, so a key taken over by a new request meanwhile is kept.
     */
    async purgeExpiredKeys(max = PURGE_BATCH): Promise<number> {
      const deleted = await rows(
        db,
        sql`with old as (
              select app_bundle_id, apphud_user_id, key from idempotency_keys
              where created_at < now() - make_interval(hours => ${IDEMPOTENCY_KEY_TTL_HOURS})
              limit ${max}
            )
            delete from idempotency_keys k using old
            where k.app_bundle_id = old.app_bundle_id and k.apphud_user_id = old.apphud_user_id and k.key = old.key
              and k.created_at < now() - make_interval(hours => ${IDEMPOTENCY_KEY_TTL_HOURS})
            returning 1`,
      );
      return deleted.length;
    },
  };
}
