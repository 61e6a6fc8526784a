// A simulated video's life, computed from its timestamps on every read: no timer per video, so hundreds
// in flight cost nothing, and a reset or stop leaves nothing running.
import { VIDEO_STATUS } from "./codes.ts";

export type VideoKind = "t2v" | "i2v";
/** How a generation ends; chosen by the prompt's test marker (docs/SIMULATOR.md "Test markers"). */
export type Outcome = "done" | "moderated" | "filtered" | "failed" | "deleted" | "replaced";

export interface Video {
  id: number;
  accountId: number;
  kind: VideoKind;
  prompt: string;
  model: string;
  duration: number;
  quality: string;
  /** t2v: the requested ratio; i2v: derived from the image, as the output follows the picture. */
  aspectRatio: string;
  imageUrl: string | null;
  seed: number;
  createdAt: number;
  /** Until then `9` (queued), after it `5` (generating). */
  startedAt: number;
  /** The final status from then on; before it the video counts against the account's concurrency. */
  finishAt: number;
  /** `[sim:deleted]` / `[sim:replaced]` only: when the finished video starts being reported as deleted, or
   * with Pixverse's placeholder in place of its output (moderation after delivery). */
  deletedAt: number | null;
  outcome: Outcome;
  outputWidth: number;
  outputHeight: number;
}

export interface Markers {
  blocked: boolean;
  slow: boolean;
  /** `[sim:status10]`: reported as 10 throughout (STATUS10_MARKER). */
  status10: boolean;
  /** `[sim:queued]`: in Pixverse's queue (9) for most of its time, as at busy times or off-peak. */
  queued: boolean;
  outcome: Outcome;
}

export function readMarkers(prompt: string): Markers {
  const outcome: Outcome = prompt.includes("[sim:moderation]")
    ? "moderated"
    : prompt.includes("[sim:filtered]")
      ? "filtered"
      : prompt.includes("[sim:fail]")
      ? "failed"
      : prompt.includes("[sim:deleted]")
        ? "deleted"
        : prompt.includes("[sim:replaced]")
          ? "replaced"
        : "done";
  return {
    blocked: prompt.includes("[sim:blocked]"),
    slow: prompt.includes("[sim:slow]"),
    queued: prompt.includes("[sim:queued]"),
    status10: prompt.includes(STATUS10_MARKER),
    outcome,
  };
}

/**
 * `[sim:status10]`: the video is reported as 10 from its creation on, with its URL already given (it answers
 * 404 until the video is rendered) and a 0×0 output size, and stays 10 once rendered, now with its size: how
 * pixsim7 saw the web app report videos (pixverse_status.py, 2026-07). Read from the prompt, not stored.
 */
export const STATUS10_MARKER = "[sim:status10]";

/** The base time with ±`jitter` (default ±20 %), ×10 for `[sim:slow]`. */
export function generationTime(baseMs: number, slow: boolean, random: () => number, jitter = 0.2): number {
  return Math.round(baseMs * (1 - jitter + 2 * jitter * random()) * (slow ? 10 : 1));
}

/** `[sim:replaced]`: the output is swapped for the placeholder this many generation times after submission. */
export const REPLACED_AFTER_TIMES = 10;

/** The first fifth of a generation is reported as queued (9), the rest as generating (5); our choice. */
export const QUEUED_SHARE = 0.2;
/** `[sim:queued]`: nine tenths of it. */
export const LONG_QUEUED_SHARE = 0.9;

export function videoStatus(video: Video, now: number): number {
  const ten = video.prompt.includes(STATUS10_MARKER);
  if (now < video.finishAt) return ten ? VIDEO_STATUS.processing : now < video.startedAt ? VIDEO_STATUS.queued : VIDEO_STATUS.generating;
  switch (video.outcome) {
    case "done":
      return ten ? VIDEO_STATUS.processing : VIDEO_STATUS.done;
    case "moderated":
      return VIDEO_STATUS.moderated;
    case "filtered":
      return VIDEO_STATUS.filtered;
    case "failed":
      return VIDEO_STATUS.failed;
    case "deleted":
      return video.deletedAt !== null && now >= video.deletedAt ? VIDEO_STATUS.deleted : VIDEO_STATUS.done;
    case "replaced":
      return VIDEO_STATUS.done;
  }
}

export function isRunning(video: Video, now: number): boolean {
  return now < video.finishAt;
}

// pixsim7 pixverse/pricing.py: credits per second of video by quality (spec "Account limits").
export const CREDITS_PER_SECOND: Record<string, number> = { "360p": 4, "540p": 6, "720p": 8, "1080p": 16 };
export const QUALITIES = Object.keys(CREDITS_PER_SECOND);
/**
 * The spec says Audio and Multi-Shot "raise the credit cost" but not by how much: a flat 10 credits each per
 * video is our choice. The 2026 page shows the same sum on its Create button.
 */
