// The headed fallback, in a real visible Chromium on a virtual display (Xvfb): when the login page asks for
// a human, the sidecar waits for a person at the open window, then carries on.
import { TEST_SETTINGS } from "../support/settings.ts";
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import type { Subprocess } from "bun";
import { startSimulator, type Simulator } from "../../src/simulator/server.ts";
import { addAccount, eventually, memoryLogger, simPost, startPool } from "./helpers.ts";

setDefaultTimeout(60_000);
const EMAIL = "headed@example.com";
const PASSWORD = "let me in";

let sim: Simulator;
let xvfb: Subprocess | undefined;
let display = "";

beforeAll(async () => {
  expect(existsSync("/usr/bin/Xvfb"), "Xvfb is missing: apt-get install xvfb (npm test installs it)").toBe(true);
  const n = 90 + Math.floor(Math.random() * 400);
  display = `:${n}`;
  xvfb = Bun.spawn(["/usr/bin/Xvfb", display, "-screen", "0", "1280x800x24", "-nolisten", "tcp"], { stdout: "ignore", stderr: "ignore" });
  await eventually(async () => (existsSync(`/tmp/.X11-unix/X${n}`) ? true : undefined), 10_000, "Xvfb to start");
  sim = await startSimulator({ port: 0, generationMs: 300 });
  await addAccount(sim, { email: EMAIL, password: PASSWORD });
});
afterAll(async () => {
  await sim?.stop();
  xvfb?.kill();
});

/** Chromium browser processes (not helpers) showing on `display`, and whether they run headless. */
async function chromiumOn(displayName: string): Promise<{ headless: boolean }[]> {
  const found: { headless: boolean }[] = [];
  for (const pid of await readdir("/proc")) {
    if (!/^\d+$/.test(pid)) continue;
    const cmd = (await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "")).split("\0");
    if (!cmd[0]?.includes("chromium") || cmd.some((a) => a.startsWith("--type="))) continue;
    const env = (await readFile(`/proc/${pid}/environ`, "utf8").catch(() => "")).split("\0");
    if (!env.includes(`DISPLAY=${displayName}`)) continue;
    found.push({ headless: cmd.some((a) => a.startsWith("--headless")) });
  }
  return found;
}

test("headed: a visible browser waits at the human check for a person, then the account is ready", async () => {
  await simPost(sim, "/human-check", { on: true });
  const { logger, lines } = memoryLogger();
  const { pool } = await startPool({ sim, email: EMAIL, password: PASSWORD, headless: false, browserEnv: { DISPLAY: display }, logger });
  try {
    const account = pool.accounts[0]!;
    await eventually(async () => (account.status().state === "needs_human" ? true : undefined), 20_000, "needs_human");
    expect(account.status().detail).toContain("open browser window");
    expect(lines().some((l) => l.msg === "login needs a person")).toBe(true);
    const browsers = await chromiumOn(display);
    expect(browsers.length).toBeGreaterThan(0);
    expect(browsers.every((b) => !b.headless)).toBe(true);
    // The person ticks the box in the window (the simulator's page reports it like a click).
    await simPost(sim, "/solve-human-check", {});
    await eventually(async () => (account.status().state === "ready" ? true : undefined), 20_000, "ready after the person");
    const answer = await pool.submit({ kind: "t2v", prompt: "made after a person signed in", settings: TEST_SETTINGS }, 20_000);
    expect(answer.ok, JSON.stringify(answer)).toBe(true);
  } finally {
    await pool.close();
  }
});
