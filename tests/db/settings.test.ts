// A video's own generation settings (the `settings` column, migration 0005): stored through accept_videos on
// every insert path (held connection, pool, the image transaction), read back with every job the queue hands
// out, and null for videos that chose nothing, including rows from before the column existed.
import { expect, test } from "bun:test";
import { cp, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { PGlite } from "@electric-sql/pglite";
import { drizzle } from "drizzle-orm/pglite";
import { migrate } from "drizzle-orm/pglite/migrator";
import { drizzle as drizzlePg } from "drizzle-orm/node-postgres";
import { migrate as migratePg } from "drizzle-orm/node-postgres/migrator";
import pg from "pg";
import { sql } from "drizzle-orm";
import { openDatabase, type Db } from "../../src/db/client.ts";
import { createVideoRepository, type NewVideo } from "../../src/db/videos.ts";
import type { RequestedSettings } from "../../src/domain/settings.ts";
import { backends, describeEachDatabase, emptyPostgresDatabase } from "../support/db.ts";

const LIMITS = { maxActivePerUser: 100, maxQueueDepth: 1000, deadlineMinutes: 30 };
const v = (user: string, settings?: RequestedSettings | null): NewVideo => ({
  appBundleId: "com.x",
  apphudUserId: user,
  clientIp: null,
  kind: "t2v",
  prompt: `prompt of ${user}`,
  ...(settings === undefined ? {} : { settings }),
});

const ALL: RequestedSettings = { model: "v6", quality: "1080p", duration: 10, aspectRatio: "9:16", seed: 2_147_483_647, negativePrompt: "blurry, text" };

async function settingsColumn(db: Db): Promise<{ id: number; settings: unknown; is_null: boolean }[]> {
  const r = await db.execute<{ id: number; settings: unknown; is_null: boolean | string }>(
    sql`select id, settings, settings is null as is_null from videos order by id`,
  );
  return r.rows.map((x) => ({ id: Number(x.id), settings: x.settings, is_null: x.is_null === true || x.is_null === "t" }));
}

describeEachDatabase("video settings", (db) => {
  test("a batch stores each request's settings on its own row, and SQL null for those without", async () => {
    const repo = createVideoRepository(db());
    const out = await repo.insertBatch([v("a", ALL), v("b"), v("c", { seed: 0 }), v("d", null), v("e", { quality: "540p" })], LIMITS);
    expect(out.every((o) => o.ok)).toBe(true);
    const rows = await settingsColumn(db().db);
    expect(rows.map((r) => r.is_null)).toEqual([false, true, false, true, false]);
    expect(rows.map((r) => r.settings ?? null)).toEqual([ALL, null, { seed: 0 }, null, { quality: "540p" }]);
  });

  test("the queue hands out every job with its settings: claimed, listed while generating, found by id", async () => {
    const repo = createVideoRepository(db());
    await repo.insertBatch([v("a", ALL), v("b"), v("c", { duration: 8, negativePrompt: "rain" })], LIMITS);
    const claimed = await repo.claimQueued("me", 10);
    expect(claimed.map((j) => j.settings)).toEqual([ALL, null, { duration: 8, negativePrompt: "rain" }]);
    for (const job of claimed) await repo.markSubmitted(job.id, "me", `px-${job.id}`, "acct");
    expect((await repo.listGenerating(["acct"])).map((j) => j.settings)).toEqual([ALL, null, { duration: 8, negativePrompt: "rain" }]);
    expect((await repo.findJob(1))?.settings).toEqual(ALL);
    expect((await repo.findJob(2))?.settings).toBeNull();
  });

  test("jobs claimed for reconciliation carry their settings", async () => {
    const repo = createVideoRepository(db());
    await repo.insertBatch([v("a", { model: "v5" })], LIMITS);
    await repo.claimQueued("me", 1);
    await repo.markOutcomeUnknown(1, "me", "timed out");
    const [job] = await repo.claimUnreconciled("other", 60_000, 10, 0);
    expect(job?.settings).toEqual({ model: "v5" });
  });

  test("a batch with images stores the settings of image and text requests alike", async () => {
    const repo = createVideoRepository(db());
    const image = { bytes: Uint8Array.from([1, 2, 3]), type: "png" as const, width: 1, height: 1 };
    const out = await repo.insertBatch(
      [{ ...v("a", { model: "v5.5", seed: 7 }), kind: "i2v", image }, v("b", { aspectRatio: "1:1" }), { ...v("c"), kind: "i2v", image }],
      LIMITS,
    );
    expect(out.every((o) => o.ok)).toBe(true);
    expect((await repo.claimQueued("me", 10)).map((j) => [j.kind, j.settings])).toEqual([
      ["i2v", { model: "v5.5", seed: 7 }],
      ["t2v", { aspectRatio: "1:1" }],
      ["i2v", null],
    ]);
  });

  test("a negative prompt with quotes, backslashes, dollar quotes and any Unicode is stored exactly", async () => {
    const repo = createVideoRepository(db());
    const tricky = ["it's 'quoted' \\ \\' end", "E'\\x41' $$ $tag$ ); drop table videos; --", "\u{1F600} кот 🐈‍⬛ \t \n \r\n \u0001 \u007f \u2028", '"} , {"o": 9'];
    const out = await repo.insertBatch(tricky.map((negativePrompt, i) => v(`u${i}`, { negativePrompt })), LIMITS);
    expect(out.every((o) => o.ok)).toBe(true);
    expect((await repo.claimQueued("me", 10)).map((j) => j.settings?.negativePrompt)).toEqual(tricky);
  });

  test("a request refused by a limit stores nothing, and the settings of the accepted ones stay on their own rows", async () => {
    const repo = createVideoRepository(db());
    const out = await repo.insertBatch([v("a", { seed: 1 }), v("a", { seed: 2 }), v("b", { seed: 3 })], { ...LIMITS, maxActivePerUser: 1 });
    expect(out.map((o) => (o.ok ? o.id : o.limit))).toEqual([1, "active_videos_per_user", 2]);
    expect((await repo.claimQueued("me", 10)).map((j) => [j.id, j.settings])).toEqual([
      [1, { seed: 1 }],
      [2, { seed: 3 }],
    ]);
  });
});

// A database that was migrated before 0005 and holds rows: the new migration keeps them, with no settings.
const MIGRATIONS = fileURLToPath(new URL("../../drizzle", import.meta.url));

/** A copy of drizzle/ whose journal stops before `tag`: the schema as it was before that migration. */
async function migrationsBefore(tag: string): Promise<{ folder: string; remove: () => Promise<void> }> {
  const folder = await mkdtemp(join(tmpdir(), "migrations-"));
  await cp(MIGRATIONS, folder, { recursive: true });
  const journalPath = join(folder, "meta", "_journal.json");
  const journal = (await Bun.file(journalPath).json()) as { entries: { tag: string }[] };
  const at = journal.entries.findIndex((e) => e.tag === tag);
  expect(at).toBeGreaterThan(0);
  journal.entries = journal.entries.slice(0, at);
  await Bun.write(journalPath, JSON.stringify(journal));
  return { folder, remove: () => rm(folder, { recursive: true, force: true }) };
}

const OLD_BATCH = JSON.stringify([{ o: 0, a: "com.x", u: "old", ip: null, k: "t2v", p: "from before settings" }]);

async function rowsBeforeAndAfter(
  migrateTo: (folder: string) => Promise<void>,
  query: (text: string) => Promise<Record<string, unknown>[]>,
  reopen: () => Promise<{ repo: ReturnType<typeof createVideoRepository>; close: () => Promise<void> }>,
) {
  const before = await migrationsBefore("0005_video_settings");
  try {
    await migrateTo(before.folder);
  } finally {
    await before.remove();
  }
  const columns = await query("select column_name from information_schema.columns where table_name = 'videos' and column_name = 'settings'");
  expect(columns).toHaveLength(0);
  await query(`select * from accept_videos('${OLD_BATCH}'::jsonb, 10, 10, 30)`);
  const { repo, close } = await reopen(); // runs every migration, 0005 included
  try {
    const out = await repo.insertBatch([v("new", { model: "v6" })], LIMITS);
    expect(out).toEqual([{ ok: true, id: 2 }]);
    const jobs = await repo.claimQueued("me", 10);
    expect(jobs.map((j) => [j.prompt, j.settings])).toEqual([
      ["from before settings", null],
      ["prompt of new", { model: "v6" }],
    ]);
  } finally {
    await close();
  }
}

test("migrating a PGlite database with rows to 0005 keeps them, with no settings, and accepting goes on", async () => {
  const dir = await mkdtemp(join(tmpdir(), "pglite-0005-"));
  try {
    const client = new PGlite(dir);
    await rowsBeforeAndAfter(
      (folder) => migrate(drizzle(client), { migrationsFolder: folder }),
      async (text) => (await client.query<Record<string, unknown>>(text)).rows,
      async () => {
        await client.close();
        const database = await openDatabase({ dataDir: dir });
        return { repo: createVideoRepository(database), close: () => database.close() };
      },
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}, 60_000);

if (backends().includes("postgres")) {
  test("migrating a PostgreSQL database with rows to 0005 keeps them, with no settings, and accepting goes on", async () => {
    const empty = await emptyPostgresDatabase();
    const client = new pg.Client({ connectionString: empty.url });
    await client.connect();
    try {
      await rowsBeforeAndAfter(
        (folder) => migratePg(drizzlePg(client), { migrationsFolder: folder }),
        async (text) => (await client.query(text)).rows,
        async () => {
          const database = await openDatabase({ url: empty.url, poolSize: 2 });
          return { repo: createVideoRepository(database), close: () => database.close() };
        },
      );
    } finally {
      await client.end();
      await empty.drop();
    }
  }, 60_000);
}
