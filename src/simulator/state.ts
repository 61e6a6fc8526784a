// Everything the simulator remembers: accounts (accounts.ts), uploads (uploads.ts), videos, faults, the
// page layout and label overrides, and the counters the control API reports. Plain in-memory maps; time is
// read through `now()`, nothing is scheduled. What is worth keeping across a restart can be taken out as a
// snapshot and put back (persist.ts writes it to a file).
import { AccountBook, type Account, type AccountRecord, type NewAccount, type SessionRecord } from "./accounts.ts";
import { ERR, type ErrCode } from "./codes.ts";
import type { I18nKey } from "./i18n.ts";
import type { Ui } from "./layouts.ts";
import { UploadStore, type MediaEntry } from "./uploads.ts";
import {
  creditCost,
  formatTime,
  generationTime,
  isRunning,
  MANUAL_IMAGE,
  outputSize,
  PAGE_DEFAULTS,
  LONG_QUEUED_SHARE,
  QUEUED_SHARE,
  REPLACED_AFTER_TIMES,
  ratioOf,
  readMarkers,
  videoStatus,
  type Video,
  type VideoKind,
} from "./videos.ts";

export interface SimSettings {
  generationMs: number;
  /** Relative spread of generation times (0.2 → ±20 %, the spec's default). */
  jitter: number;
  concurrency: number;
  credits: number;
  /** Re-created on every reset (SIM_EMAIL / SIM_PASSWORD). */
  defaultAccount: { email: string; password: string } | null;
  /** The page layout after start and after a reset that names none. */
  ui: Ui;
  now: () => number;
  random: () => number;
}

/** The generation settings of a submission as its body gave them (absent switches are off). */
export interface GenerationSettings {
  model: string;
  quality: string;
  duration: number;
  aspectRatio: string | null;
  audio: boolean;
  multiShot: boolean;
  seed: number | null;
  negativePrompt: string | null;
}

export interface Submission {
  kind: VideoKind;
  prompt: string;
  settings: GenerationSettings;
  image: { url: string; width: number; height: number } | null;
}

/**
 * Who sent a submission: the page's own Create click (`ui`), a fetch made inside a signed-in page (`page`),
 * anything outside the browser (`external`), or a person by hand through the control API (`manual`).
 */
export type SubmissionOrigin = "ui" | "page" | "external" | "manual";

export interface Faults {
  overloaded: number;
  concurrency: number;
  credits: number;
  /** The next n `batch_upload_media` calls are refused for content (ErrCode 400). */
  uploadModeration: number;
  /** The next submissions are refused with these codes, one each, in order (before the counted kinds). */
  codes: ErrCode[];
}
const FAULT_KINDS = ["overloaded", "concurrency", "credits", "uploadModeration"] as const;
const noFaults = (): Faults => ({ overloaded: 0, concurrency: 0, credits: 0, uploadModeration: 0, codes: [] });

export interface PromptRecord {
  prompt: string;
  kind: VideoKind;
  at: string;
  videoId: number;
  email: string;
  origin: SubmissionOrigin;
  settings: GenerationSettings;
  /** What the submission was charged. */
  credits: number;
}

export type Labels = Partial<Record<I18nKey, string>>;

/** What the state file holds (persist.ts). Counters, faults, the human check and upload bytes are not kept. */
export interface SavedState {
  version: 1;
  lastId: number;
  accounts: AccountRecord[];
  sessions: SessionRecord[];
  videos: Video[];
  media: MediaEntry[];
}

function freshCounters() {
  return {
    submissions: { t2v: 0, i2v: 0 } as Record<VideoKind, number>,
    refused: {} as Record<string, number>,
    listCalls: 0,
    detailCalls: 0,
    maxConcurrent: 0,
    maxConcurrentByAccount: {} as Record<string, number>,
    prompts: [] as PromptRecord[],
  };
}

export type SubmitResult = { ok: true; video: Video } | { ok: false; code: ErrCode };

