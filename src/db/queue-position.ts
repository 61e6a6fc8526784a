// The queue's fair order, and where a video stands in it. One fact lives here: the order in which queued jobs
// are taken, used by the claim (queue.ts claimQueued) and by get_status's `queue_position`, so the two never
// disagree. Jobs are taken in rounds across end users (app_bundle_id + apphud_user_id): a user's k-th oldest
// queued job is in round k, counted after the turns the user has already had in this backlog (with an app
// weight w, round ceil(turn / w)); within a round, the oldest job first. One user's ten videos never hold
// another user's one behind them, also when slots free up one at a time.
import { sql, type SQL } from "drizzle-orm";
import type { Db } from "./client.ts";
import { videos } from "./schema.ts";
import { int, rows } from "./sql-rows.ts";
import { etaSeconds } from "../domain/eta.ts";
import { isFinal, type JobState } from "../domain/status.ts";

/** How many jobs per round each end user of an app takes (FAIR_SHARE_WEIGHTS); an app not named takes 1. */
export type FairShareWeights = Readonly<Record<string, number>>;

/** How many recent successes the mean generation time is taken over. */
const RECENT_SUCCESSES = 20;

/**
 * The rows the fair order is computed over: the queued jobs that are due (and `alsoId`, due or not, to place
 * it), and the turns users have had in this backlog: every job on its way to or at Pixverse, and every success
 * started since the oldest of those queued jobs was accepted (videos_recent_success_idx finds them).
 * Failed, moderated and deleted videos are left out: no index reaches them cheaply, and they are few.
 */
export function fairRows(alsoId?: number): SQL {
  const also = alsoId === undefined ? sql`` : sql` or w.id = ${alsoId}`;
  const queued = alsoId === undefined ? sql`${videos.nextAttemptAt} <= now()` : sql`(${videos.nextAttemptAt} <= now() or ${videos.id} = ${alsoId})`;
  const backlogSince = sql`(select min(w.created_at) from videos w where w.state = 'queued' and (w.next_attempt_at <= now()${also}))`;
  return sql`(${videos.state} in ('submitting', 'generating') or (${videos.state} = 'queued' and ${queued})
    or (${videos.state} = 'succeeded' and ${videos.finishedAt} >= ${backlogSince} and ${videos.submittedAt} >= ${backlogSince}))`;
}

/**
 * A queued job's round in the fair order, over fairRows(): the turns its user has had (the rows that are not
 * queued) plus its place among the user's queued jobs (oldest first), divided by the app's weight. Counting
 * the turns had is what keeps the order fair when slots free up one at a time: without it every claim of
 * one job would see each user's oldest queued job in round 1, and the oldest backlog would win every tie. A
 * window function (PostgreSQL refuses FOR UPDATE next to one, so callers rank in a subquery and lock outside
 * it); the value means nothing on rows that are not queued.
 */
export function fairRound(weights: FairShareWeights): SQL {
  const user = sql`partition by ${videos.appBundleId}, ${videos.apphudUserId}`;
  const turn = sql`(count(*) filter (where ${videos.state} <> 'queued') over (${user})
    + count(*) filter (where ${videos.state} = 'queued') over (${user} order by ${videos.id}))`;
  if (Object.keys(weights).length === 0) return turn;
  return sql`ceil(${turn}::numeric / coalesce((${JSON.stringify(weights)}::jsonb ->> ${videos.appBundleId})::int, 1))`;
}

/** What get_status's `detail=true` adds while a video is not final. */
export interface QueueDetail {
  state: "queued" | "submitting" | "generating";
  /** 1 = the next job to be submitted; only while queued. */
  queue_position?: number;
  /** Absent only while no account takes work (nothing to base it on). */
  eta_seconds?: number;
}

