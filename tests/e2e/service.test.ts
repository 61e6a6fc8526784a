// The whole product from outside: the real entry point as a process, driving the simulator through the
// sidecar and real Chromium, used over HTTP as a client would.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startSimulator, type Simulator } from "../../src/simulator/server.ts";
import { startService, type ServiceProcess } from "../support/service-process.ts";
import { addAccount, control, eventually, reset } from "../simulator/helpers.ts";
import { png } from "../support/images.ts";
import { requireChromium } from "../sidecar/helpers.ts";
import { accountKey } from "../../src/admin/view.ts";

const ADMIN_PASSWORD = "e2e-admin-password-0123";
const ACCOUNT = { email: "e2e@example.com", password: "e2e-password" };
const OWNER = { app_bundle_id: "com.example.e2e", apphud_user_id: "e2e-user" };

let sim: Simulator;
const dirs: string[] = [];
const services: ServiceProcess[] = [];

beforeAll(async () => {
  requireChromium();
  sim = await startSimulator({ port: 0, generationMs: 400, concurrency: 2 });
});
afterAll(async () => {
  await sim.stop();
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});
afterEach(async () => {
  for (const s of services.splice(0)) await s.stop("SIGKILL");
});

/** A fresh simulator with the test account, generating `concurrency` videos at once. */
async function freshEnv(concurrency = 2): Promise<Record<string, string>> {
  await reset(sim);
  await addAccount(sim, { ...ACCOUNT, concurrency });
  const dir = await mkdtemp(join(tmpdir(), "e2e-"));
  dirs.push(dir);
  return {
    DATA_DIR: dir,
    EMAIL: ACCOUNT.email,
    PASSWORD: ACCOUNT.password,
    PIXVERSE_WEB_URL: sim.url,
    PIXVERSE_API_URL: sim.url,
    RATE_LIMIT_GENERATIONS_PER_MINUTE: "1000",
    RATE_LIMIT_STATUS_PER_MINUTE: "100000",
    MAX_ACTIVE_VIDEOS_PER_USER: "1000",
    INSTANCE_ID: "e2e-instance",
    // The simulator lists a new video at once: a lost answer may be looked up after 4 s, not 20.
    RECONCILE_GRACE_SECONDS: "4",
  };
}

async function launch(env: Record<string, string>): Promise<ServiceProcess> {
  const s = await startService(env);
  services.push(s);
  return s;
}

async function text2video(s: ServiceProcess, prompt: string): Promise<number> {
  const res = await fetch(`${s.url}/text2video`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ prompt, ...OWNER }) });
  const body = await res.text();
  expect(res.status, body).toBe(200);
  return (JSON.parse(body) as { video_id: number }).video_id;
}

async function status(s: ServiceProcess, id: number): Promise<{ url?: string; status?: string }> {
  const res = await fetch(`${s.url}/get_status?${new URLSearchParams({ video_id: String(id), ...OWNER })}`);
  const body = await res.text();
  expect(res.status, body).toBe(200);
  return JSON.parse(body);
}

async function finalStatus(s: ServiceProcess, id: number, timeoutMs = 40_000) {
  return eventually(async () => {
    const st = await status(s, id);
    return st.status === "Generating" ? undefined : st;
  }, timeoutMs, `video ${id} to finish`);
}

async function simPrompts(): Promise<string[]> {
  const res = await control(sim, "/stats");
  return (res.json.prompts as { prompt: string }[]).map((p) => p.prompt);
}