export class SimState {
  readonly accounts: AccountBook;
  readonly uploads: UploadStore;
  private videos = new Map<number, Video>();
  private faults: Faults = noFaults();
  private counters = freshCounters();
  private layout: Ui;
  private labelOverrides: Labels = {};
  private onChange: ((durable: boolean) => void) | null = null;
  // Ids keep growing across resets so that an id seen before a reset never names a new video.
  private lastId: number;

  constructor(private readonly settings: SimSettings) {
    // Large like Pixverse's (e.g. 413080782435081), unique, and well below 2^53.
    this.lastId = 300_000_000_000_000 + Math.floor(settings.random() * 1e14);
    this.layout = settings.ui;
    const nextId = () => this.nextId();
    const changed = () => this.changed();
    this.accounts = new AccountBook({ credits: settings.credits, concurrency: settings.concurrency }, settings.now, nextId, changed);
    this.uploads = new UploadStore(settings.now, nextId, changed);
    this.reset();
  }

  now(): number {
    return this.settings.now();
  }

  /** The layout of pages nobody is signed in to, and of accounts that name none. */
  ui(): Ui {
    return this.layout;
  }

  /** An account's own layout wins over the simulator's. */
  uiOf(account: Account): Ui {
    return account.ui ?? this.layout;
  }

  labels(): Labels {
    return { ...this.labelOverrides };
  }

  /** Replace the English label overrides of the 2026 pages (an empty object removes them). */
  setLabels(labels: Labels): void {
    this.labelOverrides = { ...labels };
  }

  /** Forget every account, session, video, upload, fault, override and counter; restore the defaults. */
  reset(ui: Ui = this.settings.ui): void {
    this.accounts.clear();
    this.uploads.clear();
    this.videos.clear();
    this.faults = noFaults();
    this.counters = freshCounters();
    this.layout = ui;
    this.labelOverrides = {};
    const d = this.settings.defaultAccount;
    if (d) this.addAccount(d);
    this.changed();
  }

  /** Add an account, replacing any with the same e-mail together with its videos. */
  addAccount(input: NewAccount): Account {
    for (const v of this.accounts.find(input.email)?.videos ?? []) this.videos.delete(v.id);
    return this.accounts.add(input);
  }

  /** Arm the next n submissions (or uploads) to fail; kinds left out keep their count. */
  setFaults(next: Partial<Faults>): Faults {
    for (const kind of FAULT_KINDS) {
      const n = next[kind];
      if (n !== undefined) this.faults[kind] = n;
    }
    if (next.codes !== undefined) this.faults.codes = [...next.codes];
    return { ...this.faults, codes: [...this.faults.codes] };
  }

  /** Consumes one armed upload-moderation fault, if any. */
  takeUploadModeration(): boolean {
    if (this.faults.uploadModeration <= 0) return false;
    this.faults.uploadModeration -= 1;
    return true;
  }

