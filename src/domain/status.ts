// Job states, the contract's status strings, and how Pixverse's video_status codes map onto them.
// Pure code: imports nothing of ours. The one place for these facts.

/** The four status strings of the contract (docs/API.md), byte for byte. */
export const CONTRACT_STATUS = {
  generating: "Generating",
  deleted: "Deleted",
  moderated: "Contents moderation failed",
  failed: "Generation failed",
} as const;
export type ContractStatus = (typeof CONTRACT_STATUS)[keyof typeof CONTRACT_STATUS];

/** The life of a job: queued → submitting → generating → one of the final states. */
export const JOB_STATES = ["queued", "submitting", "generating", "succeeded", "failed", "moderated", "deleted"] as const;
export type JobState = (typeof JOB_STATES)[number];

export const ACTIVE_STATES = ["queued", "submitting", "generating"] as const satisfies readonly JobState[];
export const FINAL_STATES = ["succeeded", "failed", "moderated", "deleted"] as const satisfies readonly JobState[];
export type FinalState = (typeof FINAL_STATES)[number];

export function isFinal(state: JobState): state is FinalState {
  return (FINAL_STATES as readonly JobState[]).includes(state);
}

/**
 * A state that can never change again. `succeeded` is final for the queue but not settled: Pixverse may
 * still delete or moderate a delivered video, and the answer then changes.
 */
export function isSettled(state: JobState): boolean {
  return state === "failed" || state === "moderated" || state === "deleted";
}

/** What GET /get_status answers for a job: the URL when it succeeded, otherwise one of the four strings. */
export type StatusAnswer = { url: string } | { status: ContractStatus };

export function statusAnswer(state: JobState, url: string | null): StatusAnswer {
  switch (state) {
    case "succeeded":
      // A success without a URL cannot be shown as one; it never happens by construction (see recordOutcome).
      return url ? { url } : { status: CONTRACT_STATUS.failed };
    case "failed":
      return { status: CONTRACT_STATUS.failed };
    case "moderated":
      return { status: CONTRACT_STATUS.moderated };
    case "deleted":
      return { status: CONTRACT_STATUS.deleted };
    case "queued":
    case "submitting":
    case "generating":
      return { status: CONTRACT_STATUS.generating };
  }
}

/** One video as Pixverse's list reports it (the fields we rely on; docs/PIXVERSE.md "Polling"). */
export interface PixverseVideo {
  id: string;
  status: number;
  url: string | null;
  outputWidth: number | null;
  outputHeight: number | null;
  /** Pixverse's `first_frame` of a finished video (its still image), when it gave one: copied with the video (MEDIA_STORE). */
  firstFrame?: string | null;
}

/** Where a Pixverse video stands, in our terms. */
export type PixverseOutcome =
  | { kind: "pending" }
  | { kind: "unknown"; code: number }
  | { kind: "succeeded"; url: string; firstFrame?: string }
  | { kind: "failed"; code: number }
  | { kind: "moderated"; code: number }
  | { kind: "deleted"; code: number };

// docs/PIXVERSE.md "Polling": video_status as Pixverse defines it [PixVerseAI/cli capabilities.json "done=1;
// retry=5,9,10; failed=7,8"; PixVerseAI/skills task-management.md: 5 WAITING, 9 QUEUE, 10 PROCESSING, 1 NORMAL,
// 8 FAILED, 7 NOT_APPROVED], with what pixsim7 observed on the web API (pixverse_status.py, 2026-07): 10 is also
// a finished video's status once it has an output size (on the entry made at creation it has none, and a URL
// that does not work yet); 3 and 17 are filtered, -1 and 4 failed; 6 deleted. 9 is a queue (busy times,
// off-peak jobs), never a failure. Any other code is still generating until the job's deadline (logged with
// the raw code).
const DONE = 1;
const PROCESSING = 10;
const GENERATING_CODES = new Set([5, 9, PROCESSING]);
const MODERATED_CODES = new Set([3, 7, 17]);
const FAILED_CODES = new Set([-1, 4, 8]);
const DELETED_CODES = new Set([6]);

/** A finished video whose URL is Pixverse's placeholder has no output (spec: `…/media/default.mp4` or `.jpg`). */
export function isPlaceholderUrl(url: string): boolean {
  return /\/default\.(mp4|jpg|jpeg|png)(\?|#|$)/i.test(url);
}

/** Decode the `%2F`-style escapes that Pixverse leaves in media URLs. */
export function decodeMediaUrl(url: string): string {
  try {
    return decodeURI(url.replace(/%2F/gi, "/"));
  } catch {
    return url.replace(/%2F/gi, "/");
  }
}

/**
 * What a video delivered earlier has become, as far as its answer goes: `deleted` or `moderated` by its status,
 * and `moderated` too when its output was swapped for Pixverse's placeholder (moderation after delivery,
 * docs/PIXVERSE.md "Finished videos"); anything else leaves the delivered answer alone (null).
 */
export function afterDelivery(video: PixverseVideo): "deleted" | "moderated" | null {
  const outcome = mapPixverseVideo(video);
  if (outcome.kind === "deleted" || outcome.kind === "moderated") return outcome.kind;
  if (isFinished(video) && video.url && isPlaceholderUrl(decodeMediaUrl(video.url))) return "moderated";
  return null;
}

export function mapPixverseVideo(video: PixverseVideo): PixverseOutcome {
  const code = video.status;
  if (isFinished(video)) {
    if (!video.url) return { kind: "failed", code };
    const url = decodeMediaUrl(video.url);
    if (isPlaceholderUrl(url)) return { kind: "failed", code };
    // A placeholder frame is no frame: the video is still copied, without one.
    const frame = video.firstFrame ? decodeMediaUrl(video.firstFrame) : null;
    return frame && !isPlaceholderUrl(frame) ? { kind: "succeeded", url, firstFrame: frame } : { kind: "succeeded", url };
  }
  if (GENERATING_CODES.has(code)) return { kind: "pending" };
  if (MODERATED_CODES.has(code)) return { kind: "moderated", code };
  if (FAILED_CODES.has(code)) return { kind: "failed", code };
  if (DELETED_CODES.has(code)) return { kind: "deleted", code };
  return { kind: "unknown", code };
}

/** 1, or 10 with a URL and both output dimensions non-zero (rendered: pixsim7's test for a finished 10). */
function isFinished(video: PixverseVideo): boolean {
  if (video.status === DONE) return true;
  return video.status === PROCESSING && !!video.url && (video.outputWidth ?? 0) > 0 && (video.outputHeight ?? 0) > 0;
}