export interface QueueDetailOptions {
  weights: FairShareWeights;
  /** Generations that may run at once across the accounts now (the "eta source": etaSlots in domain/eta.ts). */
  slots: () => Promise<number>;
  /** The generation time assumed until a video has finished (ETA_DEFAULT_SECONDS); absent: DEFAULT_GENERATION_MS. */
  expectedGenerationMs?: number;
}

/** get_status's detail for one video, read fresh from the database (never from the status cache). */
export function createQueueDetail(db: Db, options: QueueDetailOptions) {
  const round = fairRound(options.weights);

  /** The video's state and timings; null when it does not exist. */
  async function video(id: number) {
    const [r] = await rows(
      db,
      sql`select state,
                 extract(epoch from now() - coalesce(submitted_at, created_at)) * 1000 as elapsed_ms,
                 greatest(0, extract(epoch from next_attempt_at - now()) * 1000) as due_in_ms
          from videos where id = ${id}`,
    );
    if (!r) return null;
    return { state: r.state as JobState, elapsedMs: Number(r.elapsed_ms), dueInMs: Number(r.due_in_ms) };
  }

  /**
   * Where a queued video stands: 1 + the queued jobs ahead of it in the claim's order. Ranked among the jobs
   * due now and itself (a video waiting out a backoff is placed as if it were due: its wait is in the ETA).
   */
  async function position(id: number): Promise<number | null> {
    const [r] = await rows(
      db,
      sql`with ranked as (
            select id, state, ${round} as round from videos where ${fairRows(id)}
          )
          select count(r.id) + 1 as position from ranked me
          left join ranked r on r.state = 'queued' and (r.round, r.id) < (me.round, me.id)
          where me.id = ${id} and me.state = 'queued'
          group by me.id`,
    );
    return r ? int(r.position) : null;
  }

  /** The mean time from submission to success of the latest successes (videos_recent_success_idx), and the jobs in flight. */
  async function load(): Promise<{ meanMs: number | null; inFlightElapsedMs: number[] }> {
    const [mean] = await rows(
      db,
      sql`select avg(extract(epoch from s.finished_at - s.submitted_at)) * 1000 as mean_ms from (
            select finished_at, submitted_at from videos
            where state = 'succeeded' and submitted_at is not null and finished_at is not null
            order by finished_at desc limit ${RECENT_SUCCESSES}
          ) s`,
    );
    const inFlight = await rows(
      db,
      sql`select extract(epoch from now() - coalesce(submitted_at, created_at)) * 1000 as elapsed_ms
          from videos where state in ('submitting', 'generating')`,
    );
    const meanMs = mean?.mean_ms === null || mean?.mean_ms === undefined ? null : Number(mean.mean_ms);
    return { meanMs, inFlightElapsedMs: inFlight.map((r) => Number(r.elapsed_ms)) };
  }

  return {
    /** Null when the video is final or does not exist: `detail=true` then adds nothing. */
    async of(id: number): Promise<QueueDetail | null> {
      const v = await video(id);
      if (!v || isFinal(v.state)) return null;
      const state = v.state as QueueDetail["state"];
      const [pos, load_, slots] = await Promise.all([state === "queued" ? position(id) : Promise.resolve(null), load(), options.slots()]);
      // Claimed between the two reads: it is on its way to Pixverse.
      const now: QueueDetail["state"] = state === "queued" && pos === null ? "submitting" : state;
      const eta = etaSeconds({
        state: now,
        elapsedMs: now === "queued" ? undefined : state === "queued" ? 0 : v.elapsedMs,
        queuePosition: pos ?? undefined,
        dueInMs: v.dueInMs,
        meanGenerationMs: load_.meanMs ?? options.expectedGenerationMs ?? null,
        slots,
        inFlightElapsedMs: load_.inFlightElapsedMs,
      });
      return { state: now, ...(pos === null ? {} : { queue_position: pos }), ...(eta === null ? {} : { eta_seconds: eta }) };
    },
  };
}

export type QueueDetailSource = ReturnType<typeof createQueueDetail>;