  /** Start a generation, or refuse it with the ErrCode the real site would give. */
  submit(account: Account, sub: Submission, origin: SubmissionOrigin): SubmitResult {
    const refused = this.checkSubmission(account, sub, origin);
    if (refused !== null) {
      this.counters.refused[refused] = (this.counters.refused[refused] ?? 0) + 1;
      return { ok: false, code: refused };
    }
    const now = this.now();
    const s = sub.settings;
    const markers = readMarkers(sub.prompt);
    const time = generationTime(this.settings.generationMs, markers.slow, this.settings.random, this.settings.jitter);
    const ratio = sub.image ? sub.image.width / sub.image.height : ratioOf(s.aspectRatio ?? "16:9");
    const size = outputSize(s.quality, ratio);
    const video: Video = {
      id: this.nextId(),
      accountId: account.id,
      kind: sub.kind,
      prompt: sub.prompt,
      model: s.model,
      duration: s.duration,
      quality: s.quality,
      aspectRatio: sub.image ? `${size.width}:${size.height}` : (s.aspectRatio ?? "16:9"),
      imageUrl: sub.image?.url ?? null,
      seed: s.seed ?? Math.floor(this.settings.random() * 2_147_483_647),
      createdAt: now,
      startedAt: now + Math.round(time * (markers.queued ? LONG_QUEUED_SHARE : QUEUED_SHARE)),
      finishAt: now + time,
      // Our choice: a `[sim:deleted]` video stays finished for one more generation time, then is deleted.
      // Replaced well after it finishes, so that a poller has seen (and delivered) its output first.
      deletedAt: markers.outcome === "deleted" ? now + 2 * time : markers.outcome === "replaced" ? now + REPLACED_AFTER_TIMES * time : null,
      outcome: markers.outcome,
      outputWidth: size.width,
      outputHeight: size.height,
    };
    const cost = creditCost(s.quality, s.duration, s);
    account.credits -= cost;
    account.videos.push(video);
    account.inFlight.push(video);
    this.videos.set(video.id, video);
    this.counters.submissions[sub.kind] += 1;
    this.counters.prompts.push({
      prompt: sub.prompt,
      kind: sub.kind,
      at: new Date(now).toISOString(),
      videoId: video.id,
      email: account.email,
      origin,
      settings: { ...s },
      credits: cost,
    });
    this.noteConcurrency(account);
    // Pixverse has the video once it answers with its id: written before the answer, so a crash of the
    // process right after cannot take back a video the caller was told about.
    this.changed(true);
    return { ok: true, video };
  }

  /**
   * A video started by a person in their own browser: the 2026 page's defaults (Audio and Multi-Shot on),
   * the same limits as any submission but none of the injected faults, which stand for the service's own.
   * An image video uses the committed sample picture.
   */
  startManual(email: string, prompt: string, kind: VideoKind, origin: string): SubmitResult | null {
    const account = this.accounts.find(email);
    if (!account) return null;
    const settings: GenerationSettings = {
      ...PAGE_DEFAULTS,
      aspectRatio: kind === "t2v" ? "16:9" : null,
      audio: true,
      multiShot: true,
      seed: null,
      negativePrompt: null,
    };
    const image = kind === "i2v" ? { url: origin + MANUAL_IMAGE.path, width: MANUAL_IMAGE.width, height: MANUAL_IMAGE.height } : null;
    return this.submit(account, { kind, prompt, settings, image }, "manual");
  }

  /** The account no longer has the video: unlisted, unknown to list/detail, no longer holding a slot. */
  forget(videoId: number): boolean {
    const video = this.videos.get(videoId);
    if (!video) return false;
    this.videos.delete(videoId);
    const account = this.accounts.byId(video.accountId);
    if (account) {
      account.videos = account.videos.filter((v) => v.id !== videoId);
      account.inFlight = account.inFlight.filter((v) => v.id !== videoId);
    }
    this.changed();
    return true;
  }

  /** Newest first; `offset`/`limit` page through them. Every status is listed. */
  listVideos(account: Account, offset: number, limit: number): Video[] {
    this.counters.listCalls += 1;
    const all = account.videos;
    const end = Math.max(all.length - offset, 0);
    return all.slice(Math.max(end - limit, 0), end).reverse();
  }

  /** A video that exists and is not rendered yet (its media URL, if given ahead, answers 404). */
  rendering(videoId: number): boolean {
    const video = this.videos.get(videoId);
    return video !== undefined && isRunning(video, this.now());
  }

  /** Someone else's video is "not found", like a missing one. */
  getVideo(account: Account, videoId: number): Video | undefined {
    this.counters.detailCalls += 1;
    const video = this.videos.get(videoId);
    return video && video.accountId === account.id ? video : undefined;
  }

