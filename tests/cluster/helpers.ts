// Shared by the cluster tests (issue 11): several real service processes (src/main.ts) on one real PostgreSQL
// database of their own, one simulated Pixverse account, and the means to kill, stop and cut them.
// PostgreSQL only: these tests run when TEST_DATABASE_URL is set (CI always sets it), like every other test
// that needs the real server.
import { expect } from "bun:test";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { startSimulator, type Simulator } from "../../src/simulator/server.ts";
import { addAccount, control } from "../simulator/helpers.ts";
import { requireChromium } from "../sidecar/helpers.ts";
import { startService, type ServiceProcess } from "../support/service-process.ts";
import { cuttableProxy, type CuttableProxy } from "../support/tcp-proxy.ts";

export const POSTGRES_URL = process.env.TEST_DATABASE_URL;

export const ACCOUNT = { email: "cluster@example.com", password: "cluster-password" };

export type Owner = { app_bundle_id: string; apphud_user_id: string };

let users = 0;
/** A user no other test (or run) shares, so per-user limits and rows never mix. */
export function uniqueOwner(tag = "user"): Owner {
  users += 1;
  return { app_bundle_id: "com.example.cluster", apphud_user_id: `${tag}-${process.pid}-${users}-${Math.random().toString(36).slice(2, 8)}` };
}

/** Poll `probe` every `intervalMs` until it returns a value; a bounded wait that names what it waited for. */
export async function waitFor<T>(probe: () => Promise<T | undefined>, timeoutMs: number, what: string, intervalMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await Bun.sleep(intervalMs);
  }
}

// ---- The database: one fresh database per test on the TEST_DATABASE_URL server. ----

async function admin(sqlText: string): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES_URL! });
  await client.connect();
  try {
    await client.query(sqlText);
  } finally {
    await client.end();
  }
}

export interface ClusterDatabase {
  name: string;
  /** A URL straight to the server (services may be given a proxy's instead). */
  url: string;
  /** A query on a connection of the test's own, never through a proxy: what is really stored. */
  query<R extends Record<string, unknown> = Record<string, any>>(text: string, params?: unknown[]): Promise<R[]>;
  drop(): Promise<void>;
}

export async function clusterDatabase(): Promise<ClusterDatabase> {
  const name = `cluster_${Math.random().toString(36).slice(2, 12)}`;
  await admin(`create database ${name}`);
  const url = new URL(POSTGRES_URL!);
  url.pathname = `/${name}`;
  const pool = new pg.Pool({ connectionString: url.toString(), max: 2 });
  pool.on("error", () => {}); // a connection dropped by `drop (force)` is expected
  return {
    name,
    url: url.toString(),
    async query(text, params) {
      return (await pool.query(text, params)).rows;
    },
    async drop() {
      await pool.end().catch(() => {});
      await admin(`drop database if exists ${name} with (force)`);
    },
  };
}

/** The account lease rows (issue 11: one row per Pixverse account, naming the instance that drives it). */
export async function leases(db: ClusterDatabase): Promise<{ account: string; holder: string; acquired_at: Date; expires_at: Date; live: boolean }[]> {
  return db.query("select account, holder, acquired_at, expires_at, expires_at > now() as live from account_leases order by account");
}

/** The instance holding the one account's lease, once some instance holds it. */
export async function leaseHolder(db: ClusterDatabase, timeoutMs: number): Promise<{ holder: string; acquired_at: Date; expires_at: Date }> {
  return waitFor(
    async () => {
      const rows = await leases(db);
      expect(rows.length, `one account, so at most one lease row: ${JSON.stringify(rows)}`).toBeLessThanOrEqual(1);
      return rows[0]?.live ? rows[0] : undefined;
    },
    timeoutMs,
    "an instance to hold the account's lease (a live row in account_leases)",
  );
}

// ---- Processes. ----

/** Every descendant of `pid` (the sidecar, Chromium and its helpers), each parent before its children. */
export async function descendants(pid: number): Promise<number[]> {
  const out = await Bun.$`pgrep -P ${pid}`.nothrow().quiet().text();
  const children = out.split("\n").filter(Boolean).map(Number);
  const all: number[] = [];
  for (const child of children) all.push(child, ...(await descendants(child)));
  return all;
}

/** kill -9 of the whole instance, as when its machine dies: the service, its sidecar and its browser. */
export async function killTree(s: ServiceProcess): Promise<void> {
  const tree = await descendants(s.pid);
  if (s.proc.exitCode === null && s.proc.signalCode === null) s.proc.kill("SIGKILL");
  for (const pid of tree) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {}
  }
  await s.exited;
}

