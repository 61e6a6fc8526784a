// GET /get_status with detail=true: state, queue_position (in the claim's fair order) and eta_seconds while a
// video is not final; exactly the contract's answer without it, for final videos, and with detail=false.
import { expect, test } from "bun:test";
import { describeEachDatabase } from "../support/db.ts";
import { detailApp, detailOf, ownerOf, status, submit } from "./helpers.ts";

describeEachDatabase("get_status detail=true", (db) => {
  test("queue_position falls as jobs are claimed, 1 being the next; then the state follows the video", async () => {
    const { app, repo } = detailApp(db());
    const owners = ["u1", "u2", "u3", "u4"].map((u) => ownerOf(u));
    const ids: number[] = [];
    for (const o of owners) ids.push(await submit(app, o));
    const last = ids[3]!;
    const positions: unknown[] = [await detailOf(app, last, owners[3]!).then((d) => d.queue_position)];
    for (let i = 0; i < 3; i++) {
      await repo.claimQueued("me", 1, "acct");
      positions.push((await detailOf(app, last, owners[3]!)).queue_position);
    }
    expect(positions).toEqual([4, 3, 2, 1]);
    expect(await detailOf(app, last, owners[3]!)).toMatchObject({ status: "Generating", state: "queued", queue_position: 1 });

    const [claimed] = await repo.claimQueued("me", 1, "acct");
    expect(claimed!.id).toBe(last);
    const submitting = await detailOf(app, last, owners[3]!);
    expect(submitting).toMatchObject({ status: "Generating", state: "submitting" });
    expect("queue_position" in submitting).toBe(false);

    await repo.markSubmitted(last, "me", "px-4", "acct");
    const generating = await detailOf(app, last, owners[3]!);
    expect(Object.keys(generating).sort()).toEqual(["eta_seconds", "state", "status"]);
    expect(generating).toMatchObject({ status: "Generating", state: "generating" });
    expect(Number.isInteger(generating.eta_seconds) && (generating.eta_seconds as number) >= 1).toBe(true);

    await repo.finish(last, "succeeded", { url: "https://media.example/v.mp4" });
    const done = await status(app, last, owners[3]!, { detail: "true" });
    expect(done).toEqual({ status: 200, text: '{"url":"https://media.example/v.mp4"}' });
  });

  test("queue_position is the claim's fair order: a heavy user's later videos come after the light users' first", async () => {
    const { app, repo } = detailApp(db());
    const heavy = ownerOf("heavy");
    const heavyIds: number[] = [];
    for (let i = 0; i < 5; i++) heavyIds.push(await submit(app, heavy, `heavy-${i}`));
    const lights = ["l1", "l2"].map((u) => ownerOf(u));
    const lightIds = [await submit(app, lights[0]!, "light"), await submit(app, lights[1]!, "light")];
    // Round 1: heavy-0, l1, l2; then the heavy user's others, oldest first.
    expect((await detailOf(app, lightIds[0]!, lights[0]!)).queue_position).toBe(2);
    expect((await detailOf(app, lightIds[1]!, lights[1]!)).queue_position).toBe(3);
    const heavyPositions = [];
    for (const id of heavyIds) heavyPositions.push((await detailOf(app, id, heavy)).queue_position);
    expect(heavyPositions).toEqual([1, 4, 5, 6, 7]);
    // What position 1 says is next is what the claim takes, every time.
    const everyone = [...heavyIds.map((id) => [id, heavy] as const), ...lightIds.map((id, i) => [id, lights[i]!] as const)];
    for (let n = 0; n < everyone.length; n++) {
      let next: number | undefined;
      for (const [id, owner] of everyone) if ((await detailOf(app, id, owner)).queue_position === 1) next = id;
      const [claimed] = await repo.claimQueued("me", 1, "acct");
      expect(claimed?.id).toBe(next!);
    }
  });

  test("a weighted app's position follows its weight", async () => {
    const { app } = detailApp(db(), { weights: { "com.paid": 2 } });
    const paid = ownerOf("p", "com.paid");
    const free = ownerOf("f", "com.free");
    const p = [await submit(app, paid), await submit(app, paid), await submit(app, paid)];
    const f = await submit(app, free);
    // Round 1: paid 1 and 2, free 1; round 2: paid 3.
    expect((await detailOf(app, f, free)).queue_position).toBe(3);
    expect((await detailOf(app, p[2]!, paid)).queue_position).toBe(4);
  });

  test("eta_seconds grows with the place in the queue and the free slots", async () => {
    const { app } = detailApp(db(), { slots: 2 });
    const ids: [number, ReturnType<typeof ownerOf>][] = [];
    for (const u of ["a", "b", "c", "d", "e"]) ids.push([await submit(app, ownerOf(u)), ownerOf(u)]);
    const etas: number[] = [];
    for (const [id, owner] of ids) etas.push((await detailOf(app, id, owner)).eta_seconds as number);
    // No success yet: the default generation time (60 s) per round of two slots.
    expect(etas).toEqual([60, 60, 120, 120, 180]);
  });

  test("before any video has finished, the ETA uses the configured generation time (ETA_DEFAULT_SECONDS; the simulator's in demo mode)", async () => {
    const { app } = detailApp(db(), { slots: 2, expectedGenerationMs: 5_000 });
    const ids: [number, ReturnType<typeof ownerOf>][] = [];
    for (const u of ["a", "b", "c"]) ids.push([await submit(app, ownerOf(u)), ownerOf(u)]);
    const etas: number[] = [];
    for (const [id, owner] of ids) etas.push((await detailOf(app, id, owner)).eta_seconds as number);
    expect(etas).toEqual([5, 5, 10]);
  });

  test("a queued video has no eta_seconds while no account takes work", async () => {
    const { app } = detailApp(db(), { slots: 0 });
    const o = ownerOf("a");
    const id = await submit(app, o);
    expect(await detailOf(app, id, o)).toEqual({ status: "Generating", state: "queued", queue_position: 1 });
  });

  test("without detail, with detail=false, and for final videos the body is the contract's, byte for byte", async () => {
    const { app, repo } = detailApp(db());
    const plain = detailApp(db(), { detail: false }).app;
    const o = ownerOf("a");
    const id = await submit(app, o);
    const contract = { status: 200, text: '{"status":"Generating"}' };
    expect(await status(app, id, o)).toEqual(contract);
    expect(await status(plain, id, o)).toEqual(contract);
    expect(await status(app, id, o, { detail: "false" })).toEqual(contract);
    // An app without a queue-detail source accepts detail=true and answers the contract's body.
    expect(await status(plain, id, o, { detail: "true" })).toEqual(contract);
    for (const [state, text] of [["failed", '{"status":"Generation failed"}'], ["moderated", '{"status":"Contents moderation failed"}']] as const) {
      const other = await submit(app, o);
      await repo.finish(other, state, {});
      expect(await status(app, other, o, { detail: "true" })).toEqual({ status: 200, text });
      expect(await status(app, other, o)).toEqual({ status: 200, text });
    }
  });

  test("the OpenAPI examples of detail=true answers have the fields real answers have", async () => {
    const { app, repo } = detailApp(db());
    const doc = (await (await app.request("/openapi.json")).json()) as any;
    const examples = Object.values(doc.paths["/get_status"].get.responses["200"].content["application/json"].examples as Record<string, { summary: string; value: Record<string, unknown> }>);
    const example = (summary: string) => examples.find((e) => e.summary === summary)!.value;
    const o = ownerOf("a");
    const id = await submit(app, o);
    const shape = (v: Record<string, unknown>) => Object.entries(v).map(([k, x]) => [k, typeof x]).sort();
    expect(shape(await detailOf(app, id, o))).toEqual(shape(example("queued (detail=true)")));
    await repo.claimQueued("me", 1, "acct");
    await repo.markSubmitted(id, "me", "px-1", "acct");
    expect(shape(await detailOf(app, id, o))).toEqual(shape(example("generating (detail=true)")));
    expect((await detailOf(app, id, o)).state).toBe(example("generating (detail=true)").state as string);
  });

  test("detail=true (or 1, any case) adds the details; any other value is the contract's answer, never an error", async () => {
    const { app } = detailApp(db());
    const o = ownerOf("a");
    const id = await submit(app, o);
    const plain = await status(app, id, o);
    for (const yes of ["true", "TRUE", "1"]) {
      const r = await status(app, id, o, { detail: yes });
      expect(r.status, yes).toBe(200);
      expect(JSON.parse(r.text), yes).toMatchObject({ status: "Generating", state: "queued", queue_position: 1 });
    }
    for (const no of ["foo", "", "0", "false", "yes please"]) {
      const r = await status(app, id, o, { detail: no });
      expect(r.status, no).toBe(200);
      expect(r.text, no).toBe(plain.text);
    }
    // A malformed or non-UTF-8 escape is just another value (an id's would be a 400).
    for (const raw of ["%zz", "%E9", "tr%ue"]) {
      const r = await app.request(`/get_status?${new URLSearchParams({ video_id: String(id), ...o })}&detail=${raw}`);
      expect(r.status, raw).toBe(200);
      expect(await r.text(), raw).toBe(plain.text);
    }
    const twice = await app.request(`/get_status?${new URLSearchParams({ video_id: String(id), ...o })}&detail=false&detail=true`);
    expect(JSON.parse(await twice.text())).toMatchObject({ state: "queued" });
    // The other parameters are still checked first, and someone else's video stays a 404.
    expect((await status(app, 0, o, { detail: "true" })).status).toBe(400);
    expect((await status(app, id, ownerOf("b"), { detail: "true" })).status).toBe(404);
  });
});
