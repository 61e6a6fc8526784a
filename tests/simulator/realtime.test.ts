// The simulator on the real clock, as a library and as the `bun run simulator` process.
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { startSimulator, type Simulator } from "../../src/simulator/server.ts";
import { addAccount, detail, eventually, login, reset, submitT2v } from "./helpers.ts";

let sim: Simulator;

beforeAll(async () => {
  sim = await startSimulator({ port: 0, generationMs: 1000 });
});
afterAll(async () => {
  await sim.stop();
});
beforeEach(async () => {
  await reset(sim);
});

describe("on the real clock", () => {
  test("a video goes from 9 through 5 to 1 within its generation time", async () => {
    await addAccount(sim, { email: "ann@example.com", password: "pw" });
    const token = await login(sim, "ann@example.com", "pw");
    const started = Date.now();
    const id = (await submitT2v(sim, token, "a cat")).Resp.video_id as number;
    const seen = new Set<number>();
    await eventually(
      async () => {
        const status = (await detail(sim, token, id)).Resp.video_status as number;
        seen.add(status);
        return status === 1 ? status : undefined;
      },
      5000,
      "the video to finish",
    );
    expect(seen.has(5)).toBe(true);
    // 1 s + 20 % jitter, with room for a slow machine; the 4 s default (3.2 s at the least) would blow it.
    // The 0.8 s spent generating is long enough for a 20 ms poll on a loaded CI machine to see status 5.
    expect(Date.now() - started).toBeLessThan(3000);
  });
});

describe("stop", () => {
  test("closes the port", async () => {
    const other = await startSimulator({ port: 0 });
    expect((await fetch(`${other.url}/__sim/stats`)).status).toBe(200);
    await other.stop();
    await expect(fetch(`${other.url}/__sim/stats`)).rejects.toThrow();
  });
});

describe("bun run simulator", () => {
  test("prints its URL and serves the pages there", async () => {
    const proc = Bun.spawn(["bun", "run", "simulator"], {
      cwd: `${import.meta.dir}/../..`,
      env: { ...process.env, SIM_PORT: "0", SIM_EMAIL: "demo@example.com", SIM_PASSWORD: "demo", LOG_LEVEL: "info" },
      stdout: "pipe",
      stderr: "pipe",
    });
    // Bounded: a process that prints nothing is killed, which ends its output and fails the test.
    const watchdog = setTimeout(() => proc.kill(), 10_000);
    try {
      const url = await readUrl(proc.stdout);
      expect(url, "no URL printed within 10 s").toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const page = await fetch(`${url}/onboard`);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain("Login");
      const answer = (await (
        await fetch(`${url}/creative_platform/login`, { method: "POST", body: JSON.stringify({ Username: "demo@example.com", Password: "demo" }) })
      ).json()) as { ErrCode: number };
      expect(answer.ErrCode).toBe(0);
    } finally {
      clearTimeout(watchdog);
      proc.kill();
      await proc.exited;
    }
  });
});

/** The first `url` field of the process's JSON log lines. */
async function readUrl(stream: ReadableStream<Uint8Array>): Promise<string | undefined> {
  const decoder = new TextDecoder();
  let buffered = "";
  for await (const chunk of stream) {
    buffered += decoder.decode(chunk, { stream: true });
    for (const line of buffered.split("\n")) {
      if (!line.startsWith("{")) continue;
      try {
        const entry = JSON.parse(line) as { url?: string };
        if (entry.url) return entry.url;
      } catch {
        // A line cut in the middle: wait for the rest.
      }
    }
  }
  return undefined;
}
