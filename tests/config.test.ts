import { expect, test } from "bun:test";
import { ConfigError, loadConfig } from "../src/config.ts";

test("defaults give demo mode on embedded PGlite with the documented limits", () => {
  const c = loadConfig({});
  expect(c.demo).toBe(true);
  expect(c.DATABASE_URL).toBeUndefined();
  expect(c.PORT).toBe(3000);
  expect(c.DATA_DIR).toBe("./data");
  expect(c.HEADLESS).toBe(true);
  expect([c.RATE_LIMIT_GENERATIONS_PER_MINUTE, c.RATE_LIMIT_STATUS_PER_MINUTE, c.MAX_ACTIVE_VIDEOS_PER_USER, c.MAX_QUEUE_DEPTH, c.JOB_DEADLINE_MINUTES]).toEqual([10, 120, 10, 1000, 30]);
});

test("credentials turn demo mode off", () => {
  expect(loadConfig({ EMAIL: "a@b.c", PASSWORD: "pw" }).demo).toBe(false);
});

test("a bad value is reported by variable name, never by value", () => {
  let error: unknown;
  try {
    loadConfig({ PORT: "not-a-port", DATABASE_URL: "mysql://user:hunter2@db/x" });
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(ConfigError);
  const text = (error as ConfigError).problems.join("\n");
  expect(text).toContain("PORT");
  expect(text).toContain("DATABASE_URL");
  expect(text).not.toContain("hunter2");
  expect(text).not.toContain("not-a-port");
});

test("EMAIL without PASSWORD is refused", () => {
  expect(() => loadConfig({ EMAIL: "a@b.c" })).toThrow(ConfigError);
});

test("HEADLESS=false opens a visible browser", () => {
  expect(loadConfig({ HEADLESS: "false" }).HEADLESS).toBe(false);
});

test("the example .env file's empty values mean the defaults", async () => {
  const text = await Bun.file(new URL("../.env.example", import.meta.url)).text();
  const env: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const m = /^([A-Z_]+)=(.*)$/.exec(line);
    if (m) env[m[1]!] = m[2]!;
  }
  const c = loadConfig(env);
  expect(c.demo).toBe(true);
  expect(c.PORT).toBe(3000);
  expect(c.DATABASE_URL).toBeUndefined();
  expect(c.GENERATOR).toBe("browser");
});

test(".env.example documents every configuration variable", async () => {
  const text = await Bun.file(new URL("../.env.example", import.meta.url)).text();
  const { CONFIG_KEYS: keys } = await import("../src/config.ts");
  expect(keys.length).toBeGreaterThan(10);
  for (const key of keys) expect(text).toContain(`\n${key}=`);
});

test("a limit past what PostgreSQL's int4 holds stops start-up naming it; the largest one is taken", () => {
  expect(loadConfig({ MAX_QUEUE_DEPTH: "2147483647" }).MAX_QUEUE_DEPTH).toBe(2147483647);
  for (const name of ["MAX_QUEUE_DEPTH", "MAX_ACTIVE_VIDEOS_PER_USER", "JOB_DEADLINE_MINUTES"]) {
    let error: unknown;
    try {
      loadConfig({ [name]: "2147483648" });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems.join("\n")).toContain(name);
  }
});

test("generation settings are explicit and cheap by default: audio and multi-shot off, submitted through the page's API", () => {
  const c = loadConfig({});
  expect(c.generation).toEqual({ model: "v5.6", quality: "360p", duration: 5, aspectRatio: "16:9", audio: false, multiShot: false });
  expect(c.PIXVERSE_SUBMIT).toBe("page-api");
  expect(c.PIXVERSE_CREATE_PATH).toBe("/creation/video");
  expect(c.allowed.durations).toEqual([5, 8, 10]);
});

test("the operator's settings and lists are read, lists trimmed of spaces", () => {
  const c = loadConfig({
    PIXVERSE_MODEL: "v6",
    PIXVERSE_MODELS: "v6, v5.6",
    PIXVERSE_QUALITY: "720p",
    PIXVERSE_DURATION: "8",
    PIXVERSE_AUDIO: "true",
    PIXVERSE_MULTI_SHOT: "1",
    PIXVERSE_SUBMIT: "ui",
  });
  expect(c.generation).toMatchObject({ model: "v6", quality: "720p", duration: 8, audio: true, multiShot: true });
  expect(c.allowed.models).toEqual(["v6", "v5.6"]);
  expect(c.PIXVERSE_SUBMIT).toBe("ui");
});

test.each([
  [{ PIXVERSE_MODEL: "v9" }, "PIXVERSE_MODEL"],
  [{ PIXVERSE_QUALITY: "4k" }, "PIXVERSE_QUALITY"],
  [{ PIXVERSE_DURATION: "7" }, "PIXVERSE_DURATION"],
  [{ PIXVERSE_ASPECT_RATIO: "2:1" }, "PIXVERSE_ASPECT_RATIO"],
  [{ PIXVERSE_DURATIONS: "5,abc" }, "PIXVERSE_DURATIONS"],
  [{ PIXVERSE_ASPECT_RATIOS: "16:9,wide" }, "PIXVERSE_ASPECT_RATIOS"],
  [{ PIXVERSE_SUBMIT: "clicks" }, "PIXVERSE_SUBMIT"],
  [{ PIXVERSE_CREATE_PATH: "creation" }, "PIXVERSE_CREATE_PATH"],
] as const)("a default outside its list or a bad list stops start-up naming the variable (%o)", (env, name) => {
  let error: unknown;
  try {
    loadConfig(env);
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(ConfigError);
  expect((error as ConfigError).problems.join("\n")).toContain(name);
});
