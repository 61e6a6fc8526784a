// The queue's engine: claim queued jobs up to the free slots of the accounts this instance holds, each job
// for a named account (recorded before anything is sent), submit them through the generator, record
// Pixverse's id at once, poll every in-flight job of those accounts in one call per round, end jobs, and
// reconcile any job whose submission outcome is unknown before anything is sent again.
import { LRUCache } from "lru-cache";
import type { Logger } from "../log.ts";
import { afterDelivery, mapPixverseVideo, type FinalState, type PixverseVideo } from "../domain/status.ts";
import type { Job, VideoRepository } from "../db/videos.ts";
import { PixverseIdTaken } from "../db/queue.ts";
import type { FairShareWeights } from "../db/queue-position.ts";
import type { ReconcileResult, SubmitErrorKind, SubmitResult, VideoGenerator } from "../domain/generator.ts";
import { resolveSettings, type GenerationSettings } from "../domain/settings.ts";
import { backoffMs, pollIntervalMs } from "./timing.ts";
import type { Metrics } from "../metrics.ts";
import type { MediaCopier } from "../media/copier.ts";

export interface DispatcherOptions {
  repo: VideoRepository;
  generator: VideoGenerator;
  logger: Logger;
  /** Stable id of this instance (its locks); the same after a restart, so its old locks can be reset. */
  owner: string;
  /** Every Pixverse account this instance may drive (e-mails, its configuration). */
  accounts: string[];
  /**
   * The accounts whose lease this instance holds now (LeaseKeeper.held): only their jobs are claimed, polled
   * and reconciled. Absent: every account in `accounts`, activated in the generator at start (one instance).
   */
  held?: () => readonly string[];
  /** The operator's generation settings; a job's own choices are laid over them at submission. */
  settings: GenerationSettings;
  /** Called whenever this process changes a job, so cached statuses are dropped. */
  onChange?: (id: number) => void;
  /** How long a submission may hold its lock before another instance may reconcile it. */
  lockTtlMs?: number;
  /** How long after a submission started before its outcome may be reconciled against Pixverse's list. */
  reconcileGraceMs?: number;
  /** How often to look for work that nobody announced (other instances, due retries, deadlines). */
  idleTickMs?: number;
  maintenanceEveryMs?: number;
  /**
   * How long a finished video stays watched: Pixverse may delete it, or moderate it after delivery, and the
   * answer then changes from the URL to that status. Watched videos ride along in the same list call.
   */
  watchFinishedMs?: number;
  /** Poll interval when only finished videos are being watched. */
  watchPollMs?: number;
  /** Shortest and longest poll interval; it grows with the age of the youngest in-flight job. */
  pollMinMs?: number;
  pollMaxMs?: number;
  /**
   * Poll interval while every slot is busy, work waits, and a video is near its expected end (from the
   * durations seen so far): the finish frees a slot for the waiting work, so it is worth noticing at once.
   */
  pollBacklogMs?: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /**
   * A video Pixverse says it no longer has (`list/detail` 500008) ends after this long, if it stays gone:
   * `Deleted` when it was seen at Pixverse before, `Generation failed` when it never was.
   */
  goneGraceMs?: number;
  /** Job outcomes, time to submit and to finish, submission refusals (createMetrics()). Absent: none recorded. */
  metrics?: Metrics;
  /**
   * MEDIA_STORE: a video Pixverse finished is copied (src/media/copier.ts) and ends `succeeded` with our URL
   * only once the copy exists. Absent: it ends at once with Pixverse's URL.
   */
  media?: MediaCopier;
  /**
   * The accounts an operator paused (/admin, account_controls), read once per submit round with work due: they
   * take no new job (nor one another account refused), while their jobs under way are polled and finish.
   */
  pausedAccounts?: () => Promise<ReadonlySet<string>>;
  /** Fair turns: jobs each end user of an app takes per round (FAIR_SHARE_WEIGHTS). Absent: 1 for every app. */
  fairShareWeights?: FairShareWeights;
}

export interface Dispatcher {
  start(): Promise<void>;
  /** New work may be waiting: look now instead of at the next tick. */
  notify(): void;
  /** Stop claiming, let submissions in progress finish (bounded), then return. */
  stop(timeoutMs?: number): Promise<void>;
  /** One pass of each loop, for tests that drive time themselves. */
  runOnce(): Promise<void>;
  /** The accounts with a submission under way now (the lease keeper hands them over only once idle). */
  submitting(): ReadonlySet<string>;
}

