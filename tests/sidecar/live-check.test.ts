// `bun run pixverse:check` as an operator runs it (a child process, real Chromium), pointed at the
// simulator through PIXVERSE_WEB_URL / PIXVERSE_API_URL, on both page layouts; and its fact runner alone.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseCheckArgs, UsageError } from "../../src/sidecar/check/args.ts";
import { fail, pass, runFacts, unknown, type Fact } from "../../src/sidecar/check/runner.ts";
import { startSimulator, type Simulator } from "../../src/simulator/server.ts";
import { CHROMIUM, control, requireChromium, simPost, tempDir } from "./helpers.ts";

const ENTRY = fileURLToPath(new URL("../../src/sidecar/live-check.ts", import.meta.url));
const EMAIL = "operator@example.com";
const PASSWORD = "s3cret-Pa55word";
let sim: Simulator;
setDefaultTimeout(90_000);

beforeAll(async () => {
  sim = await startSimulator({ port: 0, generationMs: 300 });
});
afterAll(async () => {
  await sim.stop();
});

/** A fresh simulator in the given layout with the operator's account. */
async function prepare(ui: "2026" | "2025" = "2026"): Promise<void> {
  const res = await control(sim, "/reset", { ui });
  expect(res.status).toBe(200);
  await simPost(sim, "/accounts", { email: EMAIL, password: PASSWORD });
}

interface Run {
  code: number;
  out: string;
  err: string;
  dataDir: string;
  /** The table's rows by fact name. */
  rows: Map<string, { status: string; saw: string }>;
}

async function liveCheck(args: string[], env: Record<string, string> = {}, cwd?: string): Promise<Run> {
  requireChromium();
  const dataDir = await tempDir("live-check-");
  const proc = Bun.spawn({
    cmd: [process.execPath, ENTRY, ...args],
    cwd,
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "/tmp",
      PIXVERSE_WEB_URL: sim.url,
      PIXVERSE_API_URL: sim.url,
      EMAIL,
      PASSWORD,
      DATA_DIR: dataDir,
      CHROMIUM_PATH: CHROMIUM,
      ...env,
    },
    stdout: "pipe",
    stderr: "pipe",
  });
  // Bounded: the script's own limits are far below this.
  const timer = setTimeout(() => proc.kill(), 80_000);
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  clearTimeout(timer);
  return { code, out, err, dataDir, rows: tableRows(out) };
}

function tableRows(out: string): Map<string, { status: string; saw: string }> {
  const rows = new Map<string, { status: string; saw: string }>();
  for (const line of out.split("\n")) {
    const m = /^(\S.*?)\s{2,}(PASS|FAIL|UNKNOWN)\s{2,}(.*)$/.exec(line);
    if (m) rows.set(m[1]!, { status: m[2]!, saw: m[3]! });
  }
  return rows;
}

function statusOf(run: Run, fact: string): string | undefined {
  return run.rows.get(fact)?.status;
}

function failed(run: Run): string[] {
  return [...run.rows].filter(([, r]) => r.status === "FAIL").map(([name]) => name);
}

/** Submissions the check made (a video started "by hand" through the control API is not one). */
async function checkSubmissions(): Promise<{ prompt: string; origin: string }[]> {
  const stats = (await control(sim, "/stats")).json as { prompts: { prompt: string; origin: string }[] };
  return stats.prompts.filter((p) => p.origin !== "manual");
}

const LOGIN_FACTS = ["login page reachable", "English", "modals on the login page", "username input", "password input", "Login button", "human check"];
const CREATION_FACTS = ["creation page", "modals on the creation page", "prompt box", "image input", "Audio switch", "Multi-Shot switch", "Create button"];
const API_FACTS = ["plan_details gen_simultaneously", "user/credits", "list/personal Resp.data"];
const ITEM_FACTS = ["list item fields", "list item creation time", "video_status values", "list/detail of the newest video"];

