// The operator page over a test database: the app as main.ts builds it with ADMIN_PASSWORD set, accounts as
// a sidecar would report them, leases, jobs in every state and a few failures. Shared by the HTTP tests, the
// browser test and scripts/admin-screenshot.ts.
import { sql } from "drizzle-orm";
import type { Database } from "../../src/db/client.ts";
import { createVideoRepository, type NewVideo } from "../../src/db/videos.ts";
import { createVideoService } from "../../src/videos.ts";
import { createApp } from "../../src/app.ts";
import { createLogger, type Logger } from "../../src/log.ts";
import { createLeaseQueries } from "../../src/db/leases.ts";
import { createAdminQueries } from "../../src/db/admin.ts";
import { sessionFile } from "../../src/sidecar/session-file.ts";
import type { AccountStatus } from "../../src/sidecar/protocol.ts";
import type { AdminDeps } from "../../src/admin/view.ts";
import { TEST_ALLOWED } from "../support/app.ts";

export const PASSWORD = "correct-horse-battery";
export const ANN = "ann@example.com";
export const BOB = "bob@example.com";
export const CAROL = "carol@example.com";
export const INSTANCE = "instance-a";
export const LIMITS = { maxActivePerUser: 1000, maxQueueDepth: 1000, deadlineMinutes: 30 };

export const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;
export const AUTH = { authorization: basic("admin", PASSWORD) };
/** What a browser sends with a form posted from the page itself (app.request's host is `localhost`). */
export const SAME_ORIGIN = { ...AUTH, origin: "http://localhost", host: "localhost" };

export const t2v = (prompt: string, user = "user-1", extra: Partial<NewVideo> = {}): NewVideo => ({
  appBundleId: "com.example.videoapp",
  apphudUserId: user,
  clientIp: null,
  kind: "t2v",
  prompt,
  ...extra,
});

export function status(email: string, state: AccountStatus["state"], extra: Partial<AccountStatus> = {}): AccountStatus {
  return { email, state, since: "2026-03-01T10:00:00.000Z", capacity: 2, inFlight: 0, credits: null, ...extra };
}

/** Empty what resetDatabase (tests/support/db.ts) leaves: the operator's controls and the leases. */
export async function resetAdminTables(database: Database): Promise<void> {
  await database.db.execute(sql`truncate account_controls, account_leases`);
}

export interface AdminFixture {
  app: ReturnType<typeof createApp>;
  repo: ReturnType<typeof createVideoRepository>;
  queries: ReturnType<typeof createAdminQueries>;
  leases: ReturnType<typeof createLeaseQueries>;
  /** What the page shows for this instance's accounts; tests change it. */
  accounts: AccountStatus[];
  changed: number[];
  logLines: string[];
  database: Database;
}

export function buildAdminApp(database: Database, options: { headless?: boolean; logger?: Logger } = {}): AdminFixture {
  const logLines: string[] = [];
  const logger = options.logger ?? createLogger("debug", (line) => logLines.push(line));
  const repo = createVideoRepository(database);
  const videos = createVideoService(repo, { limits: LIMITS });
  const queries = createAdminQueries(database.db);
  const leases = createLeaseQueries(database.db);
  const fixture: AdminFixture = { app: undefined as never, repo, queries, leases, accounts: [], changed: [], logLines, database };
  const admin: AdminDeps = {
    password: PASSWORD,
    queries,
    leases: () => leases.list(),
    queue: () => repo.countByState(),
    accounts: () => fixture.accounts,
    instance: INSTANCE,
    deadlineMinutes: LIMITS.deadlineMinutes,
    onJobChanged: (id) => fixture.changed.push(id),
    humanLogin: { headless: options.headless ?? true, sessionFileOf: (email) => sessionFile("/data/session", email, "https://app.pixverse.ai") },
  };
  fixture.app = createApp({ videos, logger, limits: { generationsPerMinute: 10_000, statusPerMinute: 10_000 }, allowed: TEST_ALLOWED, admin });
  return fixture;
}

/** A lively service: three accounts (one ready here, one waiting for a person, one driven elsewhere), jobs, failures. */
export async function seed(f: AdminFixture): Promise<{ failedId: number; moderatedId: number }> {
  f.accounts = [status(ANN, "ready", { credits: 1180, inFlight: 1 }), status(BOB, "needs_human", { detail: "the Pixverse login page shows a human check" })];
  await f.leases.acquire(INSTANCE, [ANN, BOB], 60_000);
  await f.leases.acquire("instance-b", [CAROL], 60_000);
  const ids = (await f.repo.insertBatch([t2v("a fox"), t2v("a cat", "user-2"), t2v("a dog", "user-3"), t2v("a bird", "user-4"), t2v("the sea", "user-5")], LIMITS)).map((o) => (o.ok ? o.id : -1));
  await f.repo.claimQueued(INSTANCE, 1, ANN);
  await f.repo.finish(ids[3]!, "failed", { errorCode: "500054", errorMessage: "Pixverse refused the generation" });
  await f.repo.finish(ids[4]!, "moderated", { errorCode: "pixverse_status_7", pixverseStatus: 7 });
  await failedMinutesAgo(f, ids[3]!, 5);
  return { failedId: ids[3]!, moderatedId: ids[4]! };
}

/** Move a finished job's end back (a requeue waits until no submission of it can still be under way). */
export async function failedMinutesAgo(f: AdminFixture, id: number, minutes: number): Promise<void> {
  await f.database.db.execute(sql`update videos set finished_at = now() - make_interval(mins => ${minutes}) where id = ${id}`);
}