/**
 * The log line of a requeue: none happens when the claim was already released (a shutdown handed the job to
 * reconciliation while its submission was still answering), and the line says so rather than "requeued".
 */
function noteRequeue(jl: Logger, requeued: boolean, fields: Record<string, unknown>): void {
  if (requeued) jl.info("job requeued", fields);
  else jl.info("job not requeued: its claim was released meanwhile; reconciliation decides", fields);
}

/** A running estimate of how long a generation takes at Pixverse (exponentially weighted). */
function durationEstimator() {
  let mean: number | null = null;
  return {
    observe(ms: number): void {
      mean = mean === null ? ms : 0.8 * mean + 0.2 * ms;
    },
    /** Could a video of this age finish any moment? True until there is data to say otherwise. */
    nearEnd(ageMs: number): boolean {
      return mean === null || ageMs >= 0.75 * mean;
    },
  };
}

/** A sleep that `wake()` ends early; one per loop, never one per job. */
function wakeableSleep() {
  let wake: (() => void) | null = null;
  return {
    sleep(ms: number): Promise<void> {
      return new Promise((resolve) => {
        const timer = setTimeout(done, ms);
        function done() {
          clearTimeout(timer);
          wake = null;
          resolve();
        }
        wake = done;
      });
    },
    wake(): void {
      wake?.();
    },
  };
}

/** Refusals that left nothing at Pixverse and say nothing about the job: another account may take it now. */
const NEXT_ACCOUNT: readonly SubmitErrorKind[] = ["concurrency", "credits", "session", "unavailable"];
/** Ids recorded this long before a submission may still be in its account's list: reconciliation excludes them. */
const EXCLUDE_WINDOW_MS = 60 * 60_000;

