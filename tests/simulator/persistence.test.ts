// The state file of `startSimulator({ stateFile })`: a restarted simulator still has its accounts, sessions,
// videos (finishing on their original schedule) and media records.
import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startSimulator, type Simulator } from "../../src/simulator/server.ts";
import { addAccount, api, control, detail, eventually, LIST_BODY, login, manualClock, pngHeader, submitT2v } from "./helpers.ts";

const GEN_MS = 1000;
const started: Simulator[] = [];
const dirs: string[] = [];

afterEach(async () => {
  for (const s of started.splice(0)) await s.stop();
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function stateFile(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "sim-state-"));
  dirs.push(dir);
  return join(dir, "simulator", "state.json");
}

async function start(file: string, clock = manualClock()): Promise<Simulator> {
  const sim = await startSimulator({ port: 0, generationMs: GEN_MS, jitter: 0, now: clock.now, stateFile: file });
  started.push(sim);
  return sim;
}

async function stop(sim: Simulator): Promise<void> {
  started.splice(started.indexOf(sim), 1);
  await sim.stop();
}

describe("state file", () => {
  test("brings back the session, the video and its schedule after a restart", async () => {
    const file = await stateFile();
    const clock = manualClock();
    const first = await start(file, clock);
    await addAccount(first, { email: "ann@example.com", password: "pw", credits: 500, concurrency: 1 });
    const token = await login(first, "ann@example.com", "pw");
    const id = (await submitT2v(first, token, "a cat that survives a restart")).Resp.video_id as number;
    clock.advance(0.5 * GEN_MS);
    await stop(first);

    const second = await start(file, clock);
    expect((await api(second, "/user/credits", undefined, token)).Resp.credit_package).toBe(480);
    const listed = (await api(second, "/video/list/personal", LIST_BODY, token)).Resp.data;
    expect(listed).toEqual([expect.objectContaining({ video_id: id, prompt: "a cat that survives a restart", video_status: 5 })]);
    expect((await submitT2v(second, token, "still busy")).ErrCode).toBe(500044);
    clock.advance(0.5 * GEN_MS);
    expect((await detail(second, token, id)).Resp.video_status).toBe(1);
    const next = (await submitT2v(second, token, "after")).Resp.video_id as number;
    expect(next).toBeGreaterThan(id);
  });

  test("keeps a replaced session replaced and the uploads' media records", async () => {
    const file = await stateFile();
    const clock = manualClock();
    const first = await start(file, clock);
    await addAccount(first, { email: "ann@example.com", password: "pw", ui: "2025" });
    const old = await login(first, "ann@example.com", "pw");
    const token = await login(first, "ann@example.com", "pw");
    const grant = (await api(first, "/getUploadToken", {}, token)).Resp;
    const path = `upload/${crypto.randomUUID()}.png`;
    await fetch(`${first.url}/oss/${path}`, { method: "PUT", headers: { "X-Oss-Security-Token": grant.Token }, body: pngHeader(300, 600) });
    const media = (await api(first, "/media/batch_upload_media", { images: [{ path }] }, token)).Resp.result[0];
    await stop(first);

    const second = await start(file, clock);
    expect((await api(second, "/user/credits", undefined, old)).ErrCode).toBe(10005);
    const res = await api(second, "/video/i2v", { prompt: "waves", model: "v5", duration: 5, quality: "360p", img_id: media.id }, token);
    expect(res.ErrCode, res.ErrMsg).toBe(0);
    const home = await fetch(`${second.url}/home`, { headers: { Cookie: `_ai_token=${token}` } });
    expect(await home.text()).toContain('href="/create"');
  });

  test("writes soon after a change, without waiting for stop, owner-only and atomically", async () => {
    const file = await stateFile();
    const sim = await start(file);
    await addAccount(sim, { email: "ann@example.com", password: "pw" });
    const token = await login(sim, "ann@example.com", "pw");
    const id = (await submitT2v(sim, token, "saved early")).Resp.video_id as number;
    await eventually(async () => (existsSync(file) && readFileSync(file, "utf8").includes(String(id)) ? true : undefined), 2000, "the state file");
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect((await readdir(join(file, ".."))).filter((n) => n !== "state.json")).toEqual([]);
  });

  test("has a new video on disk by the time its id is answered, so a crash right after cannot lose it", async () => {
    const file = await stateFile();
    const sim = await start(file);
    await addAccount(sim, { email: "ann@example.com", password: "pw", concurrency: 3 });
    const token = await login(sim, "ann@example.com", "pw");
    for (const prompt of ["first", "second", "third"]) {
      const id = (await submitT2v(sim, token, prompt)).Resp.video_id as number;
      const saved = JSON.parse(readFileSync(file, "utf8")) as { videos: { id: number }[] };
      expect(saved.videos.map((v) => v.id)).toContain(id);
    }
  });

  test("starts empty from an unreadable file, keeping it aside", async () => {
    const file = await stateFile();
    const first = await start(file);
    await addAccount(first, { email: "ann@example.com", password: "pw" });
    await stop(first);
    writeFileSync(file, "{ not json");
    const sim = await start(file);
    expect((await api(sim, "/login", { Username: "ann@example.com", Password: "pw" })).ErrCode).toBe(500200);
    expect((await readdir(join(file, ".."))).some((n) => n.startsWith("state.json.invalid-"))).toBe(true);
  });

  test("re-creates the SIM_EMAIL account when the saved state lacks it", async () => {
    const file = await stateFile();
    const first = await start(file);
    await control(first, "/reset", {});
    await stop(first);
    const sim = await startSimulator({ port: 0, stateFile: file, email: "demo@example.com", password: "demo" });
    started.push(sim);
    expect((await api(sim, "/login", { Username: "demo@example.com", Password: "demo" })).ErrCode).toBe(0);
  });
});