/** Everything a test starts, torn down (SIGKILL, drop) in afterEach whatever the test's outcome. */
export class Cluster {
  private services: ServiceProcess[] = [];
  private sims: Simulator[] = [];
  private proxies: CuttableProxy[] = [];
  private databases: ClusterDatabase[] = [];
  private dirs: string[] = [];
  private extra: (() => Promise<void>)[] = [];

  /** Anything else to undo after the test (a proxy of another kind, …). */
  onCleanup(fn: () => Promise<void>): void {
    this.extra.push(fn);
  }

  async database(): Promise<ClusterDatabase> {
    const db = await clusterDatabase();
    this.databases.push(db);
    return db;
  }

  /** A standalone simulator in this test process with the one account, `concurrency` generations at once. */
  async simulator(o: { generationMs: number; concurrency: number }): Promise<Simulator> {
    requireChromium();
    const sim = await startSimulator({ port: 0, generationMs: o.generationMs, concurrency: o.concurrency });
    this.sims.push(sim);
    await addAccount(sim, { ...ACCOUNT, concurrency: o.concurrency });
    return sim;
  }

  proxy(target: string): CuttableProxy {
    const u = new URL(target);
    const p = cuttableProxy({ host: u.hostname, port: Number(u.port || 5432) });
    this.proxies.push(p);
    return p;
  }

  /**
   * One instance: its own INSTANCE_ID, data folder (saved browser session) and port, on `databaseUrl`;
   * driving the simulator's account when `sim` is given (through `pixverseUrl`, a proxy in front of it, when
   * given), else API only (GENERATOR=none). Limits are generous
   * unless `env` says otherwise.
   */
  async start(o: { instance: string; databaseUrl: string; sim?: Simulator; pixverseUrl?: string; env?: Record<string, string> }): Promise<ServiceProcess> {
    const dir = await mkdtemp(join(tmpdir(), `cluster-${o.instance}-`));
    this.dirs.push(dir);
    const env: Record<string, string> = {
      DATABASE_URL: o.databaseUrl,
      DATA_DIR: dir,
      INSTANCE_ID: o.instance,
      RATE_LIMIT_GENERATIONS_PER_MINUTE: "100000",
      RATE_LIMIT_STATUS_PER_MINUTE: "100000",
      MAX_ACTIVE_VIDEOS_PER_USER: "100000",
      // The simulator lists a new video at once: a lost answer may be looked up after 4 s, not 20.
      RECONCILE_GRACE_SECONDS: "4",
      ...(o.sim
        ? { EMAIL: ACCOUNT.email, PASSWORD: ACCOUNT.password, PIXVERSE_WEB_URL: o.pixverseUrl ?? o.sim.url, PIXVERSE_API_URL: o.pixverseUrl ?? o.sim.url }
        : { GENERATOR: "none" }),
      ...o.env,
    };
    const s = await startService(env);
    this.services.push(s);
    return s;
  }

  async cleanup(): Promise<void> {
    for (const s of this.services.splice(0)) await killTree(s).catch(() => {});
    for (const p of this.proxies.splice(0)) await p.cut().catch(() => {});
    for (const fn of this.extra.splice(0)) await fn().catch(() => {});
    for (const sim of this.sims.splice(0)) await sim.stop().catch(() => {});
    for (const db of this.databases.splice(0)) await db.drop().catch(() => {});
    for (const d of this.dirs.splice(0)) await rm(d, { recursive: true, force: true }).catch(() => {});
  }
}

// ---- The simulator's counters (/__sim/stats). ----

export interface SimCounters {
  logins: number;
  failedLogins: number;
  kicks: number;
  /** Every generation the account received, in order. */
  prompts: { prompt: string; email: string; videoId: number }[];
}

export async function simStats(sim: Simulator): Promise<SimCounters> {
  const res = await control(sim, "/stats");
  expect(res.status).toBe(200);
  return res.json as SimCounters;
}

/** Each prompt exactly once at the simulator, and nothing else. */
export function expectEachSubmittedOnce(submitted: string[], prompts: string[]): void {
  const counts = new Map<string, number>();
  for (const p of submitted) counts.set(p, (counts.get(p) ?? 0) + 1);
  const twice = [...counts].filter(([, n]) => n > 1).map(([p, n]) => `${p} ×${n}`);
  expect(twice, "prompts submitted to Pixverse more than once").toEqual([]);
  expect([...submitted].sort()).toEqual([...prompts].sort());
}

