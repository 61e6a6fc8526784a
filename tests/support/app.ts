// Builds the HTTP app the way main.ts does, from a test database and test limits, with a readable log.
import type { Database } from "../../src/db/client.ts";
import { createVideoRepository } from "../../src/db/videos.ts";
import { createVideoService } from "../../src/videos.ts";
import { createApp } from "../../src/app.ts";
import { createLogger } from "../../src/log.ts";
import { loadConfig } from "../../src/config.ts";
import type { AllowedSettings } from "../../src/domain/settings.ts";
import type { ApiKeyBinding } from "../../src/http/api-keys.ts";
import type { RateLimitStores } from "../../src/http/rate-limit.ts";

/** What callers may choose in tests: the lists of a configuration that sets none of PIXVERSE_MODELS …. */
export const TEST_ALLOWED: AllowedSettings = loadConfig({}).allowed;

export interface TestLimits {
  generationsPerMinute: number;
  statusPerMinute: number;
  maxActivePerUser: number;
  maxQueueDepth: number;
  deadlineMinutes: number;
}

export const GENEROUS: TestLimits = {
  generationsPerMinute: 10_000,
  statusPerMinute: 10_000,
  maxActivePerUser: 10_000,
  maxQueueDepth: 100_000,
  deadlineMinutes: 30,
};

/** `apiKeys` as main.ts passes `config.apiKeys`: null (the default) is keys off. */
export function buildApp(
  database: Database,
  limits: Partial<TestLimits> = {},
  allowed: AllowedSettings = TEST_ALLOWED,
  apiKeys: ApiKeyBinding[] | null = null,
  /** Counters shared with another app (default: the app's own, in memory). */
  rateLimitStores?: RateLimitStores,
) {
  const l = { ...GENEROUS, ...limits };
  const logLines: string[] = [];
  const logger = createLogger("debug", (line) => logLines.push(line));
  const repo = createVideoRepository(database);
  const videos = createVideoService(repo, {
    limits: { maxActivePerUser: l.maxActivePerUser, maxQueueDepth: l.maxQueueDepth, deadlineMinutes: l.deadlineMinutes },
  });
  const app = createApp({
    videos,
    logger,
    limits: { generationsPerMinute: l.generationsPerMinute, statusPerMinute: l.statusPerMinute },
    allowed,
    apiKeys,
    rateLimitStores,
  });
  return { app, repo, videos, logLines };
}

export const OWNER = { app_bundle_id: "com.example.videoapp", apphud_user_id: "user-1" } as const;

export function jsonPost(path: string, body: unknown, headers: Record<string, string> = {}): [string, RequestInit] {
  return [path, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: typeof body === "string" ? body : JSON.stringify(body) }];
}

export function formPost(path: string, fields: Record<string, string | Blob>, file?: { name: string; bytes: Uint8Array; type?: string }): [string, RequestInit] {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  if (file) form.append("file", new File([file.bytes as Uint8Array<ArrayBuffer>], file.name, { type: file.type ?? "application/octet-stream" }));
  return [path, { method: "POST", body: form }];
}

export function statusUrl(videoId: number | string, owner: { app_bundle_id: string; apphud_user_id: string } = OWNER): string {
  const q = new URLSearchParams({ video_id: String(videoId), ...owner });
  return `/get_status?${q}`;
}
