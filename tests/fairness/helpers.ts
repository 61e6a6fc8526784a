// The app as main.ts builds it for get_status detail=true: the test database, a queue-detail source over it with
// a fixed number of slots (the eta source), and the fair-share weights.
import type { Database } from "../../src/db/client.ts";
import { createVideoRepository } from "../../src/db/videos.ts";
import { createQueueDetail, type FairShareWeights } from "../../src/db/queue-position.ts";
import { createVideoService } from "../../src/videos.ts";
import { createApp } from "../../src/app.ts";
import { silentLogger } from "../../src/log.ts";
import { GENEROUS, TEST_ALLOWED, jsonPost } from "../support/app.ts";

export function detailApp(database: Database, options: { slots?: number; weights?: FairShareWeights; detail?: boolean; expectedGenerationMs?: number } = {}) {
  const repo = createVideoRepository(database);
  const videos = createVideoService(repo, {
    limits: { maxActivePerUser: GENEROUS.maxActivePerUser, maxQueueDepth: GENEROUS.maxQueueDepth, deadlineMinutes: GENEROUS.deadlineMinutes },
  });
  const slots = options.slots ?? 2;
  const queueDetail = options.detail === false ? undefined : createQueueDetail(database.db, { weights: options.weights ?? {}, slots: async () => slots, expectedGenerationMs: options.expectedGenerationMs });
  const app = createApp({
    videos,
    logger: silentLogger,
    limits: { generationsPerMinute: GENEROUS.generationsPerMinute, statusPerMinute: GENEROUS.statusPerMinute },
    allowed: TEST_ALLOWED,
    queueDetail,
  });
  return { app, repo, videos };
}

export type Owner = { app_bundle_id: string; apphud_user_id: string };

export const ownerOf = (user: string, app = "com.example.videoapp"): Owner => ({ app_bundle_id: app, apphud_user_id: user });

/** POST /text2video for `owner`; the new video's id. */
export async function submit(app: ReturnType<typeof detailApp>["app"], owner: Owner, prompt = "a red fox"): Promise<number> {
  const res = await app.request(...jsonPost("/text2video", { prompt, ...owner }));
  if (res.status !== 200) throw new Error(`text2video answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { video_id: number }).video_id;
}

/** GET /get_status with `extra` query parameters; the status and the raw body. */
export async function status(app: ReturnType<typeof detailApp>["app"], id: number, owner: Owner, extra: Record<string, string> = {}) {
  const res = await app.request(`/get_status?${new URLSearchParams({ video_id: String(id), ...owner, ...extra })}`);
  return { status: res.status, text: await res.text() };
}

export async function detailOf(app: ReturnType<typeof detailApp>["app"], id: number, owner: Owner): Promise<Record<string, unknown>> {
  const r = await status(app, id, owner, { detail: "true" });
  if (r.status !== 200) throw new Error(`get_status answered ${r.status}: ${r.text}`);
  return JSON.parse(r.text) as Record<string, unknown>;
}
