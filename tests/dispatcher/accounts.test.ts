// The dispatcher with several Pixverse accounts: it names the account of every submission (a held, ready
// account with a free slot, least loaded first), records it on the job before anything is sent, hands a job
// one account refused to another at once, and polls and reconciles each job on its own account only.
import { expect, test } from "bun:test";
import { createDispatcher } from "../../src/dispatcher/dispatcher.ts";
import { createVideoRepository, type NewVideo } from "../../src/db/videos.ts";
import { silentLogger } from "../../src/log.ts";
import type { Database } from "../../src/db/client.ts";
import type { SubmitRequest, SubmitResult } from "../../src/domain/generator.ts";
import { describeEachDatabase } from "../support/db.ts";
import { ScriptedGenerator } from "../support/scripted-generator.ts";
import { TEST_SETTINGS } from "../support/settings.ts";

const LIMITS = { maxActivePerUser: 1000, maxQueueDepth: 1000, deadlineMinutes: 30 };
const ANN = "ann@example.com";
const BOB = "bob@example.com";

const t2v = (prompt: string): NewVideo => ({ appBundleId: "com.example", apphudUserId: "u1", clientIp: null, kind: "t2v", prompt });

/** A scripted generator that also notes, at each submission, which account the job's row named then. */
class RecordingGenerator extends ScriptedGenerator {
  readonly rowAccountAtSubmit: (string | null)[] = [];
  constructor(private readonly repo: ReturnType<typeof createVideoRepository>) {
    super();
  }
  override async submit(request: SubmitRequest): Promise<SubmitResult> {
    this.rowAccountAtSubmit.push((await this.repo.findJob(request.jobId))?.account ?? null);
    return super.submit(request);
  }
}

async function setup(database: Database, prompts: string[], options: { held?: string[]; cap?: number } = {}) {
  const repo = createVideoRepository(database);
  const ids = (await repo.insertBatch(prompts.map(t2v), LIMITS)).map((o) => (o.ok ? o.id : -1));
  const generator = new RecordingGenerator(repo);
  generator.accounts = [ANN, BOB];
  generator.cap = options.cap ?? 2;
  const held = options.held;
  const dispatcher = createDispatcher({
    repo,
    generator,
    logger: silentLogger,
    owner: "instance-a",
    accounts: [ANN, BOB],
    ...(held ? { held: () => held } : {}),
    settings: TEST_SETTINGS,
    reconcileGraceMs: 0,
    watchPollMs: 0,
  });
  return { repo, ids, generator, dispatcher };
}