export const SURCHARGE = { audio: 10, multiShot: 10 } as const;

/** What the 2026 creation page offers (spec "Creating a video": models, qualities, durations of 2026). */
export const MODELS = ["v5", "v5.5", "v5.6", "v6"] as const;
export const DURATIONS = [5, 8, 10] as const;
/** The page's settings when it remembers none: deliberately not the cheapest, so tests see who chose. */
export const PAGE_DEFAULTS = { model: "v5.5", quality: "540p", duration: 5 } as const;

export interface CostExtras {
  audio?: boolean;
  multiShot?: boolean;
}

export function creditCost(quality: string, duration: number, extras: CostExtras = {}): number {
  return (CREDITS_PER_SECOND[quality] ?? 4) * duration + (extras.audio ? SURCHARGE.audio : 0) + (extras.multiShot ? SURCHARGE.multiShot : 0);
}

/** `16:9` → 1.78; unknown shapes fall back to 16:9. */
export function ratioOf(aspectRatio: string): number {
  const m = /^(\d+):(\d+)$/.exec(aspectRatio);
  return m ? Number(m[1]) / Number(m[2]) : 16 / 9;
}

/** The quality names the short side; the long side follows the ratio, rounded to even like encoders do. */
export function outputSize(quality: string, ratio: number): { width: number; height: number } {
  const short = Number.parseInt(quality, 10) || 360;
  const long = Math.round((short * Math.max(ratio, 1 / ratio)) / 2) * 2;
  return ratio >= 1 ? { width: long, height: short } : { width: short, height: long };
}

/**
 * Where a finished video lives. Pixverse's media paths carry `%2F` escapes inside one path segment
 * (spec "Polling": decode `%2F`); the simulator serves both the escaped and the decoded form.
 */
export function mediaPath(video: Video, ext: "mp4" | "jpg"): string {
  return `/media/pixverse%2F${ext}%2Fmedia%2Fweb%2Fori%2F${video.id}_seed${video.seed}.${ext}`;
}

/** The video id in a mediaPath (escaped or not), or null for any other path. */
export function mediaVideoId(path: string): number | null {
  const m = /(?:\/|%2F)(\d+)_seed\d+\.(?:mp4|jpg)$/i.exec(path);
  return m ? Number(m[1]) : null;
}

/** Pixverse's placeholder output of a video without one (docs/PIXVERSE.md "Polling"). */
const PLACEHOLDER = { mp4: "/media/pixverse%2Fmedia%2Fdefault.mp4", jpg: "/media/pixverse%2Fmedia%2Fdefault.jpg" } as const;

/** created_at as ISO 8601 UTC without milliseconds ("2026-11-25T17:00:00Z"); the spec shows no example. */
export function formatTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** One item of `list/personal` and the answer of `list/detail` (spec "Polling" fields, plus a few settings). */
export function toListItem(video: Video, now: number, origin: string) {
  const status = videoStatus(video, now);
  const finished = now >= video.finishAt && (status === VIDEO_STATUS.done || status === VIDEO_STATUS.processing);
  // `[sim:status10]` before it is rendered: the URL is there already, the size is not.
  const preallocated = status === VIDEO_STATUS.processing && !finished;
  // Moderated after delivery: still "done", its output swapped for the placeholder (docs/PIXVERSE.md).
  const replaced = video.outcome === "replaced" && video.deletedAt !== null && now >= video.deletedAt;
  return {
    video_id: video.id,
    video_status: status,
    prompt: video.prompt,
    url: finished ? origin + (replaced ? PLACEHOLDER.mp4 : mediaPath(video, "mp4")) : preallocated ? origin + mediaPath(video, "mp4") : "",
    first_frame: finished ? origin + (replaced ? PLACEHOLDER.jpg : mediaPath(video, "jpg")) : (video.imageUrl ?? ""),
    created_at: formatTime(video.createdAt),
    output_width: finished ? video.outputWidth : 0,
    output_height: finished ? video.outputHeight : 0,
    model: video.model,
    duration: video.duration,
    quality: video.quality,
    aspect_ratio: video.aspectRatio,
    customer_img_url: video.imageUrl ?? "",
    seed: video.seed,
  };
}
export type ListItem = ReturnType<typeof toListItem>;

/**
 * The picture of an image video a person starts by hand (`POST /__sim/start` with kind i2v): the committed
 * `assets/sample.jpg` (320×180), which `/media/…jpg` serves under any name.
 */
export const MANUAL_IMAGE = { path: "/media/manual/sample.jpg", width: 320, height: 180 } as const;
