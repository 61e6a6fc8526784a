// The sidecar client's metrics, with a scripted stand-in for the sidecar process over real Bun IPC (no
// browser): restarts, and each account's state, logins and replaced sessions derived from the states the
// child pushes. Accounts appear only masked.
import { afterEach, expect, test } from "bun:test";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadConfig } from "../../src/config.ts";
import { silentLogger } from "../../src/log.ts";
import { createMetrics, type Metrics } from "../../src/metrics.ts";
import { createSidecarGenerator, type SidecarGenerator } from "../../src/sidecar/client.ts";
import { parseMetrics, samplesOf, valueOf } from "./parse.ts";

const FAKE = fileURLToPath(new URL("./fake-sidecar.ts", import.meta.url));
let generators: SidecarGenerator[] = [];
afterEach(async () => {
  await Promise.all(generators.map((g) => g.close()));
  generators = [];
});

async function eventually(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await Bun.sleep(20);
  }
}

const read = async (metrics: Metrics) => parseMetrics(await metrics.text());

test("counts a restart, logins and a replaced session, and shows each account's current state and credits masked", async () => {
  const dir = await mkdtemp(join(tmpdir(), "fake-sidecar-"));
  const metrics = createMetrics({ processMetrics: false });
  const gen = createSidecarGenerator({
    config: loadConfig({ DATA_DIR: dir }),
    logger: silentLogger,
    accounts: [{ email: "ops@example.com", password: "pw" }],
    entry: FAKE,
    restart: { initialMs: 20, maxMs: 100 },
    timeouts: { healthIntervalMs: 60_000 },
    metrics,
  });
  generators.push(gen);

  await eventually(async () => valueOf(await read(metrics), "sidecar_restarts_total") === 1);
  expect(await gen.waitUntilStarted(10_000)).toBe(true);

  const samples = await read(metrics);
  const acct = { account: "o***@example.com" };
  expect(valueOf(samples, "pixverse_logins_total", acct)).toBe(2);
  expect(valueOf(samples, "pixverse_session_replaced_total", acct)).toBe(1);
  expect(valueOf(samples, "pixverse_account_state", { ...acct, state: "ready" })).toBe(1);
  expect(valueOf(samples, "pixverse_account_state", { ...acct, state: "signed_out" })).toBe(0);
  expect(valueOf(samples, "pixverse_account_state", { ...acct, state: "signing_in" })).toBe(0);
  expect(samplesOf(samples, "pixverse_account_state").every((s) => s.labels.account === "o***@example.com")).toBe(true);
  expect(valueOf(samples, "pixverse_account_credits", acct)).toBe(480);
});