  stats() {
    const now = this.now();
    const videosByStatus: Record<string, number> = {};
    for (const v of this.videos.values()) {
      const s = String(videoStatus(v, now));
      videosByStatus[s] = (videosByStatus[s] ?? 0) + 1;
    }
    const c = this.counters;
    return {
      ...this.accounts.counters(),
      submissions: { ...c.submissions },
      refused: { ...c.refused },
      listCalls: c.listCalls,
      detailCalls: c.detailCalls,
      videosByStatus,
      running: this.runningTotal(),
      maxConcurrent: c.maxConcurrent,
      maxConcurrentByAccount: { ...c.maxConcurrentByAccount },
      faults: { ...this.faults, codes: [...this.faults.codes] },
      humanCheck: this.accounts.humanCheck(),
      ui: this.layout,
      prompts: c.prompts.map((p) => ({ ...p, settings: { ...p.settings } })),
      now: formatTime(now),
    };
  }

  /** Called on every change worth saving; persist.ts debounces the writes, except `durable` ones (a new
   * video), which it writes before the call returns. */
  setChangeListener(listener: ((durable: boolean) => void) | null): void {
    this.onChange = listener;
  }

  snapshot(): SavedState {
    const { accounts, sessions } = this.accounts.snapshot();
    // Oldest first, so that restoring keeps each account's order.
    const videos = [...this.videos.values()].sort((a, b) => a.createdAt - b.createdAt || a.id - b.id).map((v) => ({ ...v }));
    return { version: 1, lastId: this.lastId, accounts, sessions, videos, media: this.uploads.snapshot() };
  }

  /**
   * Put a saved state back. Videos keep their timestamps, so they finish on their original schedule; the
   * `SIM_EMAIL` account is added if the saved state lacks it.
   */
  restore(saved: SavedState): void {
    this.reset();
    const restored = this.accounts.restore(saved.accounts, saved.sessions);
    const byId = new Map(restored.map((a) => [a.id, a]));
    for (const v of saved.videos) {
      const account = byId.get(v.accountId);
      if (!account) continue;
      const video = { ...v };
      this.videos.set(video.id, video);
      account.videos.push(video);
      account.inFlight.push(video);
    }
    this.uploads.restore(saved.media);
    this.lastId = Math.max(this.lastId, saved.lastId);
    const d = this.settings.defaultAccount;
    if (d && !this.accounts.find(d.email)) this.addAccount(d);
  }

  private changed(durable = false): void {
    this.onChange?.(durable);
  }

  private running(account: Account): number {
    const now = this.now();
    account.inFlight = account.inFlight.filter((v) => isRunning(v, now));
    return account.inFlight.length;
  }

  private runningTotal(): number {
    let total = 0;
    for (const a of this.accounts.all()) total += this.running(a);
    return total;
  }

  private checkSubmission(account: Account, sub: Submission, origin: SubmissionOrigin): ErrCode | null {
    // Injected faults come first: they stand for the site being unwell, whatever the request. A person's
    // own video (manual) is left out of them, so that a test's faults meet the service's submissions.
    if (origin !== "manual") {
      const code = this.faults.codes.shift();
      if (code !== undefined) return code;
      if (this.faults.overloaded > 0) return (this.faults.overloaded--, ERR.overloaded);
      if (this.faults.concurrency > 0) return (this.faults.concurrency--, ERR.concurrency);
      if (this.faults.credits > 0) return (this.faults.credits--, ERR.credits);
    }
    if (readMarkers(sub.prompt).blocked) return ERR.promptBlocked;
    if (this.running(account) >= account.concurrency) return ERR.concurrency;
    if (account.credits < creditCost(sub.settings.quality, sub.settings.duration, sub.settings)) return ERR.credits;
    return null;
  }

  // The count of running generations only rises at a submission, so its maximum is seen right here.
  private noteConcurrency(account: Account): void {
    const c = this.counters;
    c.maxConcurrent = Math.max(c.maxConcurrent, this.runningTotal());
    c.maxConcurrentByAccount[account.email] = Math.max(c.maxConcurrentByAccount[account.email] ?? 0, this.running(account));
  }

  private nextId(): number {
    this.lastId += 1 + Math.floor(this.settings.random() * 997);
    return this.lastId;
  }
}
