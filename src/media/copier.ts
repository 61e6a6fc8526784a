// The copy job: when Pixverse reports a video done, the dispatcher's poll round offers it here instead of
// ending it. The job stays `generating` (get_status answers "Generating") while the MP4 and its first frame
// are downloaded and written to the store; only then is it ended `succeeded` with our URL and media key, so
// a URL is never shown before its copy exists.
//
// - Copies run in the background, at most `limits.concurrency` at once: a poll round never waits for one. A
//   job offered while all are busy is offered again by the next round (every in-flight job is polled).
// - A failed copy is counted in media_attempts and tried again after a capped exponential backoff. Each
//   attempt (download and store) is bounded by limits.timeoutMs.
// - A first frame that can never be copied (refused, gone, a malformed URL, not a JPEG) is skipped; one that
//   fails on the network is tried again (the MP4 already written is kept), and when no attempt is left before
//   the deadline the video is delivered without it.
// - It never fails a finished video: on first sight the job's deadline is pushed to leave room for the copy,
//   and when the next attempt could no longer end before the deadline, the job ends `succeeded` with
//   Pixverse's URL instead (logged as an error, counted as media_copies_total{outcome="gave_up"}).
// - A copy belongs to one Pixverse video of the job: a job failed and requeued meanwhile (/admin) has a new
//   one, whose copy starts afresh; the old copy's end is refused (`end` needs the job still `generating`
//   with the Pixverse id it was offered with).
// - Several instances: only the holder of the job's account lease polls it, so only it offers it. Should two
//   copy one job (a lease moving mid-copy), both write the same key (chosen once, in the database) and only
//   the first end counts (the end needs the job still `generating`).
import { LRUCache } from "lru-cache";
import type { Logger } from "../log.ts";
import type { Metrics } from "../metrics.ts";
import type { Job } from "../db/videos.ts";
import { backoffMs } from "../dispatcher/timing.ts";
import { download, DownloadError } from "./download.ts";
import { mediaName, newMediaKey } from "./keys.ts";
import type { MediaQueries } from "./queries.ts";
import type { CopyLimits } from "./settings.ts";
import type { MediaStore } from "./store.ts";

/** What Pixverse reported for a finished video. */
export interface FinishedAtPixverse {
  /** The video (decoded, not a placeholder: domain/status.ts). */
  url: string;
  firstFrame: string | null;
  pixverseStatus: number;
}

/**
 * End the job `succeeded` with this URL and media key (null: Pixverse's URL, no copy), only while it is still
 * `generating` with the Pixverse video it was offered with; true when it ended it.
 */
export type EndJob = (details: { url: string; mediaKey: string | null }) => Promise<boolean>;

export interface MediaCopierOptions {
  store: MediaStore;
  queries: MediaQueries;
  logger: Logger;
  limits: CopyLimits;
  /** media_copies_total by outcome. Absent: none recorded. */
  metrics?: Metrics;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** An attempt must be able to end (its time-out) this long before the job's deadline, or the copy is given up. */
  deadlineMarginMs?: number;
}

export interface MediaCopier {
  /**
   * Pixverse finished `job`: copy it unless a copy is already running or waiting out its backoff. Returns
   * true the first time this process sees the job finished (the dispatcher counts its duration once).
   */
  offer(job: Job, done: FinishedAtPixverse, end: EndJob): Promise<boolean>;
  /** Pixverse deleted or moderated a delivered video that has our copy: it stays delivered (logged once). */
  kept(job: Job, change: "deleted" | "moderated", pixverseStatus: number | null): void;
  /** Resolves when no copy is running (tests). */
  idle(): Promise<void>;
  /** Abort the copies under way (the jobs stay `generating`: the next start copies them again) and wait for them. */
  close(): Promise<void>;
}

interface CopyState {
  key: string;
  deadlineAt: number;
  attempts: number;
  /** Not before this (epoch ms): the backoff after a failure. */
  nextAt: number;
  running: boolean;
  /** The MP4 is written: a later attempt only copies the first frame. */
  video: boolean;
  /** The first frame is written. */
  frame: boolean;
  /** Both files are written (or the frame skipped); only the job's end is still to be recorded. */
  copied: boolean;
}

/** A copy is of one Pixverse video of a job (a requeued job has a new one). */
const stateKey = (job: Job) => `${job.id}/${job.pixverseVideoId}`;

const messageOf = (e: unknown) => (e instanceof Error ? e.message : String(e));

