// New PGlite clusters come from a dump of a freshly initialised and migrated one (src/db/pglite-template.ts): made once,
// loaded after that, made again when damaged, and never laid over a data directory that holds a database.
import { afterAll, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import { PGlite } from "@electric-sql/pglite";
import { openDatabase, pgliteTemplateFile, type Database } from "../../src/db/client.ts";
import { int, rows } from "../../src/db/sql-rows.ts";

// A cluster initialised without a dump takes several seconds on a small machine.
setDefaultTimeout(60_000);

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function tempDir(prefix: string): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), prefix));
  dirs.push(d);
  return d;
}

/** The migrated schema is there and takes a request: the accept function answers with an id. */
async function acceptsARequest(database: Database, user: string): Promise<number> {
  const batch = JSON.stringify([{ o: 0, a: "com.example.app", u: user, ip: null, k: "t2v", p: "a cat" }]);
  const answered = await rows(database.db, sql`select video_id from accept_videos(${batch}::jsonb, 10, 100, 30)`);
  expect(answered).toHaveLength(1);
  return int(answered[0]!.video_id);
}

async function isGzip(file: string): Promise<boolean> {
  const head = new Uint8Array(await Bun.file(file).slice(0, 2).arrayBuffer());
  return head[0] === 0x1f && head[1] === 0x8b;
}

/** The dump the first test makes; the last test reuses it rather than initialise one more cluster. */
let madeTemplates = "";

test("the first new cluster is dumped, and the next new ones, in memory or in a directory, are loaded from that dump", async () => {
  const templates = (madeTemplates = await tempDir("pglite-template-"));
  const file = pgliteTemplateFile(templates);
  expect(await Bun.file(file).exists()).toBe(false);

  const first = await openDatabase({ pgliteTemplateDir: templates });
  expect(await acceptsARequest(first, "u1")).toBe(1);
  await first.close();
  expect(await isGzip(file)).toBe(true);
  const made = await stat(file);
  // The dump holds the migrated schema: a cluster loaded from it has the videos table before anything migrates it.
  const raw = new PGlite({ loadDataDir: new Blob([Bun.gunzipSync(await Bun.file(file).bytes())]) });
  expect((await raw.query<{ t: string | null }>("select to_regclass('public.videos')::text as t")).rows[0]!.t).toBe("videos");
  await raw.close();

  const inMemory = await openDatabase({ pgliteTemplateDir: templates });
  const inDirectory = await openDatabase({ dataDir: join(await tempDir("pglite-data-"), "pglite"), pgliteTemplateDir: templates });
  // Each is a cluster of its own, migrated from scratch: ids start again at 1.
  expect(await acceptsARequest(inMemory, "u1")).toBe(1);
  expect(await acceptsARequest(inDirectory, "u1")).toBe(1);
  await inMemory.close();
  await inDirectory.close();
  // Read, not written again.
  const after = await stat(file);
  expect([after.mtimeMs, after.size, after.ino]).toEqual([made.mtimeMs, made.size, made.ino]);
});

test("a damaged dump is made again, and the new cluster opens as if there had been none", async () => {
  const templates = await tempDir("pglite-template-");
  const file = pgliteTemplateFile(templates);
  await Bun.write(file, "not a dump");
  const dataDir = join(await tempDir("pglite-data-"), "pglite");

  const database = await openDatabase({ dataDir, pgliteTemplateDir: templates });
  expect(await acceptsARequest(database, "u1")).toBe(1);
  await database.close();
  expect(await isGzip(file)).toBe(true);
  expect((await stat(file)).size).toBeGreaterThan(100_000);
});

test("a data directory that holds a database is opened as it is, never replaced by the dump", async () => {
  const templates = madeTemplates || (await tempDir("pglite-template-"));
  const dataDir = join(await tempDir("pglite-data-"), "pglite");
  const first = await openDatabase({ dataDir, pgliteTemplateDir: templates });
  expect(await acceptsARequest(first, "u1")).toBe(1);
  await first.close();
  expect(await Bun.file(pgliteTemplateFile(templates)).exists()).toBe(true);

  const again = await openDatabase({ dataDir, pgliteTemplateDir: templates });
  // The first video is still there: the next id follows it.
  expect(await acceptsARequest(again, "u2")).toBe(2);
  await again.close();
});

test("without a usable folder for the dump, new clusters still open (each initialised on its own)", async () => {
  const blocker = join(await tempDir("pglite-template-"), "a-file");
  await writeFile(blocker, "a file where the folder would be");
  const database = await openDatabase({ pgliteTemplateDir: join(blocker, "templates") });
  expect(await acceptsARequest(database, "u1")).toBe(1);
  await database.close();
});
