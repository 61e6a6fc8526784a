// The dispatcher's metrics, driven with a scripted generator: jobs ended by final state, the time from
// acceptance to Pixverse's id and to the end, and every refused submission by kind and Pixverse ErrCode.
import { expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { createDispatcher } from "../../src/dispatcher/dispatcher.ts";
import { createVideoRepository, type NewVideo } from "../../src/db/videos.ts";
import { silentLogger } from "../../src/log.ts";
import { createMetrics, type Metrics } from "../../src/metrics.ts";
import type { Database } from "../../src/db/client.ts";
import { describeEachDatabase } from "../support/db.ts";
import { ScriptedGenerator } from "../support/scripted-generator.ts";
import { TEST_SETTINGS } from "../support/settings.ts";
import { parseMetrics, valueOf } from "./parse.ts";

const LIMITS = { maxActivePerUser: 1000, maxQueueDepth: 1000, deadlineMinutes: 30 };
const t2v = (prompt: string): NewVideo => ({ appBundleId: "com.example", apphudUserId: "u1", clientIp: null, kind: "t2v", prompt });

function setup(database: Database, metrics: Metrics) {
  const repo = createVideoRepository(database);
  const generator = new ScriptedGenerator();
  const dispatcher = createDispatcher({
    repo,
    generator,
    logger: silentLogger,
    owner: "instance-a",
    accounts: ["acct@example.com"],
    settings: TEST_SETTINGS,
    reconcileGraceMs: 0,
    watchPollMs: 0,
    metrics,
  });
  return { repo, generator, dispatcher };
}

const read = async (metrics: Metrics) => parseMetrics(await metrics.text());

describeEachDatabase("dispatcher metrics", (db) => {
  test("counts refusals by kind and ErrCode, submissions and finished jobs with their times", async () => {
    const metrics = createMetrics({ processMetrics: false });
    const { repo, generator, dispatcher } = setup(db(), metrics);
    await repo.insertBatch([t2v("one"), t2v("two"), t2v("three")], LIMITS);
    generator.cap = 3;
    generator.nextSubmits.push(
      { ok: false, kind: "moderation", code: 500054, message: "unsafe prompt" },
      { ok: false, kind: "overloaded", message: "try later" },
    );
    await dispatcher.runOnce();

    let samples = await read(metrics);
    expect(valueOf(samples, "pixverse_submit_refusals_total", { kind: "moderation", code: "500054" })).toBe(1);
    expect(valueOf(samples, "pixverse_submit_refusals_total", { kind: "overloaded", code: "none" })).toBe(1);
    expect(valueOf(samples, "job_submit_seconds_count")).toBe(1);
    expect(valueOf(samples, "jobs_finished_total", { state: "moderated" })).toBe(1);
    expect(valueOf(samples, "jobs_finished_total", { state: "succeeded" })).toBeUndefined();

    const [submitted] = await repo.listGenerating(["acct@example.com"]);
    generator.set(submitted!.pixverseVideoId!, 1, "https://media.pixverse.ai/v.mp4");
    await dispatcher.runOnce();

    samples = await read(metrics);
    expect(valueOf(samples, "jobs_finished_total", { state: "succeeded" })).toBe(1);
    expect(valueOf(samples, "job_finish_seconds_count")).toBe(2);
    expect(valueOf(samples, "job_finish_seconds_bucket", { le: "+Inf" })).toBe(2);
    // Just accepted: well inside the first bucket.
    expect(valueOf(samples, "job_submit_seconds_bucket", { le: "1" })).toBe(1);
  });

  test("a job that outlives its deadline is counted as failed", async () => {
    const metrics = createMetrics({ processMetrics: false });
    const { repo, dispatcher } = setup(db(), metrics);
    await repo.insertBatch([t2v("late")], LIMITS);
    await db().db.execute(sql`update videos set deadline_at = now() - interval '1 minute'`);
    await dispatcher.runOnce();
    const samples = await read(metrics);
    expect(valueOf(samples, "jobs_finished_total", { state: "failed" })).toBe(1);
    expect(valueOf(samples, "job_finish_seconds_count")).toBe(0);
  });
});
