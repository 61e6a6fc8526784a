// The dispatcher trusting Pixverse's own view: videos Pixverse no longer has end and free their slots, and
// free slots are counted from what runs at Pixverse (hand-made videos included), not from stale rows.
import { expect, test } from "bun:test";
import { createDispatcher } from "../../src/dispatcher/dispatcher.ts";
import { createVideoRepository, type NewVideo } from "../../src/db/videos.ts";
import type { Database } from "../../src/db/client.ts";
import { silentLogger } from "../../src/log.ts";
import { describeEachDatabase } from "../support/db.ts";
import { ScriptedGenerator } from "../support/scripted-generator.ts";
import { TEST_SETTINGS } from "../support/settings.ts";

const ACCOUNT = "acct@example.com";
const LIMITS = { maxActivePerUser: 1000, maxQueueDepth: 1000, deadlineMinutes: 30 };

function t2v(prompt: string): NewVideo {
  return { appBundleId: "com.example", apphudUserId: "u1", clientIp: null, kind: "t2v", prompt };
}

async function setup(database: Database, prompts: string[], goneGraceMs = 0) {
  const repo = createVideoRepository(database);
  const ids = (await repo.insertBatch(prompts.map(t2v), LIMITS)).map((o) => (o.ok ? o.id : -1));
  const generator = new ScriptedGenerator();
  const dispatcher = createDispatcher({
    repo,
    generator,
    logger: silentLogger,
    owner: "instance-a",
    accounts: [ACCOUNT],
    settings: TEST_SETTINGS,
    reconcileGraceMs: 0,
    watchPollMs: 0,
    goneGraceMs,
  });
  const pixverseId = async (id: number) => (await repo.findJob(id))!.pixverseVideoId!;
  return { repo, ids, generator, dispatcher, pixverseId };
}

describeEachDatabase("videos Pixverse no longer has", (db) => {
  test("a video seen at Pixverse and then gone (500008) ends Deleted and its slot goes to the next job at once", async () => {
    const { repo, ids, generator, dispatcher, pixverseId } = await setup(db(), ["first", "second"]);
    generator.cap = 1;
    await dispatcher.runOnce(); // submits "first" and polls it: Pixverse lists it as generating
    expect(generator.submitted.map((s) => s.prompt)).toEqual(["first"]);
    generator.forget(await pixverseId(ids[0]!));
    await dispatcher.runOnce(); // the poll finds it gone
    const first = await repo.findJob(ids[0]!);
    expect(first?.state).toBe("deleted");
    expect(first?.errorCode).toBe("pixverse_gone");
    await dispatcher.runOnce();
    expect(generator.submitted.map((s) => s.prompt)).toEqual(["first", "second"]);
  });

  test("a video Pixverse never listed and then says it does not have ends Generation failed", async () => {
    const { repo, ids, generator, dispatcher } = await setup(db(), ["never listed"]);
    generator.nextSubmits.push({ ok: true, pixverseId: "999000111222333", account: ACCOUNT });
    generator.gone.add("999000111222333");
    await dispatcher.runOnce();
    const job = await repo.findJob(ids[0]!);
    expect(job?.state).toBe("failed");
    expect(job?.errorCode).toBe("pixverse_gone");
  });

  test("gone is believed only after the grace: within it the video stays Generating", async () => {
    const { repo, ids, generator, dispatcher, pixverseId } = await setup(db(), ["briefly missing"], 60_000);
    await dispatcher.runOnce();
    generator.forget(await pixverseId(ids[0]!));
    await dispatcher.runOnce();
    await dispatcher.runOnce();
    expect((await repo.findJob(ids[0]!))?.state).toBe("generating");
  });

  test("a delivered video that Pixverse no longer has answers Deleted", async () => {
    const { repo, ids, generator, dispatcher, pixverseId } = await setup(db(), ["delivered"]);
    await dispatcher.runOnce();
    const id = await pixverseId(ids[0]!);
    generator.set(id, 1, "https://media.pixverse.ai/x.mp4");
    await dispatcher.runOnce();
    expect((await repo.findJob(ids[0]!))?.state).toBe("succeeded");
    generator.forget(id);
    await dispatcher.runOnce();
    expect((await repo.findJob(ids[0]!))?.state).toBe("deleted");
  });
});

describeEachDatabase("free slots from Pixverse's view", (db) => {
  test("a video a person started by hand on the account takes a slot", async () => {
    const { generator, dispatcher } = await setup(db(), ["a", "b", "c"]);
    generator.cap = 2;
    generator.busyAtPixverse = 1;
    await dispatcher.runOnce();
    expect(generator.submitted.map((s) => s.prompt)).toEqual(["a"]);
  });

  test("rows that say generating do not hold slots that Pixverse's own list shows free", async () => {
    const { generator, dispatcher } = await setup(db(), ["a", "b", "c", "d"]);
    generator.cap = 2;
    await dispatcher.runOnce();
    expect(generator.submitted).toHaveLength(2);
    // Both finished at Pixverse a moment ago; our rows have not caught up yet.
    generator.busyAtPixverse = 0;
    await dispatcher.runOnce();
    expect(generator.submitted.map((s) => s.prompt)).toEqual(["a", "b", "c", "d"]);
  });

  test("without a fresh view from Pixverse the queue's own rows count", async () => {
    const { generator, dispatcher } = await setup(db(), ["a", "b", "c"]);
    generator.cap = 2;
    generator.busyAtPixverse = null;
    await dispatcher.runOnce();
    await dispatcher.runOnce();
    expect(generator.submitted).toHaveLength(2);
  });
});
