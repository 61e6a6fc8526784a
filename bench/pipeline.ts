// Benchmark of the whole pipeline against the simulator: the real service process, its sidecar and real
// Chromium. Prints figures; asserts nothing. Run: `bun bench/pipeline.ts` (env knobs below); the submission
// path is the service's default (page-api) unless PIXVERSE_SUBMIT=ui.
//
//  A. utilisation: N jobs queued at once, concurrency C, generation time T → Pixverse slots busy while work
//     waits, and ideal makespan ⌈N/C⌉·T ÷ measured.                       target ≥ 95 %
//  B. accept → submit latency with a slot free (time from our 200 to Pixverse receiving the job)
//                                                                          target p50 ≤ 150 ms, p99 ≤ 1 s
//  C. Pixverse done → get_status shows the URL                             target p95 ≤ 3 s
//  D. sidecar + Chromium RSS after 100 jobs and after RSS_JOBS jobs        target within 10 %
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startSimulator, type Simulator } from "../src/simulator/server.ts";
import { startService, type ServiceProcess } from "../tests/support/service-process.ts";

const env = (k: string, d: number) => Number(process.env[k] ?? d);
const C = env("PIPELINE_CONCURRENCY", 4);
const T = env("PIPELINE_GENERATION_MS", 15_000);
const N = env("PIPELINE_JOBS", 24);
const LATENCY_JOBS = env("LATENCY_JOBS", 40);
const RSS_JOBS = env("RSS_JOBS", 1000);
const ACCOUNT = { email: "bench@example.com", password: "bench-password" };
const APP = "com.example.bench";
const SUBMIT = process.env.PIXVERSE_SUBMIT === "ui" ? "ui" : "page-api";

const out = (s: string) => process.stdout.write(`${s}\n`);
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function withService<T>(sim: Simulator, concurrency: number, run: (s: ServiceProcess) => Promise<T>): Promise<T> {
  await fetch(`${sim.url}/__sim/reset`, { method: "POST" });
  await fetch(`${sim.url}/__sim/accounts`, { method: "POST", body: JSON.stringify({ ...ACCOUNT, concurrency }), headers: { "content-type": "application/json" } });
  const dir = await mkdtemp(join(tmpdir(), "bench-pipeline-"));
  const service = await startService({
    DATA_DIR: dir,
    EMAIL: ACCOUNT.email,
    PASSWORD: ACCOUNT.password,
    PIXVERSE_WEB_URL: sim.url,
    PIXVERSE_API_URL: sim.url,
    RATE_LIMIT_GENERATIONS_PER_MINUTE: "1000000",
    RATE_LIMIT_STATUS_PER_MINUTE: "100000000",
    MAX_ACTIVE_VIDEOS_PER_USER: "1000000",
    MAX_QUEUE_DEPTH: "1000000",
    LOG_LEVEL: "info",
    PIXVERSE_SUBMIT: SUBMIT,
    ...(process.env.DATABASE_URL ? { DATABASE_URL: process.env.DATABASE_URL } : {}),
  });
  try {
    await waitReady(service);
    return await run(service);
  } finally {
    await service.stop("SIGTERM");
    await rm(dir, { recursive: true, force: true });
  }
}

async function waitReady(s: ServiceProcess): Promise<void> {
  const until = Date.now() + 60_000;
  while (Date.now() < until) {
    const r = await fetch(`${s.url}/ready`).catch(() => null);
    if (r?.status === 200) return;
    await sleep(200);
  }
  throw new Error("service not ready in 60 s");
}

async function create(s: ServiceProcess, prompt: string, user: string): Promise<{ id: number; acceptedAt: number }> {
  const res = await fetch(`${s.url}/text2video`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ prompt, app_bundle_id: APP, apphud_user_id: user }),
  });
  if (res.status !== 200) throw new Error(`text2video ${res.status}: ${await res.text()}`);
  return { id: ((await res.json()) as { video_id: number }).video_id, acceptedAt: Date.now() };
}

/** Poll get_status every 50 ms until the URL shows; returns when it was first seen. */
async function urlSeenAt(s: ServiceProcess, id: number, user: string, timeoutMs: number): Promise<number> {
  const q = new URLSearchParams({ video_id: String(id), app_bundle_id: APP, apphud_user_id: user });
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const body = (await (await fetch(`${s.url}/get_status?${q}`)).json()) as { url?: string; status?: string };
    if (body.url) return Date.now();
    if (body.status && body.status !== "Generating") throw new Error(`video ${id} ended as ${body.status}`);
    await sleep(50);
  }
  throw new Error(`video ${id} not done in ${timeoutMs} ms`);
}

function simVideos(sim: Simulator) {
  const account = sim.state.accounts.find(ACCOUNT.email);
  if (!account) throw new Error("bench account missing");
  return account.videos;
}

