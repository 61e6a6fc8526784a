// Shared by the HTTP contract tests: one in-memory PGlite per file for the tests whose outcome does not
// depend on what else is in the database, an in-memory VideoService for pure HTTP boundaries, unique
// owners, and request builders for every content type.
import { afterAll, beforeAll, expect } from "bun:test";
import { createApp } from "../../src/app.ts";
import { openDatabase, type Database } from "../../src/db/client.ts";
import type { NewVideo } from "../../src/db/videos.ts";
import { silentLogger, type Logger } from "../../src/log.ts";
import type { VideoService } from "../../src/videos.ts";
import type { AllowedSettings } from "../../src/domain/settings.ts";
import { TEST_ALLOWED } from "../support/app.ts";

/** One migrated in-memory PGlite for the whole file; tests keep apart by using their own owners. */
export function sharedPglite(): () => Database {
  let database: Database | undefined;
  // Opening and migrating PGlite takes seconds; Bun's 5 s default is too tight on a busy machine.
  beforeAll(async () => {
    database = await openDatabase({});
  }, 60_000);
  afterAll(async () => {
    await database?.close();
  });
  return () => database!;
}

let ownerSeq = 0;

/** An owner that no other test uses, so per-user counts start at zero. */
export function uniqueOwner(app_bundle_id = "com.example.videoapp"): { app_bundle_id: string; apphud_user_id: string } {
  return { app_bundle_id, apphud_user_id: `user-${process.pid}-${++ownerSeq}` };
}

export function urlencodedPost(path: string, fields: Record<string, string | string[]>): [string, RequestInit] {
  const body = new URLSearchParams();
  for (const [k, v] of Object.entries(fields)) for (const one of ([] as string[]).concat(v)) body.append(k, one);
  return [path, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: body.toString() }];
}

export function multipartPost(
  path: string,
  fields: Record<string, string>,
  file?: { name: string; bytes: Uint8Array; type?: string; field?: string },
): [string, RequestInit] {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  if (file) {
    const blob = new File([file.bytes as Uint8Array<ArrayBuffer>], file.name, { type: file.type ?? "application/octet-stream" });
    form.append(file.field ?? "file", blob);
  }
  return [path, { method: "POST", body: form }];
}

/** The id of a 200 `{"video_id": n}` answer, failing with the body otherwise. */
export async function videoIdOf(res: Response): Promise<number> {
  expect(res.status, await res.clone().text()).toBe(200);
  const body = (await res.json()) as { video_id: number };
  expect(Object.keys(body)).toEqual(["video_id"]);
  expect(Number.isSafeInteger(body.video_id) && body.video_id > 0).toBe(true);
  return body.video_id;
}

export interface ErrorBody {
  error: string;
  field?: string;
  message: string;
  limit?: string;
  retry_after?: number;
  request_id?: string;
}

/** Asserts the status and that the body is a JSON error; returns the body. */
export async function expectError(res: Response, status: number): Promise<ErrorBody> {
  const text = await res.clone().text();
  expect(res.status, text).toBe(status);
  expect(res.headers.get("content-type") ?? "", text).toStartWith("application/json");
  const body = JSON.parse(text) as ErrorBody;
  expect(typeof body.error, text).toBe("string");
  expect(typeof body.message, text).toBe("string");
  return body;
}

/** A 400 that names `field`. */
export async function expectInvalid(res: Response, field: string): Promise<ErrorBody> {
  const body = await expectError(res, 400);
  expect(body.error, JSON.stringify(body)).toBe("invalid_parameter");
  expect(body.field, JSON.stringify(body)).toBe(field);
  return body;
}

/** A VideoService that keeps what it is given in memory: for HTTP boundaries that need no database. */
export function recordingVideos(): VideoService & { created: NewVideo[] } {
  const created: NewVideo[] = [];
  return {
    created,
    async create(video) {
      created.push(video);
      return { ok: true, id: created.length };
    },
    // Keyed requests are stored like the others (no key bookkeeping: the idempotency tests use the database).
    async createOnce(video) {
      created.push(video);
      return { kind: "created", id: created.length };
    },
    async status(id) {
      const v = created[id - 1];
      return v ? { id, appBundleId: v.appBundleId, apphudUserId: v.apphudUserId, state: "queued", resultUrl: null } : null;
    },
    cachedStatus: () => undefined,
    changed() {},
  };
}

/** The app over `videos`, with generous limits, a silent log and the default lists of allowed settings. */
export function appWith(
  videos: VideoService,
  logger: Logger = silentLogger,
  limits: { generationsPerMinute: number; statusPerMinute: number } = { generationsPerMinute: 10_000, statusPerMinute: 10_000 },
  allowed: AllowedSettings = TEST_ALLOWED,
) {
  return createApp({ videos, logger, limits, allowed });
}