describe("against the simulator", () => {
  test("on the 2026 layout every fact passes, modals and the hidden prompt box are seen, and nothing is submitted", async () => {
    await prepare("2026");
    // A video the owner made by hand, so that the list's item facts have something to judge.
    await simPost(sim, "/start", { email: EMAIL, prompt: "a lighthouse at dusk" });
    await Bun.sleep(500);
    const run = await liveCheck([]);
    expect(run.code, run.out + run.err).toBe(0);
    for (const fact of [...LOGIN_FACTS, "sign-in", "token cookie", ...CREATION_FACTS, ...API_FACTS, ...ITEM_FACTS]) {
      expect(statusOf(run, fact), `${fact}\n${run.out}`).toBe("PASS");
    }
    // The simulator, like every source, shows no paging fields on the list: news if the real one does.
    expect(statusOf(run, "list/personal paging")).toBe("UNKNOWN");
    expect(run.rows.get("list/personal paging")!.saw).toContain("no paging fields");
    expect(run.rows.get("username input")!.saw).toContain('placeholder "Email or Username"');
    expect(run.rows.get("modals on the login page")!.saw).toContain("1 shown");
    expect(run.rows.get("modals on the creation page")!.saw).toContain("closed");
    expect(run.rows.get("prompt box")!.saw).toContain("2 prompt boxes on the page, 1 visible");
    expect(run.rows.get("image input")!.saw).toContain("div.ant-upload-drag");
    expect(run.rows.get("Audio switch")!.saw).toContain("is on");
    expect(run.rows.get("Create button")!.saw).toMatch(/"Create \d+"/);
    expect(run.rows.get("plan_details gen_simultaneously")!.saw).toContain("gen_simultaneously 2");
    expect(run.rows.get("user/credits")!.saw).toMatch(/= \d+/);
    expect(run.rows.get("list item creation time")!.saw).toStartWith("created_at");
    expect(run.rows.get("video_status values")!.saw).toContain("1 ×1 (succeeded)");
    expect(run.out).toContain("No fact failed.");
    expect(await checkSubmissions()).toEqual([]);
  });

  test("on the 2025 layout at /create, missing switches and modals are not failures; --json <file> writes the report there", async () => {
    await prepare("2025");
    const report = join(await tempDir("live-check-report-"), "check.json");
    const run = await liveCheck(["--json", report], { PIXVERSE_CREATE_PATH: "/create" });
    expect(run.code, run.out + run.err).toBe(0);
    expect(failed(run)).toEqual([]);
    expect(run.rows.get("username input")!.saw).toContain("id #Username");
    expect(run.rows.get("modals on the login page")!.saw).toBe("none shown");
    expect(run.rows.get("modals on the creation page")!.saw).toBe("none shown");
    expect(run.rows.get("image input")!.saw).toContain('behind the "Image to Video" tab');
    expect(statusOf(run, "Audio switch")).toBe("UNKNOWN");
    expect(statusOf(run, "Multi-Shot switch")).toBe("UNKNOWN");
    expect(statusOf(run, "Create button")).toBe("PASS");
    // A new account has no videos: the item facts cannot be judged.
    for (const fact of ITEM_FACTS) expect(statusOf(run, fact)).toBe("UNKNOWN");
    const json = JSON.parse(await readFile(report, "utf8"));
    expect(json.createPath).toBe("/create");
    expect(json.layoutHints.layout).toStartWith("2025");
  });

  test("a renamed Create button on the 2026 page fails exactly that fact, the others still pass, and the exit code is 1", async () => {
    await prepare("2026");
    await simPost(sim, "/labels", { labels: { create: "Generate" } });
    const run = await liveCheck([]);
    expect(run.code, run.out + run.err).toBe(1);
    expect(failed(run)).toEqual(["Create button"]);
    expect(run.rows.get("Create button")!.saw).toContain('"Generate');
    for (const fact of [...LOGIN_FACTS, "sign-in", ...CREATION_FACTS.filter((f) => f !== "Create button")]) expect(statusOf(run, fact), fact).toBe("PASS");
    expect(run.out).toContain("Failed: Create button.");
  });

  test("a renamed prompt placeholder fails the prompt box fact by name", async () => {
    await prepare("2026");
    await simPost(sim, "/labels", { labels: { promptPlaceholder: "Type your idea" } });
    const run = await liveCheck([]);
    expect(run.code, run.out + run.err).toBe(1);
    expect(failed(run)).toEqual(["prompt box"]);
    expect(run.rows.get("prompt box")!.saw).toContain('"Type your idea"');
  });

  for (const mode of ["page-api", "ui"] as const) {
    test(`--submit through the ${mode} path creates exactly one video and reports it finished`, async () => {
      await prepare("2026");
      const run = await liveCheck(["--submit", "a paper boat", "--submit-wait", "60"], { PIXVERSE_SUBMIT: mode });
      expect(run.code, run.out + run.err).toBe(0);
      const submitted = await checkSubmissions();
      expect(submitted.map((p) => p.prompt)).toEqual(["a paper boat"]);
      expect(submitted[0]!.origin).toBe(mode === "ui" ? "ui" : "page");
      expect(run.rows.get(`submit one video (${mode})`)!.saw).toMatch(/^video_id \d+; .*expected 20 credits/);
      expect(statusOf(run, "video finished")).toBe("PASS");
      expect(run.rows.get("video finished")!.saw).toMatch(/finished in .*: http:\/\/\S+\.mp4/);
      // The list facts run after the video, so that a new account has an item to judge.
      for (const fact of ITEM_FACTS) expect(statusOf(run, fact), fact).toBe("PASS");
    });
  }

  test("--json alone writes pixverse-check-<time>.json in the current directory, parseable and without password or token", async () => {
    await prepare("2026");
    const cwd = await tempDir("live-check-cwd-");
    const run = await liveCheck(["--json"], {}, cwd);
    expect(run.code, run.out + run.err).toBe(0);
    const files = (await readdir(cwd)).filter((f) => /^pixverse-check-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ\.json$/.test(f));
    expect(files).toHaveLength(1);
    const text = await readFile(join(cwd, files[0]!), "utf8");
    const report = JSON.parse(text);
    expect(Object.keys(report)).toEqual(expect.arrayContaining(["startedAt", "webUrl", "apiUrl", "submitMode", "createPath", "layoutHints", "results"]));
    expect(report.submitMode).toBe("page-api");
    expect(report.createPath).toBe("/creation/video");
    expect(report.layoutHints.layout).toStartWith("2026");
    expect(report.results.find((r: { fact: string }) => r.fact === "Create button")).toMatchObject({ status: "PASS" });
    for (const r of report.results) expect(typeof r.ms).toBe("number");
    // The token the check signed in with is in the saved session; it must not be in the report or the table.
    const sessionDir = join(run.dataDir, "session");
    const [session] = await readdir(sessionDir);
    const state = JSON.parse(await readFile(join(sessionDir, session!), "utf8")) as { cookies: { name: string; value: string }[] };
    const token = state.cookies.find((c) => c.name === "_ai_token")!.value;
    expect(token.length).toBeGreaterThan(8);
    for (const output of [text, run.out, run.err]) {
      expect(output).not.toContain(token);
      expect(output).not.toContain(PASSWORD);
    }
    expect(text).not.toContain(EMAIL);
  });

  test("a second run reuses the saved session instead of logging in again", async () => {
    await prepare("2026");
    const first = await liveCheck([]);
    expect(first.code, first.out + first.err).toBe(0);
    const logins = ((await control(sim, "/stats")).json as { logins: number }).logins;
    const second = await liveCheck([], { DATA_DIR: first.dataDir });
    expect(second.code, second.out + second.err).toBe(0);
    expect(second.rows.get("sign-in")!.saw).toContain("saved session reused");
    expect(((await control(sim, "/stats")).json as { logins: number }).logins).toBe(logins);
  });

  test("a wrong password fails sign-in with the reason; the facts that need it are UNKNOWN and the login page facts still pass", async () => {
    await prepare("2026");
    const run = await liveCheck([], { PASSWORD: "nope-wrong" });
    expect(run.code).toBe(1);
    expect(failed(run)).toEqual(["sign-in"]);
    expect(run.rows.get("sign-in")!.saw).toContain("check EMAIL and PASSWORD");
    for (const fact of LOGIN_FACTS) expect(statusOf(run, fact), fact).toBe("PASS");
    for (const fact of ["token cookie", "creation page", "prompt box", "user/credits", "list item fields"]) {
      expect(statusOf(run, fact), fact).toBe("UNKNOWN");
    }
    expect(run.rows.get("creation page")!.saw).toContain('needs "sign-in"');
  });
});

