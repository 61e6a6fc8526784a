// "Retry sign-in" as the operator page's holder instance runs it: SidecarGenerator.signInAgain through the
// real sidecar process and real Chromium, against the simulator. The README's human-login steps end with it:
// a session finished headed elsewhere is copied in, and the account picks it up without a new login.
import { afterAll, afterEach, beforeAll, beforeEach, expect, setDefaultTimeout, test } from "bun:test";
import { copyFile, mkdir } from "node:fs/promises";
import { dirname } from "node:path";
import { createSidecarGenerator, type SidecarGenerator } from "../../src/sidecar/client.ts";
import { startSimulator, type Simulator } from "../../src/simulator/server.ts";
import { addAccount, control, eventually, memoryLogger, requireChromium, reset, simPost, stats, tempDir, testConfig } from "../sidecar/helpers.ts";

const EMAIL = "ops@example.com";
const PASSWORD = "pw-for-ops";

let sim: Simulator;
let generators: SidecarGenerator[] = [];
setDefaultTimeout(90_000);

beforeAll(async () => {
  sim = await startSimulator({ port: 0, generationMs: 400 });
});
afterAll(async () => {
  await sim.stop();
});
beforeEach(async () => {
  await reset(sim);
  await addAccount(sim, { email: EMAIL, password: PASSWORD });
});
afterEach(async () => {
  await Promise.all(generators.map((g) => g.close()));
  generators = [];
});

function sidecar(dataDir: string): SidecarGenerator {
  requireChromium();
  const gen = createSidecarGenerator({
    config: testConfig(dataDir),
    logger: memoryLogger().logger,
    accounts: [{ email: EMAIL, password: PASSWORD }],
    webUrl: sim.url,
    apiUrl: sim.url,
    timeouts: { healthIntervalMs: 300 },
    restart: { initialMs: 100, maxMs: 1_000 },
    tuning: { actionTimeoutMs: 5_000, navigationTimeoutMs: 10_000, reloginCooldownMs: 0, signInWaitMs: 15_000 },
  });
  generators.push(gen);
  gen.activate([EMAIL]);
  return gen;
}

async function untilState(gen: SidecarGenerator, state: string): Promise<void> {
  await eventually(async () => (gen.accountStates()[0]?.state === state ? true : undefined), 30_000, `${state} (now ${JSON.stringify(gen.accountStates())})`);
}

test("an account waiting for a person signs in from a session file copied in, without a new login; a signed-in one is left alone", async () => {
  // Somewhere else, a login that went through: its session is saved in its own data directory.
  const elsewhere = sidecar(await tempDir("admin-elsewhere-"));
  await untilState(elsewhere, "ready");
  const savedElsewhere = elsewhere.sessionFileOf(EMAIL);
  await elsewhere.close();
  expect((await stats(sim)).logins).toBe(1);

  // Here, the login page asks for a person.
  await simPost(sim, "/human-check", { on: true });
  const here = sidecar(await tempDir("admin-here-"));
  await untilState(here, "needs_human");

  // The operator copies the session in and presses "Retry sign-in".
  const target = here.sessionFileOf(EMAIL);
  expect(target).not.toBe(savedElsewhere);
  await mkdir(dirname(target), { recursive: true, mode: 0o700 });
  await copyFile(savedElsewhere, target);
  expect(await here.signInAgain(EMAIL)).toBe(true);
  await untilState(here, "ready");
  expect((await stats(sim)).logins).toBe(1);
  // Nobody solved the check: the copied session did it.
  expect((await control(sim, "/stats")).json.humanCheck).toEqual({ on: true, solved: false });

  // Signed in now: asking again restarts nothing.
  expect(await here.signInAgain(EMAIL)).toBe(false);
  expect(here.accountStates()[0]?.state).toBe("ready");
  // An account this instance does not drive: nothing is sent.
  expect(await here.signInAgain("someone-else@example.com")).toBe(false);
});
