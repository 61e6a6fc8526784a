// fly.toml against the code it deploys: the release command is the migrations entry and migrates, the stop
// signal and timeout cover the service's drain, the checks hit routes the app serves, the ports and the
// volume agree with [env], and no secret sits in [env].
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CONFIG_KEYS } from "../../src/config.ts";
import { openDatabase, type Database } from "../../src/db/client.ts";
import { DEFAULT_TIMEOUTS } from "../../src/sidecar/client.ts";
import { buildApp } from "../support/app.ts";

const ROOT = join(import.meta.dir, "..", "..");

interface Check {
  path?: string;
  method?: string;
  port?: number;
  type?: string;
}
interface FlyConfig {
  kill_signal?: string;
  kill_timeout?: number | string;
  deploy?: { release_command?: string };
  env?: Record<string, string>;
  http_service?: { internal_port?: number; checks?: Check[] };
  checks?: Record<string, Check>;
  metrics?: { port?: number; path?: string };
  mounts?: { source?: string; destination?: string } | { source?: string; destination?: string }[];
}

const fly = Bun.TOML.parse(readFileSync(join(ROOT, "fly.toml"), "utf8")) as FlyConfig;

/** Seconds from a Fly duration: a number of seconds, or "90s" / "2m". */
function seconds(value: number | string | undefined): number {
  if (typeof value === "number") return value;
  const m = /^(\d+)(s|m)$/.exec(value ?? "");
  if (!m) throw new Error(`not a duration: ${value}`);
  return Number(m[1]) * (m[2] === "m" ? 60 : 1);
}

/** The longest SIGTERM drain in the code: the dispatcher's stop, then the sidecar's shutdown and exit waits. */
function drainSeconds(): number {
  const source = readFileSync(join(ROOT, "src", "dispatcher", "dispatcher.ts"), "utf8");
  const m = /async stop\(timeoutMs = ([\d_]+)\)/.exec(source);
  if (!m) throw new Error("the dispatcher's stop timeout was not found in src/dispatcher/dispatcher.ts");
  const dispatcherMs = Number(m[1]!.replaceAll("_", ""));
  return (dispatcherMs + 2 * DEFAULT_TIMEOUTS.shutdownMs) / 1000;
}

const mounts = Array.isArray(fly.mounts) ? fly.mounts : fly.mounts ? [fly.mounts] : [];

describe("fly.toml", () => {
  test("the release command runs the migrations entry that exists in the repository", () => {
    const argv = (fly.deploy?.release_command ?? "").split(/\s+/);
    expect(argv[0]).toBe("bun");
    const script = argv[1]!;
    expect(existsSync(join(ROOT, script))).toBe(true);
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> };
    expect(pkg.scripts["db:migrate"]).toBe(`bun ${script}`);
  });

  describe("the migrations entry", () => {
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), "pixverse-migrate-"));
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    const run = (env: Record<string, string>) => {
      const script = fly.deploy!.release_command!.split(/\s+/)[1]!;
      const base = { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? dir };
      const r = Bun.spawnSync({ cmd: [process.execPath, script], cwd: ROOT, env: { ...base, ...env }, stdout: "pipe", stderr: "pipe" });
      const lines = r.stdout.toString().trim().split("\n").filter(Boolean);
      return { code: r.exitCode, lines: lines.map((l) => JSON.parse(l) as { level: string; msg: string; kind?: string }) };
    };

    test("migrates the database, says so in one JSON line and exits 0; a second run finds nothing to do", async () => {
      for (let i = 0; i < 2; i++) {
        const r = run({ DATA_DIR: dir });
        expect(r.code).toBe(0);
        expect(r.lines).toHaveLength(1);
        expect(r.lines[0]).toMatchObject({ level: "info", msg: "migrations applied", kind: "pglite" });
      }
      const database = await openDatabase({ dataDir: join(dir, "pglite") });
      try {
        const rows = await database.db.execute("select count(*)::int as n from drizzle.__drizzle_migrations");
        const n = (rows as unknown as { rows: { n: number }[] }).rows[0]!.n;
        const files = readFileSync(join(ROOT, "drizzle", "meta", "_journal.json"), "utf8");
        expect(n).toBe((JSON.parse(files) as { entries: unknown[] }).entries.length);
      } finally {
        await database.close();
      }
    });

    test("on Fly's release machine without DATABASE_URL it fails instead of migrating a throw-away PGlite", () => {
      const r = run({ DATA_DIR: dir, RELEASE_COMMAND: "1" });
      expect(r.code).toBe(1);
      expect(r.lines[0]!.msg).toContain("DATABASE_URL is not set");
    });

    test("an unreachable database is a failed release (exit 1) with the password kept out of the log", () => {
      const r = run({ DATABASE_URL: "postgres://user:s3cret-pw@127.0.0.1:1/none" });
      expect(r.code).toBe(1);
      expect(r.lines[0]).toMatchObject({ level: "error", msg: "migrations failed" });
      expect(JSON.stringify(r.lines)).not.toContain("s3cret-pw");
    });
  });

  test("Fly stops a machine with SIGTERM and waits at least as long as the service's drain", () => {
    expect(fly.kill_signal).toBe("SIGTERM");
    const drain = drainSeconds();
    expect(drain).toBeGreaterThanOrEqual(45);
    expect(seconds(fly.kill_timeout)).toBeGreaterThanOrEqual(drain);
    expect(seconds(fly.kill_timeout)).toBeLessThanOrEqual(300);
  });

  describe("checks", () => {
    let database: Database;
    beforeAll(async () => {
      database = await openDatabase({});
    });
    afterAll(() => database.close());

    test("the service check asks /health, which the app answers 200 without the browser", async () => {
      const checks = fly.http_service?.checks ?? [];
      expect(checks.map((c) => c.path)).toEqual(["/health"]);
      const { app } = buildApp(database);
      for (const c of checks) {
        const res = await app.request(c.path!, { method: c.method ?? "GET" });
        expect(res.status).toBe(200);
      }
    });

    test("readiness is a top-level check on the app's port: it is served, and it neither routes nor restarts", async () => {
      const top = Object.values(fly.checks ?? {});
      const ready = top.find((c) => c.path === "/ready");
      expect(ready).toBeDefined();
      expect(ready!.type).toBe("http");
      expect(ready!.port).toBe(Number(fly.env?.PORT));
      expect((fly.http_service?.checks ?? []).some((c) => c.path === "/ready")).toBe(false);
      const { app } = buildApp(database);
      for (const c of top) {
        const res = await app.request(c.path!, { method: c.method ?? "GET" });
        expect([200, 503]).toContain(res.status);
      }
    });
  });

  test("the service and the metrics listen on the PORT the service is given", () => {
    const port = Number(fly.env?.PORT);
    expect(port).toBeGreaterThan(0);
    expect(fly.http_service?.internal_port).toBe(port);
    expect(fly.metrics).toEqual({ port, path: "/metrics" });
  });

  test("the volume is mounted where the service keeps its data (DATA_DIR)", () => {
    expect(mounts).toHaveLength(1);
    expect(mounts[0]!.destination).toBe(fly.env?.DATA_DIR);
    expect(mounts[0]!.source).toBe("pixverse_data");
  });

  test("[env] holds only variables the service reads, and no secret", () => {
    const keys = Object.keys(fly.env ?? {});
    for (const key of keys) expect(CONFIG_KEYS).toContain(key);
    for (const secret of ["EMAIL", "PASSWORD", "DATABASE_URL"]) expect(keys).not.toContain(secret);
    expect(keys.filter((k) => /pass|secret|token|key|url/i.test(k))).toEqual([]);
  });
});