describeEachDatabase("dispatcher with several accounts", (db) => {
  test("each job goes to an account with a free slot, which its row records before the submission is sent", async () => {
    const { repo, ids, generator, dispatcher } = await setup(db(), ["one", "two", "three"]);
    await dispatcher.runOnce();
    const jobs = await Promise.all(ids.map((id) => repo.findJob(id)));
    expect(jobs.every((j) => j!.state === "generating")).toBe(true);
    // Two slots each: the first account takes two, the other the third; every row says where its job went.
    const byAccount = generator.submitted.map((s) => s.account).sort();
    expect(byAccount).toEqual([ANN, ANN, BOB]);
    expect(generator.rowAccountAtSubmit).toEqual(generator.submitted.map((s) => s.account));
    for (const job of jobs) expect(job!.account).toBe(generator.submitted.find((s) => s.jobId === job!.id)!.account);
    // One poll round asks about every in-flight job, each on its own account.
    const polled = new Map(generator.polled.at(-1)!.map((id, i) => [id, generator.polledAccounts.at(-1)![i]]));
    for (const job of jobs) expect(polled.get(job!.pixverseVideoId!)).toBe(job!.account!);

    for (const job of jobs) generator.set(job!.pixverseVideoId!, 1, `https://media.example/${job!.id}.mp4`);
    await dispatcher.runOnce();
    for (const id of ids) expect((await repo.findJob(id))?.state).toBe("succeeded");
  });

  test("without Pixverse's view each account's own rows count against its own slots", async () => {
    const { repo, generator, dispatcher } = await setup(db(), ["a", "b", "c", "d", "e"], { cap: 1 });
    await dispatcher.runOnce();
    expect(generator.submitted.map((s) => s.account).sort()).toEqual([ANN, BOB]);
    expect(new Set((await repo.listGenerating([ANN, BOB])).map((j) => j.account))).toEqual(new Set([ANN, BOB]));
    // One slot each, one job on each: nothing more is claimed.
    await dispatcher.runOnce();
    expect(generator.submitted).toHaveLength(2);
  });

  test("a job one account refuses goes at once to another with a free slot, recorded there first", async () => {
    const { repo, ids, generator, dispatcher } = await setup(db(), ["refused once"]);
    generator.nextSubmits.push({ ok: false, kind: "credits", code: 500043, message: "All credits used" });
    await dispatcher.runOnce();
    expect(generator.submitted.map((s) => s.account)).toEqual([ANN, BOB]);
    expect(generator.rowAccountAtSubmit).toEqual([ANN, BOB]);
    const job = await repo.findJob(ids[0]!);
    expect(job?.state).toBe("generating");
    expect(job?.account).toBe(BOB);
    expect(job?.attempts).toBe(1);
  });

  test("an account that takes no submission now (out of credits, waiting for a person) is skipped", async () => {
    const { repo, ids, generator, dispatcher } = await setup(db(), ["x", "y"]);
    generator.notReady.add(ANN);
    await dispatcher.runOnce();
    expect(generator.submitted.map((s) => s.account)).toEqual([BOB, BOB]);
    for (const id of ids) expect((await repo.findJob(id))?.account).toBe(BOB);
  });

  test("a job whose outcome is unknown is reconciled on its own account, with the ids other jobs hold there excluded", async () => {
    const { repo, ids, generator, dispatcher } = await setup(db(), ["first", "did it go?"], { cap: 1, held: [ANN] });
    await dispatcher.runOnce(); // "first" on ANN (the only held account)
    const first = await repo.findJob(ids[0]!);
    generator.set(first!.pixverseVideoId!, 1, "https://media.example/1.mp4");
    await dispatcher.runOnce(); // "first" succeeds; its slot is free
    generator.nextSubmits.push(new Error("sidecar died"));
    await dispatcher.runOnce();
    expect((await repo.findJob(ids[1]!))?.state).toBe("submitting");
    generator.reconcileAnswer = (r) => (r.excludeIds.includes(first!.pixverseVideoId!) ? { kind: "found", pixverseId: "777", account: r.account } : { kind: "absent" });
    await dispatcher.runOnce();
    expect(generator.reconciled.map((r) => r.account)).toEqual([ANN]);
    const job = await repo.findJob(ids[1]!);
    expect(job?.state).toBe("generating");
    expect(job?.account).toBe(ANN);
    expect(job?.pixverseVideoId).toBe("777");
    expect(generator.submitted).toHaveLength(2);
  });

  test("jobs of an account this instance does not hold are neither claimed for it, polled nor reconciled", async () => {
    const { repo, ids, generator, dispatcher } = await setup(db(), ["on bob", "stuck on bob"], { held: [ANN] });
    // Another instance (the holder of BOB) claimed both for BOB: one is at Pixverse, one mid-submission.
    const [a, b] = await repo.claimQueued("instance-b", 2, BOB);
    await repo.markSubmitted(a!.id, "instance-b", "123", BOB);
    await repo.markOutcomeUnknown(b!.id, "instance-b", "timeout");
    await dispatcher.runOnce();
    expect(generator.polled.flat()).toEqual([]);
    expect(generator.reconciled).toEqual([]);
    expect(generator.submitted).toEqual([]);
    expect((await repo.findJob(ids[1]!))?.state).toBe("submitting");
  });
});
