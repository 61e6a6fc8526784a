// Everything the simulator remembers: accounts (accounts.ts), uploads (uploads.ts), videos, faults and the
// counters the control API reports. Plain in-memory maps; time is read through `now()`, nothing is scheduled.
import { AccountBook, type Account, type NewAccount } from "./accounts.ts";
import { ERR, type ErrCode } from "./codes.ts";
import { UploadStore } from "./uploads.ts";
import {
  creditCost,
  formatTime,
  generationTime,
  isRunning,
  outputSize,
  QUEUED_SHARE,
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
  now: () => number;
  random: () => number;
}

export interface Submission {
  kind: VideoKind;
  prompt: string;
  model: string;
  duration: number;
  quality: string;
  aspectRatio: string;
  image: { url: string; width: number; height: number } | null;
}

export interface Faults {
  overloaded: number;
  concurrency: number;
  credits: number;
}

export interface PromptRecord {
  prompt: string;
  kind: VideoKind;
  at: string;
  videoId: number;
  email: string;
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

export class SimState {
  readonly accounts: AccountBook;
  readonly uploads: UploadStore;
  private videos = new Map<number, Video>();
  private faults: Faults = { overloaded: 0, concurrency: 0, credits: 0 };
  private counters = freshCounters();
  // Ids keep growing across resets so that an id seen before a reset never names a new video.
  private lastId: number;

  constructor(private readonly settings: SimSettings) {
    // Large like Pixverse's (e.g. 413080782435081), unique, and well below 2^53.
    this.lastId = 300_000_000_000_000 + Math.floor(settings.random() * 1e14);
    const nextId = () => this.nextId();
    this.accounts = new AccountBook({ credits: settings.credits, concurrency: settings.concurrency }, settings.now, nextId);
    this.uploads = new UploadStore(settings.now, nextId);
    this.reset();
  }

  now(): number {
    return this.settings.now();
  }

  /** Forget every account, session, video, upload, fault and counter; restore the defaults. */
  reset(): void {
    this.accounts.clear();
    this.uploads.clear();
    this.videos.clear();
    this.faults = { overloaded: 0, concurrency: 0, credits: 0 };
    this.counters = freshCounters();
    const d = this.settings.defaultAccount;
    if (d) this.addAccount(d);
  }

  /** Add an account, replacing any with the same e-mail together with its videos. */
  addAccount(input: NewAccount): Account {
    for (const v of this.accounts.find(input.email)?.videos ?? []) this.videos.delete(v.id);
    return this.accounts.add(input);
  }

  /** Arm the next n submissions to fail; kinds left out keep their count. */
  setFaults(next: Partial<Faults>): Faults {
    for (const kind of ["overloaded", "concurrency", "credits"] as const) {
      const n = next[kind];
      if (n !== undefined) this.faults[kind] = n;
    }
    return { ...this.faults };
  }

  /** Start a generation, or refuse it with the ErrCode the real site would give. */
  submit(account: Account, sub: Submission): { ok: true; video: Video } | { ok: false; code: ErrCode } {
    const refused = this.checkSubmission(account, sub);
    if (refused !== null) {
      this.counters.refused[refused] = (this.counters.refused[refused] ?? 0) + 1;
      return { ok: false, code: refused };
    }
    const now = this.now();
    const markers = readMarkers(sub.prompt);
    const time = generationTime(this.settings.generationMs, markers.slow, this.settings.random, this.settings.jitter);
    const ratio = sub.image ? sub.image.width / sub.image.height : ratioOf(sub.aspectRatio);
    const size = outputSize(sub.quality, ratio);
    const video: Video = {
      id: this.nextId(),
      accountId: account.id,
      kind: sub.kind,
      prompt: sub.prompt,
      model: sub.model,
      duration: sub.duration,
      quality: sub.quality,
      aspectRatio: sub.image ? `${size.width}:${size.height}` : sub.aspectRatio,
      imageUrl: sub.image?.url ?? null,
      seed: Math.floor(this.settings.random() * 2_147_483_647),
      createdAt: now,
      startedAt: now + Math.round(time * QUEUED_SHARE),
      finishAt: now + time,
      // Our choice: a `[sim:deleted]` video stays finished for one more generation time, then is deleted.
      deletedAt: markers.outcome === "deleted" ? now + 2 * time : null,
      outcome: markers.outcome,
      outputWidth: size.width,
      outputHeight: size.height,
    };
    account.credits -= creditCost(sub.quality, sub.duration);
    account.videos.push(video);
    account.inFlight.push(video);
    this.videos.set(video.id, video);
    this.counters.submissions[sub.kind] += 1;
    this.counters.prompts.push({ prompt: sub.prompt, kind: sub.kind, at: new Date(now).toISOString(), videoId: video.id, email: account.email });
    this.noteConcurrency(account);
    return { ok: true, video };
  }

  /** Newest first; `offset`/`limit` page through them. */
  listVideos(account: Account, offset: number, limit: number): { items: Video[]; total: number } {
    this.counters.listCalls += 1;
    const all = account.videos;
    const end = Math.max(all.length - offset, 0);
    const items = all.slice(Math.max(end - limit, 0), end).reverse();
    return { items, total: all.length };
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
      faults: { ...this.faults },
      humanCheck: this.accounts.humanCheck(),
      prompts: c.prompts.map((p) => ({ ...p })),
      now: formatTime(now),
    };
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

  private checkSubmission(account: Account, sub: Submission): ErrCode | null {
    // Injected faults come first: they stand for the site being unwell, whatever the request.
    if (this.faults.overloaded > 0) return (this.faults.overloaded--, ERR.overloaded);
    if (this.faults.concurrency > 0) return (this.faults.concurrency--, ERR.concurrency);
    if (this.faults.credits > 0) return (this.faults.credits--, ERR.credits);
    if (readMarkers(sub.prompt).blocked) return ERR.promptBlocked;
    if (this.running(account) >= account.concurrency) return ERR.concurrency;
    if (account.credits < creditCost(sub.quality, sub.duration)) return ERR.credits;
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
