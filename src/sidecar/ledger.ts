// What one account has at Pixverse, read from its own video list: the state of the videos we poll, the
// videos it no longer has, how many generations run there now (ours, and any a person started by hand),
// and reconciliation of a submission whose outcome is unknown.
import { LRUCache } from "lru-cache";
import type { AccountReconcileResult } from "../domain/generator.ts";
import { mapPixverseVideo, type PixverseVideo } from "../domain/status.ts";
import type { Logger } from "../log.ts";
import type { PixverseApi } from "./api.ts";
import { createdAtMs, NOT_FOUND_CODE, PixverseApiError, toPixverseVideo, type ListItem, type ListPage } from "./pixverse.ts";
import type { AccountSession } from "./session.ts";
import type { AccountTuning } from "./account.ts";
import { errorMessage } from "./waits.ts";

// Longer than any job's deadline: an id nobody polls to its end any more is forgotten after this.
const IN_FLIGHT_MEMORY_MS = 6 * 60 * 60_000;
// Far more than an account can run at once; only a leak (ids never polled to their end) could reach it.
const IN_FLIGHT_MAX = 10_000;

export interface PollOutcome {
  videos: PixverseVideo[];
  /** Ids Pixverse no longer has: absent from the list and `list/detail` answers 500008. */
  gone: string[];
}

/** A running Pixverse video: listed and not final. */
function isRunning(item: ListItem): boolean {
  const kind = mapPixverseVideo(toPixverseVideo(item)).kind;
  return kind === "pending" || kind === "unknown";
}

export class VideoLedger {
  /** Ids this account submitted (or reconciled), not yet seen finished, with when they were noted. */
  private readonly inFlightSince = new LRUCache<string, number>({ max: IN_FLIGHT_MAX, ttl: IN_FLIGHT_MEMORY_MS });
  /** The last look at the list: when, and which videos were running then. */
  private view: { at: number; running: Set<string> } | null = null;

  constructor(
    private readonly session: AccountSession,
    private readonly tuning: AccountTuning,
    private readonly log: Logger,
  ) {}

  /** One page of the account's list; items we cannot read are left out and logged (Pixverse's format moved). */
  private async page(api: PixverseApi, cursor: number, timeoutMs: number): Promise<ListPage> {
    const list = await api.listPersonal(cursor, timeoutMs);
    if (list.unreadable.length > 0) this.log.warn("Pixverse's video list has items without a readable video_id/video_status; they are left out", { keys: list.unreadable });
    return list;
  }

  /** Videos of ours that are not known to be finished. */
  get inFlight(): number {
    this.inFlightSince.purgeStale();
    return this.inFlightSince.size;
  }

  /** A submission created this video (noted once: a later poll keeps its first time). */
  noteSubmitted(id: string): void {
    if (!this.inFlightSince.has(id)) this.inFlightSince.set(id, Date.now());
  }

  /** Pixverse refused for concurrency: what we believe runs there is wrong; look again before the next. */
  forgetView(): void {
    this.view = null;
  }

  /**
   * Generations running at Pixverse now, as its own list shows them (including videos a person started by
   * hand) plus ours created since that look; the list is read again when the last look is older than
   * `viewMaxAgeMs`. Null when the account cannot be asked.
   */
  async busy(budgetMs: number): Promise<number | null> {
    if (!this.session.canQuery()) return null;
    if (!this.view || Date.now() - this.view.at > this.tuning.viewMaxAgeMs) {
      try {
        await this.session.withSession("capacity", Date.now() + budgetMs, async (api) => {
          const at = Date.now();
          this.noteView(at, (await this.page(api, 0, Math.max(1, budgetMs))).items);
        });
      } catch (err) {
        this.log.debug("could not read the list for the capacity view", { error: errorMessage(err) });
        return null;
      }
    }
    const view = this.view;
    if (!view) return null;
    const running = new Set(view.running);
    for (const [id, since] of this.inFlightSince) if (since >= view.at) running.add(id);
    return running.size;
  }