async function utilisation(sim: Simulator): Promise<void> {
  await withService(sim, C, async (s) => {
    const jobs = await Promise.all(Array.from({ length: N }, (_, i) => create(s, `utilisation ${i}`, `u${i}`)));
    const seen = await Promise.all(jobs.map((j, i) => urlSeenAt(s, j.id, `u${i}`, N * T * 2 + 60_000)));
    const videos = simVideos(sim);
    const first = Math.min(...videos.map((v) => v.createdAt));
    const lastSubmit = Math.max(...videos.map((v) => v.createdAt));
    const last = Math.max(...videos.map((v) => v.finishAt));
    // Work waits from the first submission until the last job is submitted; count slot time busy in that window.
    const busyWhileWaiting = videos.reduce((n, v) => n + Math.max(0, Math.min(v.finishAt, lastSubmit) - v.createdAt), 0);
    const ideal = Math.ceil(N / C) * T;
    const measured = last - first;
    const endToEnd = Math.max(...seen) - Math.min(...jobs.map((j) => j.acceptedAt));
    out(`A. utilisation  N=${N} C=${C} T=${T} ms (simulator jitter 0: every generation takes exactly T)`);
    out(`   slots busy while work waited: ${((100 * busyWhileWaiting) / (C * (lastSubmit - first))).toFixed(1)} %   (target ≥ 95 %)`);
    out(`   ideal makespan ⌈N/C⌉·T ÷ measured: ${(ideal / 1000).toFixed(1)} s ÷ ${(measured / 1000).toFixed(1)} s = ${((100 * ideal) / measured).toFixed(1)} %   (target ≥ 95 %)`);
    out(`   first accept → last URL visible: ${(endToEnd / 1000).toFixed(1)} s;  submissions ${videos.length} (no duplicates: ${new Set(videos.map((v) => v.prompt)).size === videos.length})`);
  });
}

async function latency(sim: Simulator): Promise<void> {
  await withService(sim, 16, async (s) => {
    const accepted: { id: number; acceptedAt: number; user: string; prompt: string }[] = [];
    const watching: Promise<number>[] = [];
    for (let i = 0; i < LATENCY_JOBS; i++) {
      const user = `l${i}`;
      const prompt = `latency ${i}`;
      const job = await create(s, prompt, user);
      accepted.push({ ...job, user, prompt });
      watching.push(urlSeenAt(s, job.id, user, 60_000)); // a client polling from the moment it has the id
      await sleep(250); // one at a time, slots free
    }
    const seen = await Promise.all(watching);
    const byPrompt = new Map(simVideos(sim).map((v) => [v.prompt, v]));
    const submit = accepted.map((a) => byPrompt.get(a.prompt)!.createdAt - a.acceptedAt);
    const visible = accepted.map((a, i) => seen[i]! - byPrompt.get(a.prompt)!.finishAt);
    out(`B. accept → submit (slot free, ${LATENCY_JOBS} jobs): p50 ${pct(submit, 50)} ms, p99 ${pct(submit, 99)} ms, max ${Math.max(...submit)} ms   (target p50 ≤ 150, p99 ≤ 1000)`);
    out(`C. Pixverse done → URL in get_status: p50 ${pct(visible, 50)} ms, p95 ${pct(visible, 95)} ms, max ${Math.max(...visible)} ms   (target p95 ≤ 3000)`);
    const finishedAt = new Map(s.logs().filter((l) => l.msg === "job finished").map((l) => [Number(l.job_id), Date.parse(String(l.time))]));
    const recorded = accepted.map((a) => finishedAt.get(a.id)! - byPrompt.get(a.prompt)!.finishAt);
    out(`   of which Pixverse done → job recorded finished: p50 ${pct(recorded, 50)} ms, p95 ${pct(recorded, 95)} ms`);
  });
}

/** RSS (kB) of a process and all its descendants. */
async function treeRssKb(root: number): Promise<number> {
  const parents = new Map<number, number>();
  for (const name of await readdir("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const stat = await readFile(`/proc/${name}/stat`, "utf8").catch(() => "");
    const m = /\) \S (\d+)/.exec(stat);
    if (m) parents.set(Number(name), Number(m[1]));
  }
  const tree = new Set([root]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [pid, ppid] of parents) if (tree.has(ppid) && !tree.has(pid)) (tree.add(pid), (grew = true));
  }
  let kb = 0;
  for (const pid of tree) {
    const status = await readFile(`/proc/${pid}/status`, "utf8").catch(() => "");
    kb += Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  }
  return kb;
}

async function memory(sim: Simulator): Promise<void> {
  await withService(sim, 8, async (s) => {
    const [sidecar] = await s.childPids();
    if (!sidecar) throw new Error("no sidecar process");
    let done = 0;
    let at100 = 0;
    const users = 50;
    const started = Date.now();
    const batch = 50;
    for (let start = 0; start < RSS_JOBS; start += batch) {
      const jobs = await Promise.all(
        Array.from({ length: Math.min(batch, RSS_JOBS - start) }, (_, k) => create(s, `memory ${start + k}`, `m${(start + k) % users}`)),
      );
      await Promise.all(jobs.map((j, k) => urlSeenAt(s, j.id, `m${(start + k) % users}`, 600_000)));
      done += jobs.length;
      if (done >= 100 && at100 === 0) at100 = await treeRssKb(sidecar);
    }
    const atEnd = await treeRssKb(sidecar);
    out(`D. sidecar + Chromium RSS: after 100 jobs ${(at100 / 1024).toFixed(0)} MB, after ${done} jobs ${(atEnd / 1024).toFixed(0)} MB → ${(((atEnd - at100) / at100) * 100).toFixed(1)} %   (target within ±10 %)  [${((Date.now() - started) / 1000).toFixed(0)} s]`);
  });
}

async function phase(generationMs: number, concurrency: number, run: (sim: Simulator) => Promise<void>, jitter = 0.2): Promise<void> {
  const sim = await startSimulator({ port: 0, generationMs, concurrency, jitter });
  try {
    await run(sim);
  } finally {
    await sim.stop();
  }
}

out(`pipeline benchmark — ${new Date().toISOString()}, ${navigator.hardwareConcurrency} cores, database: ${process.env.DATABASE_URL ? "PostgreSQL" : "PGlite"}, submission path: ${SUBMIT}`);
const only = process.env.ONLY ?? "ABCD";
if (only.includes("A")) await phase(T, C, utilisation, 0);
if (only.includes("B") || only.includes("C")) await phase(1000, 16, latency);
if (only.includes("D")) await phase(200, 8, memory);