export function createMediaCopier(o: MediaCopierOptions): MediaCopier {
  const log = o.logger.child({ component: "media" });
  const backoff = { baseMs: o.backoffBaseMs ?? 2000, maxMs: o.backoffMaxMs ?? 60_000 };
  const marginMs = o.deadlineMarginMs ?? 30_000;
  // On first sight the deadline leaves room for at least two attempts and a backoff between them.
  const graceMs = 2 * o.limits.timeoutMs + marginMs + backoff.maxMs;
  // Bounded: a job that ends elsewhere (deadline, another instance) leaves its entry behind.
  const states = new LRUCache<string, CopyState>({ max: 10_000 });
  const keptLogged = new LRUCache<number, true>({ max: 10_000 });
  const running = new Set<Promise<void>>();
  const controllers = new Set<AbortController>();
  let closed = false;

  /** Would an attempt starting at `at` still end before the job's deadline (with the margin)? */
  const fits = (s: CopyState, at: number) => at + o.limits.timeoutMs + marginMs <= s.deadlineAt;

  async function copyFiles(job: Job, done: FinishedAtPixverse, s: CopyState, signal: AbortSignal): Promise<void> {
    const limits = { maxBytes: o.limits.maxBytes, signal };
    if (!s.video) {
      await o.store.put(mediaName(s.key, "mp4"), await download(done.url, "mp4", limits), "mp4", signal);
      s.video = true;
    }
    if (!done.firstFrame) return;
    try {
      await o.store.put(mediaName(s.key, "jpg"), await download(done.firstFrame, "jpg", limits), "jpg", signal);
      s.frame = true;
    } catch (e) {
      // A frame that can never be copied is not worth failing the video for; a transient failure is tried
      // again (and, with no attempt left, the video is delivered without it: giveUp).
      if (closed || !(e instanceof DownloadError && e.permanent)) throw e;
      log.warn("first frame not copied", { job_id: job.id, error: e.message });
    }
  }

  /** No attempt left: deliver our video without its frame if it is written, else Pixverse's URL (a finished video is never failed for want of our copy). */
  async function giveUp(job: Job, done: FinishedAtPixverse, end: EndJob, s: CopyState, reason: string): Promise<void> {
    states.delete(stateKey(job));
    if (s.video) {
      // Only the first frame is missing: our copy of the video is delivered without it.
      if (await end({ url: o.store.urlOf(mediaName(s.key, "mp4")), mediaKey: s.key })) {
        o.metrics?.mediaCopy("copied");
        log.warn("first frame not copied", { job_id: job.id, error: reason, no_attempt_left: true });
        log.info("video copied", { job_id: job.id, media_key: s.key, store: o.store.kind, first_frame: false, recorded: true });
      }
      return;
    }
    if (await end({ url: done.url, mediaKey: null })) {
      o.metrics?.mediaCopy("gave_up");
      log.error("video not copied before its deadline; answering Pixverse's URL", { job_id: job.id, attempts: s.attempts, reason });
    }
  }

  function start(job: Job, done: FinishedAtPixverse, end: EndJob, s: CopyState): void {
    s.running = true;
    const controller = new AbortController();
    controllers.add(controller);
    const signal = AbortSignal.any([controller.signal, AbortSignal.timeout(o.limits.timeoutMs)]);
    const startedAt = Date.now();
    const task = (async () => {
      try {
        if (!s.copied) {
          await copyFiles(job, done, s, signal);
          s.copied = true;
          o.metrics?.mediaCopy("copied");
        }
        const ended = await end({ url: o.store.urlOf(mediaName(s.key, "mp4")), mediaKey: s.key });
        states.delete(stateKey(job));
        log.info("video copied", { job_id: job.id, media_key: s.key, store: o.store.kind, first_frame: s.frame, ms: Date.now() - startedAt, recorded: ended });
      } catch (e) {
        if (closed) return;
        // The time-out (or shutdown) may surface as whatever the download or the store was doing.
        const error = signal.aborted ? "the copy took too long (MEDIA_COPY_TIMEOUT_SECONDS) or was stopped" : messageOf(e);
        if (s.copied) {
          // The files exist; recording the end failed (database): the next round records it.
          log.warn("video copied, but its end could not be recorded; will try again", { job_id: job.id, error });
          return;
        }
        const attempts = await o.queries.countFailedAttempt(job.id, job.pixverseVideoId!).catch(() => s.attempts + 1);
        if (attempts === null) {
          states.delete(stateKey(job));
          return;
        }
        s.attempts = attempts;
        const delayMs = backoffMs(attempts, backoff);
        s.nextAt = Date.now() + delayMs;
        if (!fits(s, s.nextAt)) {
          await giveUp(job, done, end, s, error).catch((err) => log.error("could not end a job whose copy was given up", { job_id: job.id, error: err }));
          return;
        }
        o.metrics?.mediaCopy("retry");
        log.warn("video copy failed; will try again", { job_id: job.id, attempt: attempts, delay_ms: delayMs, error });
      } finally {
        s.running = false;
        controllers.delete(controller);
      }
    })();
    running.add(task);
    void task.finally(() => running.delete(task));
  }

  return {
    async offer(job, done, end) {
      if (closed) return false;
      let s = states.get(stateKey(job));
      const first = s === undefined;
      if (s === undefined) {
        const target = await o.queries.noteFinishedAtPixverse(job.id, job.pixverseVideoId!, {
          pixverseUrl: done.url,
          firstFrameUrl: done.firstFrame,
          pixverseStatus: done.pixverseStatus,
          newKey: newMediaKey(job.id),
          graceMs,
        });
        if (!target) return true;
        s = {
          key: target.mediaKey,
          deadlineAt: target.deadlineAt.getTime(),
          attempts: target.mediaAttempts,
          nextAt: 0,
          running: false,
          video: false,
          frame: false,
          copied: false,
        };
        states.set(stateKey(job), s);
      }
      if (s.running || Date.now() < s.nextAt) return first;
      // Waiting for a free copy slot must not outlive the deadline either.
      if (!s.copied && !fits(s, Date.now())) {
        await giveUp(job, done, end, s, "no time left for a copy");
        return first;
      }
      if (running.size >= o.limits.concurrency) return first;
      start(job, done, end, s);
      return first;
    },
    kept(job, change, pixverseStatus) {
      if (keptLogged.has(job.id)) return;
      keptLogged.set(job.id, true);
      log.info("Pixverse changed a delivered video; our copy is still answered", {
        job_id: job.id,
        pixverse_id: job.pixverseVideoId,
        change,
        pixverse_status: pixverseStatus,
        media_key: job.mediaKey,
      });
    },
    async idle() {
      while (running.size > 0) await Promise.allSettled([...running]);
    },
    async close() {
      closed = true;
      for (const c of controllers) c.abort();
      await Promise.allSettled([...running]);
    },
  };
}