// ---- The API, as a client uses it. ----

export function postText2video(s: ServiceProcess, owner: Owner, prompt: string): Promise<Response> {
  return fetch(`${s.url}/text2video`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ prompt, ...owner }),
  });
}

export async function text2video(s: ServiceProcess, owner: Owner, prompt: string): Promise<number> {
  const res = await postText2video(s, owner, prompt);
  const body = await res.text();
  expect(res.status, `POST /text2video on ${s.url}: ${body}`).toBe(200);
  return (JSON.parse(body) as { video_id: number }).video_id;
}

export function getStatus(s: ServiceProcess, owner: Owner, id: number): Promise<Response> {
  return fetch(`${s.url}/get_status?${new URLSearchParams({ video_id: String(id), ...owner })}`);
}

export async function status(s: ServiceProcess, owner: Owner, id: number): Promise<{ url?: string; status?: string }> {
  const res = await getStatus(s, owner, id);
  const body = await res.text();
  expect(res.status, `GET /get_status of ${id} on ${s.url}: ${body}`).toBe(200);
  return JSON.parse(body);
}

/** Wait until every video is final, then return each one's answer (in the order of `ids`). */
export async function finalStatuses(s: ServiceProcess, owner: Owner, ids: number[], timeoutMs: number): Promise<{ url?: string; status?: string }[]> {
  const answers = new Map<number, { url?: string; status?: string }>();
  await waitFor(
    async () => {
      for (const id of ids) {
        if (answers.has(id)) continue;
        const st = await status(s, owner, id);
        if (st.status !== "Generating") answers.set(id, st);
      }
      return answers.size === ids.length ? true : undefined;
    },
    timeoutMs,
    `${ids.length} videos to finish`,
    250,
  ).catch((e) => {
    throw new Error(`${(e as Error).message}; still Generating: ${ids.filter((id) => !answers.has(id)).join(", ")}`);
  });
  return ids.map((id) => answers.get(id)!);
}

export async function ready(s: ServiceProcess): Promise<{ status: number; body: { ready: boolean; checks: Record<string, { ok: boolean; detail?: string }> } }> {
  const res = await fetch(`${s.url}/ready`);
  return { status: res.status, body: await res.json() };
}

/** Request log lines answered with a server error other than the database's 503. */
export function serverErrors(s: ServiceProcess): Record<string, unknown>[] {
  return s.logs().filter((l) => l.msg === "request" && typeof l.status === "number" && l.status >= 500 && l.status !== 503);
}

// ---- Failure context: what the cluster looked like when a wait ran out. ----

/** The lease rows, the jobs by state, and each instance's last warnings and errors, as one string. */
export async function clusterState(db: ClusterDatabase, services: Record<string, ServiceProcess>, sim?: Simulator): Promise<string> {
  const parts: string[] = [];
  if (sim) {
    const st = await simStats(sim).catch(() => null);
    if (st) parts.push(`simulator: ${st.logins} sign-ins, ${st.kicks} kicks, ${st.prompts.length} submissions`);
  }
  try {
    parts.push(`leases: ${JSON.stringify(await leases(db))}`);
    parts.push(`jobs: ${JSON.stringify(await db.query("select state, lock_owner, count(*)::int as n from videos group by 1, 2 order by 1, 2"))}`);
  } catch (e) {
    parts.push(`database: ${String(e)}`);
  }
  for (const [name, s] of Object.entries(services)) {
    const notable = s
      .logs()
      .filter((l) => l.level === "warn" || l.level === "error" || /lease|sign|login|activ/i.test(String(l.msg)))
      .slice(-12)
      .map((l) => JSON.stringify(l).slice(0, 400));
    parts.push(`${name} (exit ${s.proc.exitCode ?? s.proc.signalCode ?? "running"}):\n  ${notable.join("\n  ")}`);
  }
  return parts.join("\n");
}

/** `work`, with the cluster's state added to its error when it fails. */
export async function explained<T>(work: Promise<T>, db: ClusterDatabase, services: Record<string, ServiceProcess>, sim?: Simulator): Promise<T> {
  try {
    return await work;
  } catch (e) {
    const err = e instanceof Error ? e : new Error(String(e));
    err.message = `${err.message}\n--- cluster state ---\n${await clusterState(db, services, sim)}`;
    throw err;
  }
}