describe("without a usable configuration or command line", () => {
  test("without EMAIL and PASSWORD it explains what to set and exits 2", async () => {
    const run = await liveCheck([], { EMAIL: "", PASSWORD: "" });
    expect(run.code).toBe(2);
    expect(run.out).toContain("Set EMAIL and PASSWORD");
  });

  test("an unknown argument prints the usage and exits 2", async () => {
    const run = await liveCheck(["--sumbit"]);
    expect(run.code).toBe(2);
    expect(run.out).toContain("unknown argument");
    expect(run.out).toContain("usage: bun run pixverse:check");
  });

  test("--submit and --json take an optional value", () => {
    const now = new Date("2026-11-30T12:34:56.789Z");
    expect(parseCheckArgs(["--submit"], now)).toMatchObject({ submit: expect.any(String), json: null });
    expect(parseCheckArgs(["--submit", "a kite", "--json"], now)).toMatchObject({ submit: "a kite", json: "pixverse-check-2026-11-30T12-34-56Z.json" });
    expect(parseCheckArgs(["--json", "--submit"], now)).toMatchObject({ json: "pixverse-check-2026-11-30T12-34-56Z.json", submit: expect.any(String) });
    expect(parseCheckArgs(["--json=out.json", "--submit=a kite", "--submit-wait", "30"], now)).toMatchObject({ json: "out.json", submit: "a kite", submitWaitMs: 30_000 });
    expect(() => parseCheckArgs(["--submit-wait", "soon"], now)).toThrow(UsageError);
  });
});

