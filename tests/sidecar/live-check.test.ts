// `bun run pixverse:check` pointed at the simulator through PIXVERSE_WEB_URL / PIXVERSE_API_URL.
import { afterAll, beforeAll, beforeEach, expect, setDefaultTimeout, test } from "bun:test";
import { fileURLToPath } from "node:url";
import { startSimulator, type Simulator } from "../../src/simulator/server.ts";
import { addAccount, CHROMIUM, requireChromium, reset, stats, tempDir } from "./helpers.ts";

const ENTRY = fileURLToPath(new URL("../../src/sidecar/live-check.ts", import.meta.url));
let sim: Simulator;
setDefaultTimeout(90_000);

beforeAll(async () => {
  sim = await startSimulator({ port: 0, generationMs: 300 });
});
afterAll(async () => {
  await sim.stop();
});
beforeEach(async () => {
  await reset(sim);
  await addAccount(sim, { email: "operator@example.com", password: "pw" });
});

async function liveCheck(args: string[], env: Record<string, string> = {}): Promise<{ code: number; out: string; err: string }> {
  requireChromium();
  const proc = Bun.spawn({
    cmd: [process.execPath, ENTRY, ...args],
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "/tmp",
      PIXVERSE_WEB_URL: sim.url,
      PIXVERSE_API_URL: sim.url,
      EMAIL: "operator@example.com",
      PASSWORD: "pw",
      DATA_DIR: await tempDir(),
      CHROMIUM_PATH: CHROMIUM,
      ...env,
    },
    stdout: "pipe",
    stderr: "pipe",
  });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, out, err };
}

test("checks every selector and JSON field, prints credits and gen_simultaneously, and submits nothing", async () => {
  const { code, out, err } = await liveCheck([]);
  expect(code, out + err).toBe(0);
  expect(out).toContain("gen_simultaneously 2");
  expect(out).toContain("= 1000000");
  expect(out).toContain('textarea placeholder "Describe the content you want to create"');
  expect(out).toContain("All checks passed.");
  expect((await stats(sim)).submissions).toEqual({ t2v: 0, i2v: 0 });
});

test("--submit sends exactly one video and waits for its URL", async () => {
  const { code, out, err } = await liveCheck(["--submit", "a paper boat"]);
  expect(code, out + err).toBe(0);
  expect(out).toMatch(/finished: http:\/\/\S+\.mp4/);
  expect((await stats(sim)).prompts.map((p) => p.prompt)).toEqual(["a paper boat"]);
});

test("a wrong password fails the check with the reason and exit code 1", async () => {
  const { code, out } = await liveCheck([], { PASSWORD: "nope" });
  expect(code).toBe(1);
  expect(out).toContain("FAIL  signed in");
  expect(out).toContain("check EMAIL and PASSWORD");
});

test("without EMAIL and PASSWORD it explains what to set", async () => {
  const { code, out } = await liveCheck([], { EMAIL: "", PASSWORD: "" });
  expect(code).toBe(2);
  expect(out).toContain("Set EMAIL and PASSWORD");
});
