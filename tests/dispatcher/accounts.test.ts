// The dispatcher with several Pixverse accounts: each job records the account its submission (or its
// reconciliation) names, and polling and counting cover every configured account.
import { expect, test } from "bun:test";
import { createDispatcher } from "../../src/dispatcher/dispatcher.ts";
import { createVideoRepository, type NewVideo } from "../../src/db/videos.ts";
import { silentLogger } from "../../src/log.ts";
import type { Database } from "../../src/db/client.ts";
import { describeEachDatabase } from "../support/db.ts";
import { ScriptedGenerator } from "../support/scripted-generator.ts";
import { TEST_SETTINGS } from "../support/settings.ts";

const LIMITS = { maxActivePerUser: 1000, maxQueueDepth: 1000, deadlineMinutes: 30 };
const ANN = "ann@example.com";
const BOB = "bob@example.com";

const t2v = (prompt: string): NewVideo => ({ appBundleId: "com.example", apphudUserId: "u1", clientIp: null, kind: "t2v", prompt });

async function setup(database: Database, prompts: string[], accounts = [ANN, BOB]) {
  const repo = createVideoRepository(database);
  const ids = (await repo.insertBatch(prompts.map(t2v), LIMITS)).map((o) => (o.ok ? o.id : -1));
  const generator = new ScriptedGenerator();
  generator.accounts = [ANN, BOB];
  generator.cap = 4;
  const dispatcher = createDispatcher({
    repo,
    generator,
    logger: silentLogger,
    owner: "instance-a",
    accounts,
    settings: TEST_SETTINGS,
    reconcileGraceMs: 0,
    watchPollMs: 0,
  });
  return { repo, ids, generator, dispatcher };
}

describeEachDatabase("dispatcher with several accounts", (db) => {
  test("each job records the account its submission names, and every account's jobs are polled", async () => {
    const { repo, ids, generator, dispatcher } = await setup(db(), ["one", "two", "three"]);
    await dispatcher.runOnce();
    const jobs = await Promise.all(ids.map((id) => repo.findJob(id)));
    const byPrompt = new Map(jobs.map((j) => [j!.prompt, j!]));
    // The scripted generator names ANN, BOB, ANN in submission order; each row keeps what its answer said.
    const submittedOrder = generator.submitted.map((s) => s.prompt);
    expect(submittedOrder.map((p) => byPrompt.get(p)!.account)).toEqual([ANN, BOB, ANN]);
    expect(jobs.every((j) => j!.state === "generating")).toBe(true);
    // One poll round asks about every in-flight job, whichever account holds it.
    expect(new Set(generator.polled.at(-1))).toEqual(new Set(jobs.map((j) => j!.pixverseVideoId!)));

    for (const job of jobs) generator.set(job!.pixverseVideoId!, 1, `https://media.example/${job!.id}.mp4`);
    await dispatcher.runOnce();
    for (const id of ids) expect((await repo.findJob(id))?.state).toBe("succeeded");
  });

  test("the queue's own count covers every account when Pixverse's view is missing", async () => {
    const { repo, generator, dispatcher } = await setup(db(), ["a", "b", "c", "d", "e"]);
    generator.cap = 2;
    await dispatcher.runOnce();
    expect(generator.submitted).toHaveLength(2);
    expect(new Set((await repo.listGenerating([ANN, BOB])).map((j) => j.account))).toEqual(new Set([ANN, BOB]));
    // Two slots, one job on each account: both count, so nothing more is claimed.
    await dispatcher.runOnce();
    expect(generator.submitted).toHaveLength(2);
  });

  test("a reconciled job records the account Pixverse found it on", async () => {
    const { repo, ids, generator, dispatcher } = await setup(db(), ["did it go?"]);
    generator.nextSubmits.push(new Error("sidecar died"));
    await dispatcher.runOnce();
    expect((await repo.findJob(ids[0]!))?.state).toBe("submitting");
    generator.reconcileAnswer = () => ({ kind: "found", pixverseId: "777", account: BOB });
    await dispatcher.runOnce();
    const job = await repo.findJob(ids[0]!);
    expect(job?.state).toBe("generating");
    expect(job?.account).toBe(BOB);
    expect(generator.submitted).toHaveLength(1);
  });

  test("a job on an account this instance does not drive is not polled", async () => {
    const { repo, ids, generator, dispatcher } = await setup(db(), ["elsewhere"], [ANN]);
    generator.accounts = [BOB];
    await dispatcher.runOnce();
    expect((await repo.findJob(ids[0]!))?.account).toBe(BOB);
    expect(generator.polled.flat()).toEqual([]);
  });
});
