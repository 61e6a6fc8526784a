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

// pixsim7 pixverse/pricing.py: credits per second of video by quality (spec "Account limits"); no source
// prices 2160p for the web: twice 1080p is our choice.
export const CREDITS_PER_SECOND: Record<string, number> = { "360p": 4, "540p": 6, "720p": 8, "1080p": 16, "2160p": 32 };
export const QUALITIES = Object.keys(CREDITS_PER_SECOND);

const seconds = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
/**
 * The models a generation may name, each with its highest quality and the durations it takes: PixVerseAI/skills
 * `skills/SKILL.md` "Video Models" (2026), which also lists the partner models; v5 and v5.5, no longer listed
 * there, as docs/PIXVERSE.md gives them (5, 8 or 10 s). Anything else is 400017, as for any bad parameter.
 */
export const MODEL_LIMITS: Readonly<Record<string, { maxQuality: string; durations: readonly number[] }>> = {
  v6: { maxQuality: "1080p", durations: seconds(1, 15) },
  "pixverse-c1": { maxQuality: "1080p", durations: seconds(1, 15) },
  "v5.6": { maxQuality: "1080p", durations: seconds(1, 10) },
  "v5.5": { maxQuality: "1080p", durations: [5, 8, 10] },
  v5: { maxQuality: "1080p", durations: [5, 8, 10] },
  "sora-2": { maxQuality: "720p", durations: [4, 8, 12] },
  "sora-2-pro": { maxQuality: "1080p", durations: [4, 8, 12] },
  "veo-3.1-standard": { maxQuality: "2160p", durations: [4, 6, 8] },
  "veo-3.1-fast": { maxQuality: "2160p", durations: [4, 6, 8] },
  "veo-3.1-lite": { maxQuality: "1080p", durations: [4, 6, 8] },
  "grok-imagine": { maxQuality: "720p", durations: seconds(1, 15) },
  "happyhorse-1.0": { maxQuality: "1080p", durations: seconds(3, 15) },
  "seedance-2.0-standard": { maxQuality: "2160p", durations: seconds(4, 15) },
  "seedance-2.0-fast": { maxQuality: "720p", durations: seconds(4, 15) },
  "seedance-2.0-mini": { maxQuality: "720p", durations: seconds(4, 15) },
  "kling-o3-pro": { maxQuality: "720p", durations: seconds(3, 15) },
  "kling-o3-standard": { maxQuality: "720p", durations: seconds(3, 15) },
  "kling-3.0-pro": { maxQuality: "720p", durations: seconds(3, 15) },
  "kling-3.0-standard": { maxQuality: "720p", durations: seconds(3, 15) },
  "gemini-omni-flash": { maxQuality: "720p", durations: seconds(3, 10) },
};

/** Whether a model takes this quality and duration (MODEL_LIMITS). */
export function modelTakes(model: string, quality: string, duration: number): boolean {
  const limits = Object.hasOwn(MODEL_LIMITS, model) ? MODEL_LIMITS[model]! : undefined;
  if (!limits || !QUALITIES.includes(quality)) return false;
  return Number.parseInt(quality, 10) <= Number.parseInt(limits.maxQuality, 10) && limits.durations.includes(duration);
}
/**
 * The spec says Audio and Multi-Shot "raise the credit cost" but not by how much: a flat 10 credits each per
 * video is our choice. The 2026 page shows the same sum on its Create button.
 */
export const SURCHARGE = { audio: 10, multiShot: 10 } as const;

/** What the 2026 creation page offers (spec "Creating a video": models, qualities, durations of 2026). */
export const MODELS = ["v5", "v5.5", "v5.6", "v6"] as const;
/** Its qualities: those all of its models take (2160p is for some partner models only). */
export const PAGE_QUALITIES = QUALITIES.filter((q) => MODELS.every((m) => modelTakes(m, q, 5)));
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