  /** The current state of those of `ids` this account has: one list call, more only while ids are missing. */
  async poll(ids: readonly string[], budgetMs: number): Promise<PollOutcome> {
    if (!this.session.canQuery() || ids.length === 0) return { videos: [], gone: [] };
    const deadline = Date.now() + budgetMs;
    const t = this.tuning;
    const missing = new Set(ids);
    const found: PixverseVideo[] = [];
    const gone: string[] = [];
    await this.session.withSession("poll", deadline, async (api) => {
      let cursor: number | null = 0;
      for (let page = 0; page < t.pollMaxPages && cursor !== null && missing.size > 0; page++) {
        const at = Date.now();
        const list = await this.page(api, cursor, this.left(deadline, t.actionTimeoutMs));
        if (page === 0) this.noteView(at, list.items);
        for (const item of list.items) if (missing.delete(item.video_id)) found.push(toPixverseVideo(item));
        cursor = list.next;
      }
      // Fallen out of the recent list: ask for them one by one (a few per round).
      for (const id of [...missing].slice(0, t.pollMaxDetails)) {
        const item = await this.detail(api, id, deadline);
        if (item === "gone") gone.push(id);
        else if (item && missing.delete(item.video_id)) found.push(toPixverseVideo(item));
      }
    });
    for (const video of found) {
      const outcome = mapPixverseVideo(video).kind;
      if (outcome === "pending" || outcome === "unknown") this.noteSubmitted(video.id);
      else this.inFlightSince.delete(video.id);
    }
    for (const id of gone) this.inFlightSince.delete(id);
    return { videos: found, gone };
  }

  /**
   * Did a submission whose outcome is unknown create a video? Matched by exact prompt and a creation time
   * at or after `submittedAt` minus the skew allowance; `absent` only once the list reaches back past that.
   */
  async reconcile(prompt: string, submittedAt: number, exclude: ReadonlySet<string>, budgetMs: number): Promise<AccountReconcileResult> {
    if (!this.session.canQuery()) return { kind: "unknown", message: `account ${this.session.current}` };
    const wanted = prompt.trim();
    const deadline = Date.now() + budgetMs;
    const t = this.tuning;
    const cutoff = submittedAt - t.reconcileSkewMs;
    return this.session.withSession("reconcile", deadline, async (api): Promise<AccountReconcileResult> => {
      const matches: { id: string; at: number }[] = [];
      let undated = false;
      let reachedBack = false;
      let cursor: number | null = 0;
      for (let page = 0; page < t.reconcileMaxPages && !reachedBack; page++) {
        const list = await this.page(api, cursor ?? 0, this.left(deadline, t.actionTimeoutMs));
        for (const item of list.items) {
          if ((item.prompt ?? "").trim() !== wanted || exclude.has(item.video_id)) continue;
          const at = createdAtMs(item);
          if (at === null) undated = true;
          else if (at >= cutoff) matches.push({ id: item.video_id, at });
        }
        const last = list.items.at(-1);
        const oldest = last ? createdAtMs(last) : null;
        cursor = list.next;
        reachedBack = cursor === null || (oldest !== null && oldest < cutoff);
      }
      // The earliest match after the cutoff is the one closest to our own click.
      const match = matches.sort((a, b) => a.at - b.at)[0];
      if (match) {
        this.noteSubmitted(match.id);
        return { kind: "found", pixverseId: match.id };
      }
      if (undated) return { kind: "unknown", message: "a video with this prompt has no readable created_at" };
      if (!reachedBack) return { kind: "unknown", message: "the account's list did not reach back to the submission time" };
      return { kind: "absent" };
    });
  }

  /** One video by id; `gone` when Pixverse says it has no such video (500008). */
  private async detail(api: PixverseApi, id: string, deadline: number): Promise<ListItem | "gone" | null> {
    try {
      return await api.videoDetail(id, this.left(deadline, this.tuning.actionTimeoutMs));
    } catch (err) {
      if (err instanceof PixverseApiError && err.isSession) throw err;
      if (err instanceof PixverseApiError && err.code === NOT_FOUND_CODE) return "gone";
      this.log.debug("list/detail found nothing", { videoId: id, error: errorMessage(err) });
      return null;
    }
  }

  /** The first page of the list shows every running video (they are the newest). */
  private noteView(at: number, items: readonly ListItem[]): void {
    this.view = { at, running: new Set(items.filter(isRunning).map((i) => i.video_id)) };
  }

  private left(deadline: number, cap: number): number {
    return Math.max(1, Math.min(cap, deadline - Date.now()));
  }
}