describe("the fact runner", () => {
  test("a fact that throws or hangs fails alone, the next still runs, and a fact needing a failed one is UNKNOWN", async () => {
    const facts: Fact<null>[] = [
      { id: "a", name: "throws", timeoutMs: 1_000, run: async () => Promise.reject(new Error("boom")) },
      { id: "b", name: "hangs", timeoutMs: 200, run: () => new Promise(() => undefined) },
      { id: "c", name: "needs a", needs: ["a"], timeoutMs: 1_000, run: async () => pass("never") },
      { id: "d", name: "fine", timeoutMs: 1_000, run: async () => pass("ok\n  on two lines") },
      { id: "e", name: "no data", timeoutMs: 1_000, run: async () => unknown("nothing to look at") },
      { id: "f", name: "needs d", needs: ["d"], timeoutMs: 1_000, run: async () => fail("broken") },
    ];
    const results = await runFacts(facts, null);
    expect(results.map((r) => [r.fact, r.status, r.saw])).toEqual([
      ["throws", "FAIL", "boom"],
      ["hangs", "FAIL", "no verdict within 0.2 s"],
      ["needs a", "UNKNOWN", 'needs "throws", which is FAIL'],
      ["fine", "PASS", "ok on two lines"],
      ["no data", "UNKNOWN", "nothing to look at"],
      ["needs d", "FAIL", "broken"],
    ]);
  });
});
