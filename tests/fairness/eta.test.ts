// eta_seconds is honest: with the real dispatcher driving a generator whose videos take a known time (±20 %, as
// the simulator's do), every queued video's ETA, asked the moment it was accepted, is within 2× of when it
// really finished. And the order the dispatcher submits in is the fair one.
import { afterEach, expect, test } from "bun:test";
import { createDispatcher, type Dispatcher } from "../../src/dispatcher/dispatcher.ts";
import type { PollResult, SubmitRequest, SubmitResult } from "../../src/domain/generator.ts";
import { silentLogger } from "../../src/log.ts";
import { describeEachDatabase } from "../support/db.ts";
import { ScriptedGenerator, SCRIPTED_ACCOUNT } from "../support/scripted-generator.ts";
import { TEST_SETTINGS } from "../support/settings.ts";
import type { Database } from "../../src/db/client.ts";
import { detailApp, detailOf, ownerOf, submit } from "./helpers.ts";

/** Each video is done `durationMs` (×0.8 or ×1.2, in turn) after it was submitted. */
class TimedGenerator extends ScriptedGenerator {
  private readonly doneAt = new Map<string, number>();
  private n = 0;
  constructor(private readonly durationMs: number) {
    super();
  }
  override async submit(request: SubmitRequest): Promise<SubmitResult> {
    const result = await super.submit(request);
    if (result.ok) this.doneAt.set(result.pixverseId, Date.now() + this.durationMs * (this.n++ % 2 ? 1.2 : 0.8));
    return result;
  }
  override async poll(ids: string[], accountOf: ReadonlyMap<string, string>): Promise<PollResult> {
    for (const id of ids) if ((this.doneAt.get(id) ?? Infinity) <= Date.now()) this.set(id, 1, `https://media.example/${id}.mp4`);
    return super.poll(ids, accountOf);
  }
}

const SLOTS = 2;
const DURATION_MS = 1500;

let dispatcher: Dispatcher | undefined;
afterEach(async () => {
  await dispatcher?.stop(5000);
  dispatcher = undefined;
});

function start(database: Database, app: ReturnType<typeof detailApp>) {
  const generator = new TimedGenerator(DURATION_MS);
  generator.cap = SLOTS;
  dispatcher = createDispatcher({
    repo: app.repo,
    generator,
    logger: silentLogger,
    owner: "eta-test",
    accounts: [SCRIPTED_ACCOUNT],
    settings: TEST_SETTINGS,
    onChange: (id) => app.videos.changed(id),
    idleTickMs: 20,
    pollMinMs: 50,
    pollMaxMs: 50,
    pollBacklogMs: 25,
    watchPollMs: 60_000,
  });
  return { generator, dispatcher };
}

/** Wait until every id has succeeded; when each did, in ms since `t0`. */
async function finishTimes(database: Database, app: ReturnType<typeof detailApp>, ids: number[], t0: number): Promise<Map<number, number>> {
  const done = new Map<number, number>();
  const deadline = Date.now() + 30_000;
  while (done.size < ids.length && Date.now() < deadline) {
    for (const id of ids) {
      if (done.has(id)) continue;
      const job = await app.repo.findJob(id);
      if (job?.state === "succeeded") done.set(id, Date.now() - t0);
    }
    await Bun.sleep(20);
  }
  expect(done.size).toBe(ids.length);
  return done;
}

describeEachDatabase("eta_seconds against the dispatcher", (db) => {
  test("every queued video's ETA is within 2× of when it really finished", async () => {
    const app = detailApp(db(), { slots: SLOTS });
    const { generator } = start(db(), app);
    await dispatcher!.start();
    // Two videos first, so the mean generation time is measured, not the default.
    const warm = [await submit(app.app, ownerOf("warm-1")), await submit(app.app, ownerOf("warm-2"))];
    await finishTimes(db(), app, warm, Date.now());

    // Stop taking work while the batch is accepted, so that every ETA is asked with all of it still queued.
    generator.notReady.add(SCRIPTED_ACCOUNT);
    const owners = ["a", "b", "c", "d", "e"].map((u) => ownerOf(u));
    const ids: number[] = [];
    for (const o of owners) ids.push(await submit(app.app, o));
    const etas = new Map<number, number>();
    for (const [i, id] of ids.entries()) {
      const d = await detailOf(app.app, id, owners[i]!);
      expect(d).toMatchObject({ state: "queued", queue_position: i + 1 });
      etas.set(id, (d.eta_seconds as number) * 1000);
    }
    const t0 = Date.now();
    generator.notReady.delete(SCRIPTED_ACCOUNT);
    dispatcher!.notify();

    // While one generates, its ETA is what is left of the mean: never more than the whole.
    let seenGenerating = false;
    for (let tries = 0; tries < 100 && !seenGenerating; tries++) {
      const d = await detailOf(app.app, ids[0]!, owners[0]!);
      if (d.state === "generating") {
        seenGenerating = true;
        expect(d.eta_seconds as number).toBeLessThanOrEqual(Math.ceil((DURATION_MS * 1.2 + 200) / 1000));
      } else await Bun.sleep(10);
    }
    expect(seenGenerating).toBe(true);

    const actual = await finishTimes(db(), app, ids, t0);
    for (const id of ids) {
      const eta = etas.get(id)!;
      const real = actual.get(id)!;
      expect(eta, `video ${id}: eta ${eta} ms, finished after ${real} ms`).toBeLessThanOrEqual(2 * real);
      expect(eta, `video ${id}: eta ${eta} ms, finished after ${real} ms`).toBeGreaterThanOrEqual(real / 2);
    }
  }, 60_000);

  test("the dispatcher submits a light user's video before a heavy user's backlog", async () => {
    const app = detailApp(db(), { slots: SLOTS });
    const { generator } = start(db(), app);
    generator.notReady.add(SCRIPTED_ACCOUNT);
    await dispatcher!.start();
    for (let i = 0; i < 6; i++) await submit(app.app, ownerOf("heavy"), `heavy-${i}`);
    await submit(app.app, ownerOf("light-1"), "light-1");
    await submit(app.app, ownerOf("light-2"), "light-2");
    generator.notReady.delete(SCRIPTED_ACCOUNT);
    dispatcher!.notify();
    const deadline = Date.now() + 20_000;
    while (generator.submitted.length < 4 && Date.now() < deadline) await Bun.sleep(20);
    // Two slots: heavy-0 and light-1 first, then light-2 as soon as a slot frees, before heavy-1.
    expect(generator.submitted.slice(0, 4).map((s) => s.prompt)).toEqual(["heavy-0", "light-1", "light-2", "heavy-1"]);
  }, 60_000);
});
