import { afterAll, expect, test } from "bun:test";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDatabase } from "../../src/db/client.ts";
import { sql } from "drizzle-orm";
import { backends, emptyPostgresDatabase } from "../support/db.ts";
import { buildApp, jsonPost, OWNER, statusUrl } from "../support/app.ts";

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function createThenReopen(open: () => ReturnType<typeof openDatabase>) {
  const first = await open();
  const a = buildApp(first);
  const res = await a.app.request(...jsonPost("/text2video", { prompt: "keep me", ...OWNER }));
  expect(res.status, await res.clone().text()).toBe(200);
  const { video_id } = (await res.json()) as { video_id: number };
  await first.close();

  const second = await open();
  const b = buildApp(second);
  const status = await b.app.request(statusUrl(video_id));
  expect(await status.json()).toEqual({ status: "Generating" });
  const next = await b.app.request(...jsonPost("/text2video", { prompt: "and me", ...OWNER }));
  expect(((await next.json()) as { video_id: number }).video_id).toBe(video_id + 1);
  await second.close();
}

test("an accepted job survives a restart on the same PGlite directory", async () => {
  const dir = await mkdtemp(join(tmpdir(), "pglite-"));
  dirs.push(dir);
  await createThenReopen(() => openDatabase({ dataDir: dir }));
});

if (backends().includes("postgres")) {
  test("an accepted job survives a restart on the same PostgreSQL database", async () => {
    const empty = await emptyPostgresDatabase();
    try {
      await createThenReopen(() => openDatabase({ url: empty.url }));
    } finally {
      await empty.drop();
    }
  });

  test("several instances starting at once migrate the same database safely", async () => {
    const empty = await emptyPostgresDatabase();
    try {
      const opened = await Promise.all([1, 2, 3].map(() => openDatabase({ url: empty.url })));
      const migrations = await opened[0]!.db.execute<{ n: number }>(sql`select count(*)::int as n from drizzle.__drizzle_migrations`);
      const journal = (await Bun.file(new URL("../../drizzle/meta/_journal.json", import.meta.url)).json()) as { entries: unknown[] };
      expect(migrations.rows[0]!.n).toBe(journal.entries.length);
      for (const d of opened) await d.close();
    } finally {
      await empty.drop();
    }
  });
}
