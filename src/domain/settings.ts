// What a generation is made with: model, quality, duration, shape, and the extras that change its cost.
// Pure code: the operator's defaults (configuration) overlaid with what a caller chose for one request.

/** Everything a submission tells Pixverse about how to make the video. */
export interface GenerationSettings {
  model: string;
  /** `360p` … `1080p`. */
  quality: string;
  /** Seconds. */
  duration: number;
  /** Text videos only (`16:9`, …); an image video takes the image's shape. */
  aspectRatio: string;
  /** Pixverse's Audio switch; off by default (dearer, different output). */
  audio: boolean;
  /** Pixverse's Multi-Shot switch; off by default (dearer, different output). */
  multiShot: boolean;
  seed?: number;
  negativePrompt?: string;
}

/** What a caller may choose per request; anything absent comes from the operator's defaults. */
export interface RequestedSettings {
  model?: string;
  quality?: string;
  duration?: number;
  aspectRatio?: string;
  seed?: number;
  negativePrompt?: string;
}

/** The lists a caller's choices are checked against (the operator sets them). */
export interface AllowedSettings {
  models: readonly string[];
  qualities: readonly string[];
  durations: readonly number[];
  aspectRatios: readonly string[];
}

/** The settings one job is submitted with: the defaults, overlaid with what its caller chose. */
export function resolveSettings(defaults: GenerationSettings, requested: RequestedSettings | null | undefined): GenerationSettings {
  if (!requested) return defaults;
  const chosen = Object.fromEntries(Object.entries(requested).filter(([, v]) => v !== undefined && v !== null));
  return { ...defaults, ...chosen };
}
