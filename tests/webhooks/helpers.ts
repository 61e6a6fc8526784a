// Shared by the webhook tests: a real HTTP receiver that records every request, jobs accepted with a
// callback URL and ended by updating their rows (which fires the outbox trigger), and a log to read.
import { sql } from "drizzle-orm";
import type { Database } from "../../src/db/client.ts";
import { createVideoRepository } from "../../src/db/videos.ts";
import type { JobState } from "../../src/domain/status.ts";
import { createLogger, type Logger } from "../../src/log.ts";

export const SECRET = "test-webhook-secret-0123456789";

export interface Received {
  body: string;
  headers: Headers;
  at: number;
}

/** A receiver on 127.0.0.1 answering each request with the next status in `statuses` (then 200). */
export function startReceiver(statuses: number[] = []) {
  const received: Received[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  const answers = [...statuses];
  let delayMs = 0;
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    async fetch(req) {
      const body = await req.text();
      received.push({ body, headers: req.headers, at: Date.now() });
      for (const w of waiters.filter((x) => received.length >= x.n)) w.resolve();
      if (delayMs > 0) await Bun.sleep(delayMs);
      return new Response("ok", { status: answers.shift() ?? 200 });
    },
  });
  return {
    url: `http://127.0.0.1:${server.port}/hooks/pixverse?token=receiver-own-token`,
    port: server.port,
    received,
    /** Answer every later request only after this long. */
    slow(ms: number) {
      delayMs = ms;
    },
    /** Resolves once `n` requests have arrived; rejects after `ms`. */
    waitFor(n: number, ms = 20_000): Promise<void> {
      if (received.length >= n) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`receiver got ${received.length} of ${n} requests`)), ms);
        waiters.push({ n, resolve: () => (clearTimeout(timer), resolve()) });
      });
    },
    stop: () => server.stop(true),
  };
}

/** Accept one text job for `user` with `callbackUrl` (as the API does) and return its id. */
export async function acceptJob(database: Database, callbackUrl: string | null, user = "user-1"): Promise<number> {
  const repo = createVideoRepository(database);
  const out = await repo.insertBatch([
    { appBundleId: "com.example.videoapp", apphudUserId: user, clientIp: null, kind: "t2v", prompt: "a fox", settings: null, callbackUrl },
  ], { maxActivePerUser: 100, maxQueueDepth: 1000, deadlineMinutes: 30 });
  const first = out[0]!;
  if (!first.ok) throw new Error(`not accepted: ${first.limit}`);
  return first.id;
}

/** End (or change) a job the way any statement does: its state column changes, and the trigger sees it. */
export async function setState(database: Database, id: number, state: JobState, resultUrl: string | null = null): Promise<void> {
  await database.db.execute(sql`update videos set state = ${state}, result_url = coalesce(${resultUrl}, result_url), finished_at = now(), updated_at = now() where id = ${id}`);
}

export async function outboxRows(database: Database) {
  const r = await database.db.execute<Record<string, unknown>>(sql`select event_id::text, video_id::int as video_id, url, state, result_url, attempts, last_status, last_error, lock_owner, delivered_at, failed_at from webhook_deliveries order by video_id`);
  return r.rows;
}

export function testLogger(): { logger: Logger; lines: () => Record<string, unknown>[] } {
  const raw: string[] = [];
  const logger = createLogger("debug", (l) => raw.push(l));
  return { logger, lines: () => raw.map((l) => JSON.parse(l) as Record<string, unknown>) };
}
