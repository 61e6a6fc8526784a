// Shared by the sidecar tests: the simulator's control API, a configured account pool in real Chromium,
// and bounded waits. Browser tests never skip: a missing Chromium fails them.
import { expect } from "bun:test";
import { existsSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig, type Config } from "../../src/config.ts";
import { createLogger, type Logger, type LogLevel } from "../../src/log.ts";
import { DEFAULT_TUNING, type AccountTuning } from "../../src/sidecar/account.ts";
import { AccountPool } from "../../src/sidecar/pool.ts";
import { DEFAULT_CREATE_PATH } from "../../src/sidecar/pixverse.ts";
import type { SubmitMode } from "../../src/sidecar/submission.ts";
import type { AccountStatus } from "../../src/sidecar/protocol.ts";
import type { Simulator } from "../../src/simulator/server.ts";
import { control } from "../simulator/helpers.ts";

export { addAccount, control, eventually, pngHeader, reset, TINY_PNG } from "../simulator/helpers.ts";

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
/** TEST_LOG=debug shows the sidecar's logs. */
export const TEST_LOG_LEVEL = (process.env.TEST_LOG ?? "silent") as LogLevel;

/** Fails (never skips) when the browser is missing. */
export function requireChromium(): void {
  expect(existsSync(CHROMIUM), `Chromium not found at ${CHROMIUM}: install it (apt-get install chromium) or set CHROMIUM_PATH`).toBe(true);
}

export async function tempDir(prefix = "sidecar-test-"): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

export interface SimStats {
  logins: number;
  failedLogins: number;
  kicks: number;
  submissions: { t2v: number; i2v: number };
  refused: Record<string, number>;
  listCalls: number;
  detailCalls: number;
  prompts: { prompt: string; kind: string; at: string; videoId: number; email: string }[];
}

export async function stats(sim: Simulator): Promise<SimStats> {
  const res = await control(sim, "/stats");
  expect(res.status).toBe(200);
  return res.json as SimStats;
}

export async function simPost(sim: Simulator, path: string, body: unknown): Promise<void> {
  const res = await control(sim, path, body);
  expect(res.status, JSON.stringify(res.json)).toBeLessThan(300);
}

/** A log that tests can read (and print on failure). */
export function memoryLogger(): { logger: Logger; lines: () => Record<string, unknown>[] } {
  const lines: string[] = [];
  const logger = createLogger("debug", (line) => {
    lines.push(line);
    if (TEST_LOG_LEVEL !== "silent") process.stderr.write(`${line}\n`);
  });
  return { logger, lines: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

/** Short timings so that failures show quickly; cooldowns off unless a test is about them. */
export const FAST_TUNING: AccountTuning = {
  ...DEFAULT_TUNING,
  actionTimeoutMs: 5_000,
  navigationTimeoutMs: 10_000,
  uploadTimeoutMs: 10_000,
  createAnswerTimeoutMs: 10_000,
  reloginCooldownMs: 0,
  creditsRecheckMs: 0,
  signInWaitMs: 15_000,
};

export interface PoolSetup {
  sim: Simulator;
  email: string;
  password: string;
  sessionDir?: string;
  headless?: boolean;
  humanLoginTimeoutMs?: number;
  tuning?: Partial<AccountTuning>;
  browserEnv?: Record<string, string>;
  logger?: Logger;
  /** How submissions reach the simulator; default the service's (page-api). */
  submitMode?: SubmitMode;
  /** The creation page's path; default the 2026 one. */
  createPath?: string;
}

/** An in-process account pool (the sidecar's insides) against the simulator. */
export async function startPool(setup: PoolSetup): Promise<{ pool: AccountPool; sessionDir: string; states: AccountStatus[][] }> {
  requireChromium();
  const sessionDir = setup.sessionDir ?? (await tempDir());
  const states: AccountStatus[][] = [];
  const pool = await AccountPool.start(
    {
      accounts: [{ email: setup.email, password: setup.password }],
      chromiumPath: CHROMIUM,
      browserEnv: setup.browserEnv,
      account: {
        webUrl: setup.sim.url,
        apiUrl: setup.sim.url,
        sessionDir,
        headless: setup.headless ?? true,
        timezone: "UTC",
        humanLoginTimeoutMs: setup.humanLoginTimeoutMs ?? 30_000,
        fallbackConcurrency: 2,
        submitMode: setup.submitMode ?? "page-api",
        createPath: setup.createPath ?? DEFAULT_CREATE_PATH,
        tuning: { ...FAST_TUNING, ...setup.tuning },
      },
    },
    setup.logger ?? createLogger(TEST_LOG_LEVEL),
    (all) => states.push(all),
    () => undefined,
  );
  return { pool, sessionDir, states };
}

/** The service configuration for a SidecarGenerator test. */
export function testConfig(dataDir: string, env: Record<string, string> = {}): Config {
  return loadConfig({ DATA_DIR: dataDir, CHROMIUM_PATH: CHROMIUM, LOG_LEVEL: TEST_LOG_LEVEL, HUMAN_LOGIN_TIMEOUT_SECONDS: "30", ...env });
}