export function createDispatcher(o: DispatcherOptions): Dispatcher {
  const lockTtlMs = o.lockTtlMs ?? 180_000;
  const reconcileGraceMs = o.reconcileGraceMs ?? 20_000;
  const idleTickMs = o.idleTickMs ?? 1000;
  const maintenanceEveryMs = o.maintenanceEveryMs ?? 5000;
  const backoff = { baseMs: o.backoffBaseMs ?? 2000, maxMs: o.backoffMaxMs ?? 60_000 };
  const poll = { minMs: o.pollMinMs ?? 1000, maxMs: o.pollMaxMs ?? 2500 };
  const pollBacklogMs = o.pollBacklogMs ?? 250;
  const watchFinishedMs = o.watchFinishedMs ?? 10 * 60_000;
  const watchPollMs = o.watchPollMs ?? 5000;
  const goneGraceMs = o.goneGraceMs ?? 20_000;
  const durations = durationEstimator();
  const log = o.logger.child({ component: "dispatcher" });
  const changed = (id: number) => o.onChange?.(id);
  const metrics = o.metrics;
  const heldNow = (): readonly string[] => (o.held ? o.held() : o.accounts);

  let running = false;
  /** Every slot was busy while due jobs waited, at the last submit round. */
  let backlogged = false;
  const submitting = new Set<Promise<void>>();
  /** Submissions under way per account: not in any list or count yet, but they hold a slot. */
  const underWay = new Map<string, number>();
  /** Free slots left per account after the last round's claims: where a refused job may go next. */
  let spare = new Map<string, number>();
  const submitSleep = wakeableSleep();
  const pollSleep = wakeableSleep();
  const loops: Promise<void>[] = [];

  function track(account: string, delta: number): void {
    const n = (underWay.get(account) ?? 0) + delta;
    if (n > 0) underWay.set(account, n);
    else underWay.delete(account);
  }

  async function submitRound(): Promise<number> {
    if (!(await o.repo.hasDueQueued())) {
      backlogged = false;
      return 0;
    }
    const held = new Set(heldNow());
    // No account held: the instances that hold them do the work.
    if (held.size === 0) {
      backlogged = false;
      return 0;
    }
    const paused = o.pausedAccounts ? await o.pausedAccounts() : null;
    const rooms = (await o.generator.capacity()).filter((c) => held.has(c.account) && c.ready && !paused?.has(c.account));
    // Pixverse's own view (fresh) counts what really runs there, hand-made videos included, and no stale
    // row; without it, the account's rows. Submissions under way are not in either yet.
    const rows = rooms.some((c) => c.busy === null) ? await o.repo.countInFlightByAccount(rooms.map((c) => c.account)) : new Map<string, number>();
    const open = rooms
      .map((c) => {
        const under = underWay.get(c.account) ?? 0;
        const busy = c.busy === null ? Math.max(rows.get(c.account) ?? 0, under) : c.busy + under;
        return { account: c.account, free: c.slots - busy, load: busy / Math.max(1, c.slots) };
      })
      .filter((r) => r.free > 0)
      .sort((a, b) => a.load - b.load);
    spare = new Map();
    if (open.length === 0) {
      if (!backlogged && rooms.length > 0) pollSleep.wake();
      backlogged = rooms.length > 0;
      return 0;
    }
    backlogged = false;
    let claimed = 0;
    let drained = false;
    // The least loaded account first; each claim records its account in the same statement.
    for (const room of open) {
      const jobs: Job[] = drained ? [] : await o.repo.claimQueued(o.owner, room.free, room.account, o.fairShareWeights);
      drained ||= jobs.length < room.free;
      if (room.free > jobs.length) spare.set(room.account, room.free - jobs.length);
      claimed += jobs.length;
      for (const job of jobs) {
        const p = submitOne(job, room.account).finally(() => {
          submitting.delete(p);
          submitSleep.wake();
          pollSleep.wake();
        });
        submitting.add(p);
      }
    }
    return claimed;
  }

  /** An account that still had a free slot this round, held and not tried yet, for a job another refused. */
  function takeSpare(tried: ReadonlySet<string>): string | undefined {
    const held = heldNow();
    for (const [account, n] of spare) {
      if (tried.has(account) || !held.includes(account)) continue;
      if (n > 1) spare.set(account, n - 1);
      else spare.delete(account);
      return account;
    }
    return undefined;
  }

  async function submitOne(job: Job, first: string): Promise<void> {
    const jl = log.child({ job_id: job.id });
    jl.info("job claimed", { kind: job.kind, attempt: job.attempts, account: first });
    changed(job.id);
    let account = first;
    let result: SubmitResult;
    try {
      let image;
      if (job.kind === "i2v") {
        image = await o.repo.loadImage(job.id);
        if (!image) {
          await finish(job, "failed", { errorCode: "image_missing", errorMessage: "the uploaded image is gone" }, jl);
          return;
        }
      }
      const settings = resolveSettings(o.settings, job.settings);
      const tried = new Set<string>();
      for (;;) {
        tried.add(account);
        track(account, 1);
        try {
          result = await o.generator.submit({ jobId: job.id, account, kind: job.kind, prompt: job.prompt, settings, image: image ?? undefined });
        } catch (e) {
          result = { ok: false, kind: "unknown_outcome", message: e instanceof Error ? e.message : String(e) };
        } finally {
          track(account, -1);
        }
        if (result.ok || !NEXT_ACCOUNT.includes(result.kind)) break;
        // Nothing reached Pixverse: another held account with a free slot takes it now, recorded first.
        const next = takeSpare(tried);
        if (next === undefined) break;
        metrics?.submitRefused(result.kind, result.code);
        if (!(await o.repo.moveClaim(job.id, o.owner, next))) break;
        jl.info("account refused the job; trying another", { account, reason: result.kind, next });
        account = next;
      }
    } catch (e) {
      result = { ok: false, kind: "unknown_outcome", message: e instanceof Error ? e.message : String(e) };
    }
    await recordSubmit(job, account, result, jl);
  }

  async function recordSubmit(job: Job, account: string, result: SubmitResult, jl: Logger): Promise<void> {
    if (result.ok) {
      let ok: boolean;
      try {
        ok = await o.repo.markSubmitted(job.id, o.owner, result.pixverseId, account);
      } catch (e) {
        if (!(e instanceof PixverseIdTaken)) throw e;
        // Another job's reconciliation already took this video (same prompt, same time): which job it was
        // made for cannot be told any more. This one goes to reconciliation, which never takes an id another
        // job holds; it ends with a video of its own or is submitted again. Nothing is lost, nothing crashes.
        await o.repo.markOutcomeUnknown(job.id, o.owner, e.message);
        changed(job.id);
        jl.error("Pixverse's id for this job is already recorded for another job; it will be reconciled", { pixverse_id: result.pixverseId, account });
        return;
      }
      changed(job.id);
      if (ok) metrics?.jobSubmitted(job.createdAt);
      jl.info("job submitted", { pixverse_id: result.pixverseId, account, recorded: ok });
      return;
    }
    metrics?.submitRefused(result.kind, result.code);
    const fields = { reason: result.kind, code: result.code, message: result.message };
    switch (result.kind) {
      case "moderation":
        await finish(job, "moderated", { errorCode: String(result.code ?? result.kind), errorMessage: result.message }, jl);
        return;
      case "bad_input":
        await finish(job, "failed", { errorCode: String(result.code ?? result.kind), errorMessage: result.message }, jl);
        return;
      case "unknown_outcome":
        await o.repo.markOutcomeUnknown(job.id, o.owner, result.message);
        jl.warn("job submission outcome unknown; it will be reconciled, never resubmitted blindly", fields);
        return;
      case "concurrency":
      case "credits":
      case "session":
      case "unavailable": {
        // Nothing reached Pixverse (or it refused for a reason that is not the job's): wait, don't count it.
        const delayMs = result.kind === "concurrency" ? backoff.baseMs : backoffMs(job.attempts, backoff);
        const requeued = await o.repo.requeue(job.id, o.owner, { delayMs, refundAttempt: true, errorCode: String(result.code ?? result.kind), errorMessage: result.message });
        noteRequeue(jl, requeued, { ...fields, delay_ms: delayMs });
        return;
      }
      case "overloaded": {
        const delayMs = backoffMs(job.attempts, backoff);
        const requeued = await o.repo.requeue(job.id, o.owner, { delayMs, errorCode: String(result.code ?? result.kind), errorMessage: result.message });
        noteRequeue(jl, requeued, { ...fields, delay_ms: delayMs });
        return;
      }
    }
  }

  async function finish(
    job: Job,
    state: FinalState,
    details: { url?: string; pixverseStatus?: number; errorCode?: string; errorMessage?: string; mediaKey?: string | null; whileGenerating?: string },
    jl: Logger,
  ): Promise<boolean> {
    const ended = await o.repo.finish(job.id, state, details);
    changed(job.id);
    if (!ended) return false;
    metrics?.jobFinished(state, job.createdAt);
    jl.info("job finished", { state, pixverse_status: details.pixverseStatus, error_code: details.errorCode });
    return true;
  }

  /** One polling round: returns the delay until the next. */
  let lastWatch = 0;

  /**
   * When each job's Pixverse video was first reported gone (500008); cleared when it shows up again. Bounded:
   * a job that stops being polled elsewhere (finished by the deadline, its lease lost) leaves an entry behind.
   */
  const goneSince = new LRUCache<number, number>({ max: 10_000 });

  /** Has the job's video been gone for longer than the grace? Notes the first report. */
  function goneForGood(job: Job, gone: ReadonlySet<string>): boolean {
    if (!gone.has(job.pixverseVideoId!)) {
      goneSince.delete(job.id);
      return false;
    }
    const since = goneSince.get(job.id) ?? Date.now();
    goneSince.set(job.id, since);
    return Date.now() - since >= goneGraceMs;
  }

  /** Finished videos that Pixverse now reports deleted, moderated or no longer has change their answer. */
  async function reviewWatched(watched: Job[], videos: Map<string, PixverseVideo>, gone: ReadonlySet<string>): Promise<void> {
    for (const job of watched) {
      const video = videos.get(job.pixverseVideoId!);
      const became = video ? afterDelivery(video) : goneForGood(job, gone) ? "deleted" : null;
      if (became === null) continue;
      goneSince.delete(job.id);
      // Our own copy is what was delivered: it stays (revokeSuccess leaves it too); noted once.
      if (job.mediaKey !== null) {
        o.media?.kept(job, became, video?.status ?? null);
        continue;
      }
      // Not in jobs_finished_total: the job was counted when it succeeded.
      if (await o.repo.revokeSuccess(job.id, became, video?.status ?? null)) {
        changed(job.id);
        log.info("job finished", { job_id: job.id, pixverse_id: job.pixverseVideoId, state: became, pixverse_status: video?.status, gone: !video, after_success: true });
      }
    }
  }

  async function pollRound(): Promise<number> {
    // Only the accounts held now: another instance polls the others.
    const held = heldNow();
    const jobs = (await o.repo.listGenerating(held)).filter((j) => j.pixverseVideoId);
    const watchDue = Date.now() - lastWatch >= watchPollMs;
    const watched = watchDue ? (await o.repo.listRecentlySucceeded(held, watchFinishedMs)).filter((j) => j.pixverseVideoId) : [];
    let freed = 0;
    if (jobs.length === 0 && watched.length === 0) return idleTickMs;
    const all = [...jobs, ...watched];
    const accountOf = new Map(all.map((j) => [j.pixverseVideoId!, j.account!]));
    const { videos, gone } = await o.generator.poll([...accountOf.keys()], accountOf);
    if (watchDue) lastWatch = Date.now();
    await reviewWatched(watched, videos, gone);
    // Only finished videos are watched: their next look is gated by watchPollMs above.
    if (jobs.length === 0) return idleTickMs;
    for (const job of jobs) {
      const video = videos.get(job.pixverseVideoId!);
      const jl = log.child({ job_id: job.id, pixverse_id: job.pixverseVideoId });
      if (!video) {
        if (!goneForGood(job, gone)) continue;
        // Pixverse no longer has it: end it now, so it stops holding a slot.
        goneSince.delete(job.id);
        const seen = job.pixverseStatus !== null;
        await finish(job, seen ? "deleted" : "failed", { errorCode: "pixverse_gone", errorMessage: "Pixverse no longer has this video (500008)" }, jl);
        freed++;
        continue;
      }
      goneSince.delete(job.id);
      const outcome = mapPixverseVideo(video);
      switch (outcome.kind) {
        case "pending":
          await o.repo.notePixverseStatus(job.id, video.status);
          break;
        case "unknown":
          await o.repo.notePixverseStatus(job.id, video.status);
          jl.warn("unknown Pixverse status; still generating until the deadline", { pixverse_status: outcome.code });
          break;
        case "succeeded": {
          const done = { url: outcome.url, pixverseStatus: video.status };
          // MEDIA_STORE: the job stays generating until our copy exists; the copier ends it (in the background),
          // only while it is still generating this video (not after a requeue gave it a new one).
          let first = true;
          const end = (d: { url: string; mediaKey: string | null }) => finish(job, "succeeded", { ...done, ...d, whileGenerating: job.pixverseVideoId! }, jl);
          if (o.media) first = await o.media.offer(job, { ...done, firstFrame: outcome.firstFrame ?? null }, end);
          else await finish(job, "succeeded", done, jl);
          // Once per video: the copier offers it again each round until the copy ends it.
          if (first) {
            durations.observe(Date.now() - (job.submittedAt ?? job.createdAt).getTime());
            freed++;
          }
          break;
        }
        case "failed":
        case "moderated":
        case "deleted":
          await finish(job, outcome.kind, { pixverseStatus: video.status, errorCode: `pixverse_status_${outcome.code}` }, jl);
          freed++;
          break;
      }
    }
    // A finished video frees a Pixverse slot: let a waiting job have it now, not at the next tick.
    if (freed > 0) submitSleep.wake();
    const ages = jobs.map((j) => Date.now() - (j.submittedAt ?? j.createdAt).getTime());
    const interval = pollIntervalMs(Math.min(...ages), poll);
    return backlogged && durations.nearEnd(Math.max(...ages)) ? Math.min(interval, pollBacklogMs) : interval;
  }

  async function maintain(): Promise<void> {
    for (const id of await o.repo.failExpired()) {
      changed(id);
      // Only ids come back: counted, but not in job_finish_seconds (it would be about the deadline anyway).
      metrics?.jobFinished("failed");
      log.info("job finished", { job_id: id, state: "failed", error_code: "deadline" });
    }
    const held = heldNow();
    // Jobs that record no account (claimed before accounts were recorded at claim) may be on any account:
    // only an instance holding every configured account can tell that Pixverse has none of them.
    const scope = { accounts: held, unassigned: o.accounts.every((a) => held.includes(a)), leased: o.held !== undefined };
    const stuck = await o.repo.claimUnreconciled(o.owner, lockTtlMs, 10, reconcileGraceMs, scope);
    for (const job of stuck) await reconcileOne(job);
  }

  /** Reconcile on one account, with the ids other jobs hold there (from the database) excluded. */
  async function reconcileOn(job: Job, account: string): Promise<ReconcileResult> {
    try {
      const submittedAt = job.submittedAt ?? job.createdAt;
      const excludeIds = await o.repo.pixverseIdsOf(account, job.id, new Date(submittedAt.getTime() - EXCLUDE_WINDOW_MS));
      return await o.generator.reconcile({ jobId: job.id, account, kind: job.kind, prompt: job.prompt, submittedAt, excludeIds });
    } catch (e) {
      return { kind: "unknown", message: e instanceof Error ? e.message : String(e) };
    }
  }

  async function reconcileOne(job: Job): Promise<void> {
    const jl = log.child({ job_id: job.id, account: job.account });
    const held = heldNow();
    const accounts = job.account === null ? held : held.includes(job.account) ? [job.account] : [];
    let result: ReconcileResult = { kind: "unknown", message: "its account is not held by this instance any more" };
    let found: { pixverseId: string; account: string } | null = null;
    for (const account of accounts) {
      const r = await reconcileOn(job, account);
      if (r.kind === "found") {
        found = { pixverseId: r.pixverseId, account };
        break;
      }
      // `absent` only when every account asked says so.
      if (r.kind === "unknown" || account === accounts[0]) result = r;
    }
    if (found) {
      try {
        if (await o.repo.markSubmitted(job.id, o.owner, found.pixverseId, found.account)) metrics?.jobSubmitted(job.createdAt);
      } catch (e) {
        if (!(e instanceof PixverseIdTaken)) throw e;
        // Recorded for another job meanwhile: the next round excludes it.
        await o.repo.releaseClaim(job.id, o.owner);
        jl.warn("job reconciliation found a video another job holds; will try again", { pixverse_id: found.pixverseId });
        return;
      }
      changed(job.id);
      jl.info("job reconciled: Pixverse has it", { pixverse_id: found.pixverseId, account: found.account });
      return;
    }
    switch (result.kind) {
      case "absent":
        await o.repo.requeue(job.id, o.owner, { delayMs: 0, refundAttempt: true, errorCode: "reconciled_absent" });
        changed(job.id);
        jl.info("job reconciled: never reached Pixverse; queued again");
        submitSleep.wake();
        return;
      case "unknown":
        await o.repo.releaseClaim(job.id, o.owner);
        jl.warn("job reconciliation inconclusive; will try again", { message: result.message });
        return;
    }
  }

  async function guarded(name: string, fn: () => Promise<unknown>): Promise<void> {
    try {
      await fn();
    } catch (e) {
      log.error(`${name} failed`, { error: e });
    }
  }

  async function submitLoop(): Promise<void> {
    while (running) {
      let claimed = 0;
      await guarded("submit round", async () => (claimed = await submitRound()));
      if (running && claimed === 0) await submitSleep.sleep(idleTickMs);
    }
  }

  async function pollLoop(): Promise<void> {
    while (running) {
      let delay = idleTickMs;
      await guarded("poll round", async () => (delay = await pollRound()));
      if (running) await pollSleep.sleep(delay);
    }
  }

  async function maintenanceLoop(): Promise<void> {
    const sleep = wakeableSleep();
    stopMaintenance = sleep.wake;
    while (running) {
      await guarded("maintenance", maintain);
      if (running) await sleep.sleep(maintenanceEveryMs);
    }
  }
  let stopMaintenance: () => void = () => {};

  return {
    async start() {
      if (!o.held) o.generator.activate(o.accounts);
      const reset = await o.repo.resetLocksOf(o.owner);
      if (reset > 0) log.warn("reset locks held by this instance before a restart; those jobs will be reconciled", { jobs: reset });
      running = true;
      loops.push(submitLoop(), pollLoop(), maintenanceLoop());
    },
    notify() {
      submitSleep.wake();
    },
    submitting: () => new Set(underWay.keys()),
    async stop(timeoutMs = 30_000) {
      running = false;
      submitSleep.wake();
      pollSleep.wake();
      stopMaintenance();
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<void>((r) => (timer = setTimeout(r, timeoutMs)));
      await Promise.race([Promise.allSettled([...loops, ...submitting]), timeout]);
      clearTimeout(timer);
      // Copies under way are cut off; their jobs stay generating and are copied again after the restart.
      await o.media?.close();
    },
    async runOnce() {
      await maintain();
      await submitRound();
      await Promise.allSettled([...submitting]);
      await pollRound();
    },
  };
}