describe("the service as a process", () => {
  test("a text video and an image video finish with a URL that serves an MP4", async () => {
    const s = await launch(await freshEnv());
    const textId = await text2video(s, "a lighthouse in a storm");
    const form = new FormData();
    form.append("prompt", "make the waves move");
    for (const [k, v] of Object.entries(OWNER)) form.append(k, v);
    form.append("file", new File([png(320, 200) as Uint8Array<ArrayBuffer>], "photo.jpg", { type: "image/jpeg" }));
    const res = await fetch(`${s.url}/image2video`, { method: "POST", body: form });
    expect(res.status, await res.clone().text()).toBe(200);
    const imageId = ((await res.json()) as { video_id: number }).video_id;
    for (const id of [textId, imageId]) {
      const done = await finalStatus(s, id);
      expect(done.url, JSON.stringify(done)).toBeString();
      const media = await fetch(done.url!);
      expect(media.status).toBe(200);
      const bytes = new Uint8Array(await media.arrayBuffer());
      expect(new TextDecoder().decode(bytes.subarray(4, 8))).toBe("ftyp");
    }
    // The same traffic in the service's Prometheus metrics.
    const metrics = await (await fetch(`${s.url}/metrics`)).text();
    expect(metrics).toContain('jobs_finished_total{state="succeeded"} 2');
    expect(metrics).toContain('http_requests_total{route="/text2video",method="POST",status="200"} 1');
    expect(metrics).toMatch(/pixverse_account_state\{account="e\*\*\*@example\.com",state="ready"\} 1/);
  });

  test("every simulator marker ends in its contract status", async () => {
    const s = await launch(await freshEnv());
    const cases: [string, string][] = [
      ["a cat [sim:moderation]", "Contents moderation failed"],
      ["a cat [sim:fail]", "Generation failed"],
      ["a cat [sim:blocked]", "Contents moderation failed"],
      ["a cat [sim:deleted]", "Deleted"],
      // Moderated after delivery: the output swapped for Pixverse's placeholder.
      ["a cat [sim:replaced]", "Contents moderation failed"],
      // Reported as 10 throughout: a URL from the start (404 until rendered), the answer only once rendered.
      ["a cat [sim:status10]", "url"],
    ];
    const afterDelivery = new Set(["a cat [sim:deleted]", "a cat [sim:replaced]"]);
    const ids = await Promise.all(cases.map(([p]) => text2video(s, p)));
    for (let i = 0; i < cases.length; i++) {
      // A video deleted after delivery may show its URL first; every answer must end at the expected one.
      const seen: string[] = [];
      await eventually(async () => {
        const st = await status(s, ids[i]!);
        const answer = st.url ? "url" : st.status!;
        if (answer === "url" && seen.at(-1) !== "url") expect((await fetch(st.url!)).status, `${cases[i]![0]}: its URL when first answered`).toBe(200);
        if (seen.at(-1) !== answer) seen.push(answer);
        return answer === cases[i]![1] ? true : undefined;
      }, 40_000, `${cases[i]![0]} to end as ${cases[i]![1]}`);
      const allowed = afterDelivery.has(cases[i]![0]) ? ["Generating", "url", cases[i]![1]] : ["Generating", cases[i]![1]];
      for (const a of seen) expect(allowed, `${cases[i]![0]}: ${seen.join(" → ")}`).toContain(a);
    }
  });

  test("kill -9 of the sidecar mid-run: every accepted job finishes and no prompt is submitted twice", async () => {
    const s = await launch(await freshEnv());
    const prompts = Array.from({ length: 6 }, (_, i) => `sidecar crash test ${i}`);
    const ids = [];
    for (const p of prompts) ids.push(await text2video(s, p));
    await eventually(async () => ((await simPrompts()).length >= 1 ? true : undefined), 30_000, "a first submission");
    const children = await s.childPids();
    expect(children.length).toBeGreaterThan(0);
    for (const pid of children) process.kill(pid, "SIGKILL");
    for (const id of ids) expect((await finalStatus(s, id, 60_000)).url).toBeString();
    const submitted = await simPrompts();
    expect(new Set(submitted).size).toBe(submitted.length);
    expect(submitted.sort()).toEqual([...prompts].sort());
  });

  test("kill -9 of the service mid-run: after a restart every accepted job finishes, none twice", async () => {
    const env = await freshEnv();
    const first = await launch(env);
    const prompts = Array.from({ length: 5 }, (_, i) => `service crash test ${i}`);
    const ids = [];
    for (const p of prompts) ids.push(await text2video(first, p));
    await eventually(async () => ((await simPrompts()).length >= 1 ? true : undefined), 30_000, "a first submission");
    const children = await first.childPids();
    first.proc.kill("SIGKILL");
    await first.exited;
    for (const pid of children) {
      try {
        process.kill(pid, "SIGKILL"); // an orphaned sidecar would hold the session; the OS would reap it in production
      } catch {}
    }
    const second = await launch(env);
    for (const id of ids) expect((await finalStatus(second, id, 90_000)).url).toBeString();
    const submitted = await simPrompts();
    expect(new Set(submitted).size).toBe(submitted.length);
    expect(submitted.sort()).toEqual([...prompts].sort());
  }, 120_000);

  test("SIGTERM drains and exits 0, and the restarted service still answers for old videos", async () => {
    const env = await freshEnv();
    const first = await launch(env);
    const id = await text2video(first, "graceful");
    await finalStatus(first, id);
    expect(await first.stop("SIGTERM")).toBe(0);
    expect(first.logs().some((l) => l.msg === "stopped")).toBe(true);
    const second = await launch(env);
    expect((await status(second, id)).url).toBeString();
  });

  test("SIGTERM under load: the process exits 0, and every request answered 200 is a job that finishes after a restart, once", async () => {
    // 8 at once: the 40 jobs finish in a few polls instead of twenty.
    const env = await freshEnv(8);
    const first = await launch(env);
    const prompts = Array.from({ length: 40 }, (_, i) => `under load ${i}`);
    const answers = prompts.map((prompt) =>
      fetch(`${first.url}/text2video`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ prompt, ...OWNER }) })
        .then(async (res) => (res.status === 200 ? ((await res.json()) as { video_id: number }).video_id : null))
        .catch(() => null),
    );
    await eventually(async () => (first.logs().some((l) => l.path === "/text2video") ? true : undefined), 10_000, "the first request to arrive");
    const exit = first.stop("SIGTERM");
    const accepted = (await Promise.all(answers)).filter((id): id is number => id !== null);
    expect(await exit).toBe(0);
    expect(first.logs().some((l) => l.msg === "stopped")).toBe(true);
    expect(accepted.length).toBeGreaterThan(0);
    const second = await launch(env);
    for (const id of accepted) expect((await finalStatus(second, id, 90_000)).url).toBeString();
    const submitted = await simPrompts();
    expect(new Set(submitted).size).toBe(submitted.length);
  }, 150_000);

  test("/ready names the database, the migrations and each account's state, never Pixverse's own words", async () => {
    const env = { ...(await freshEnv()), ADMIN_PASSWORD: ADMIN_PASSWORD };
    const good = await launch(env);
    const readiness = async () => {
      const res = await fetch(`${good.url}/ready`);
      return { status: res.status, body: (await res.json()) as { checks: Record<string, { ok: boolean; detail?: string }> } };
    };
    const ready = await eventually(async () => ((await readiness()).status === 200 ? (await readiness()).body : undefined), 30_000, "the service to be ready");
    expect(ready.checks.database).toEqual({ ok: true });
    expect(ready.checks.migrations?.ok).toBe(true);
    expect(ready.checks["pixverse:e***@example.com"]).toEqual({ ok: true, detail: "ready" });
    // Paused by the operator, the only account takes no job: not ready until it is resumed.
    const admin = (action: string) =>
      fetch(`${good.url}/admin/accounts/${accountKey(ACCOUNT.email)}/${action}`, {
        method: "POST",
        redirect: "manual",
        headers: { authorization: `Basic ${btoa(`admin:${ADMIN_PASSWORD}`)}`, origin: good.url },
      });
    expect((await admin("pause")).status).toBe(303);
    expect(await readiness()).toEqual({ status: 503, body: expect.objectContaining({ checks: expect.objectContaining({ "pixverse:e***@example.com": { ok: false, detail: "paused (ready)" } }) }) });
    expect((await admin("resume")).status).toBe(303);
    expect((await readiness()).status).toBe(200);
    await good.stop("SIGTERM");

    // A fresh data folder: the first service's saved session would otherwise still sign it in.
    const bad = await launch({ ...(await freshEnv()), PASSWORD: "not-the-password" });
    const refused = await eventually(async () => {
      const res = await fetch(`${bad.url}/ready`);
      const body = (await res.json()) as { checks: Record<string, { ok: boolean; detail?: string }> };
      return res.status === 503 && body.checks["pixverse:e***@example.com"]?.detail === "login_failed" ? body : undefined;
    }, 30_000, "the account to be login_failed");
    // Pixverse's refusal ("Authentication user error") goes to the log, not to /ready.
    expect(JSON.stringify(refused)).not.toMatch(/authentication|password/i);
    // Log lines are written in chunks: wait for the sidecar's line to arrive.
    await eventually(async () => (/Authentication user error/.test(JSON.stringify(bad.logs())) ? true : undefined), 5_000, "the refusal in the log");
  });

  test("each request and each job step is one JSON log line with its id, and no secret is logged", async () => {
    const s = await launch(await freshEnv());
    const id = await text2video(s, "log me");
    await finalStatus(s, id);
    // Log lines are written in chunks (every few ms); wait for the last step's line to arrive.
    await eventually(async () => (s.logs().some((l) => l.msg === "job finished" && l.job_id === id) ? true : undefined), 5_000, "the job's last log line");
    const logs = s.logs();
    expect(logs.some((l) => l.msg === "request" && typeof l.request_id === "string" && l.path === "/text2video")).toBe(true);
    for (const step of ["job claimed", "job submitted", "job finished"]) {
      expect(logs.some((l) => l.msg === step && l.job_id === id), step).toBe(true);
    }
    expect(JSON.stringify(logs)).not.toContain(ACCOUNT.password);
  });

  test("demo mode: a restart with videos in flight keeps the simulator's videos, and every one finishes", async () => {
    const dir = await mkdtemp(join(tmpdir(), "e2e-demo-"));
    dirs.push(dir);
    // No EMAIL/PASSWORD: the service starts its own simulator, which keeps its state under DATA_DIR.
    const env = { DATA_DIR: dir, SIM_GENERATION_MS: "6000", INSTANCE_ID: "e2e-demo", RATE_LIMIT_STATUS_PER_MINUTE: "100000" };
    const first = await launch(env);
    const ids = [await text2video(first, "demo restart one"), await text2video(first, "demo restart two")];
    await eventually(
      async () => (first.logs().filter((l) => l.msg === "job submitted").length === 2 ? true : undefined),
      30_000,
      "both videos submitted to the demo simulator",
    );
    const stateFile = join(dir, "simulator", "state.json");
    await eventually(
      async () => {
        const saved = await Bun.file(stateFile).text().catch(() => "");
        return saved.includes("demo restart one") && saved.includes("demo restart two") ? true : undefined;
      },
      10_000,
      "the simulator's state on disk",
    );
    const children = await first.childPids();
    await first.stop("SIGKILL");
    for (const pid of children) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {}
    }
    const simulatorUrl = (s: ServiceProcess) => s.logs().find((l) => typeof l.simulator_url === "string")?.simulator_url;
    const before = simulatorUrl(first);
    expect(before).toBeString();
    const second = await launch(env);
    // The restarted demo's simulator is back on its port, so URLs answered before the restart still load.
    expect(simulatorUrl(second)).toBe(before);
    for (const id of ids) {
      const url = (await finalStatus(second, id, 60_000)).url!;
      expect(url.startsWith(`${before}/`), url).toBe(true);
      expect((await fetch(url)).status).toBe(200);
    }
  }, 120_000);
});
