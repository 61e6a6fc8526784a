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
  [{ SESSION_STORE: "postgres" }, "SESSION_KEY"],
  [{ SESSION_STORE: "postgres", SESSION_KEY: "too-short" }, "SESSION_KEY"],
  [{ SESSION_STORE: "redis" }, "SESSION_STORE"],
] as const)("a default outside its list, a bad list or a missing companion stops start-up naming the variable (%o)", (env, name) => {
  let error: unknown;
  try {
    loadConfig(env);
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(ConfigError);
  expect((error as ConfigError).problems.join("\n")).toContain(name);
});

test("the sessions go to the database once SESSION_KEY is set, unless SESSION_STORE says file", () => {
  const key = "a-session-key-of-at-least-32-characters";
  expect(loadConfig({}).sessionStore).toBe("file");
  expect(loadConfig({ SESSION_KEY: key }).sessionStore).toBe("postgres");
  expect(loadConfig({ SESSION_KEY: key, SESSION_STORE: "file" }).sessionStore).toBe("file");
  expect(loadConfig({ SESSION_KEY: key, SESSION_STORE: "postgres" }).sessionStore).toBe("postgres");
});

// --- API keys (API_KEYS / API_KEYS_FILE; the format is in src/http/api-keys.ts) ---

const KEY_1 = "key1-0123456789abcdef";
const KEY_2 = "key2-ABCDEFGHIJKLMNOP+/=";

function problemsOf(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).problems.join("\n");
  }
  throw new Error("the configuration was accepted");
}

test("API keys are off unless API_KEYS or API_KEYS_FILE is set (an empty value is unset)", () => {
  expect(loadConfig({}).apiKeys).toBeNull();
  expect(loadConfig({ API_KEYS: "", API_KEYS_FILE: " " }).apiKeys).toBeNull();
});

test("API_KEYS binds each key to its app_bundle_id patterns; commas, spaces and new lines separate entries", () => {
  const expected = [
    { key: KEY_1, appBundleIds: ["com.example.app", "com.other.*"] },
    { key: KEY_2, appBundleIds: ["*"] },
  ];
  expect(loadConfig({ API_KEYS: `${KEY_1}:com.example.app|com.other.*,${KEY_2}:*` }).apiKeys).toEqual(expected);
  expect(loadConfig({ API_KEYS: ` ${KEY_1}:com.example.app|com.other.* ,\n ${KEY_2}:* ,` }).apiKeys).toEqual(expected);
});

test("API_KEYS_FILE holds the same format, one entry a line, # comment lines; not together with API_KEYS", async () => {
  const { mkdtempSync, writeFileSync, rmSync } = await import("node:fs");
  const { join } = await import("node:path");
  const { tmpdir } = await import("node:os");
  const dir = mkdtempSync(join(tmpdir(), "api-keys-"));
  try {
    const file = join(dir, "keys");
    writeFileSync(file, `# the mobile apps\n${KEY_1}:com.example.app\n\n  # ops\n${KEY_2}:*\n`);
    expect(loadConfig({ API_KEYS_FILE: file }).apiKeys).toEqual([
      { key: KEY_1, appBundleIds: ["com.example.app"] },
      { key: KEY_2, appBundleIds: ["*"] },
    ]);
    expect(problemsOf({ API_KEYS_FILE: file, API_KEYS: `${KEY_1}:*` })).toContain("API_KEYS");
    expect(problemsOf({ API_KEYS_FILE: join(dir, "missing") })).toContain("API_KEYS_FILE");
    writeFileSync(file, "# nothing yet\n");
    expect(problemsOf({ API_KEYS_FILE: file })).toContain("API_KEYS_FILE");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a short key stops start-up naming API_KEYS and the entry, never printing the key", () => {
  const short = "short-secret-1";
  const text = problemsOf({ API_KEYS: `${KEY_1}:com.a,${short}:com.b`, PORT: "x" });
  expect(text).toContain("API_KEYS");
  expect(text).toContain("entry 2");
  expect(text).toContain("PORT");
  expect(text).not.toContain(short);
  expect(text).not.toContain(KEY_1);
});

for (const [what, value] of [
  ["an entry without a colon", `${KEY_1}`],
  ["a key with characters outside token68", `${KEY_1}"x:com.a`],
  ["a key with = inside it", `${KEY_1}=x:com.a`],
  ["an empty pattern", `${KEY_1}:com.a|`],
  ["a wildcard inside a pattern", `${KEY_1}:com.*.app`],
  ["a wildcard without a dot before it", `${KEY_1}:com*`],
  ["a bare .*", `${KEY_1}:.*`],
  ["the same key twice", `${KEY_1}:com.a,${KEY_1}:com.b`],
  ["nothing but separators", " , ,"],
] as const) {
  test(`API_KEYS with ${what} is refused naming API_KEYS, without printing any of it`, () => {
    const text = problemsOf({ API_KEYS: value });
    expect(text).toContain("API_KEYS");
    expect(text).not.toContain(KEY_1);
    expect(text).not.toContain(KEY_1.slice(0, 8));
  });
}

// ── PIXVERSE_ACCOUNTS ────────────────────────────────────────────────────────────────────────────────────

const SECRET_A = "pw-alpha-7f3c9e";
const SECRET_B = "pw-bravo-21d8aa";


test("PIXVERSE_ACCOUNTS as inline JSON gives one account per entry and turns demo mode off", () => {
  const c = loadConfig({
    PIXVERSE_ACCOUNTS: JSON.stringify([
      { email: "a@example.com", password: SECRET_A },
      { email: "b@example.com", password: SECRET_B },
    ]),
  });
  expect(c.demo).toBe(false);
  expect(c.accounts).toEqual([
    { email: "a@example.com", password: SECRET_A },
    { email: "b@example.com", password: SECRET_B },
  ]);
});

test("PIXVERSE_ACCOUNTS naming a file reads the JSON array from it", async () => {
  const { mkdtemp, writeFile } = await import("node:fs/promises");
  const { tmpdir } = await import("node:os");
  const { join } = await import("node:path");
  const file = join(await mkdtemp(join(tmpdir(), "accounts-")), "accounts.json");
  await writeFile(file, JSON.stringify([{ email: "file@example.com", password: SECRET_A }], null, 2));
  expect(loadConfig({ PIXVERSE_ACCOUNTS: file }).accounts).toEqual([{ email: "file@example.com", password: SECRET_A }]);
});

test("EMAIL/PASSWORD come first, then the PIXVERSE_ACCOUNTS entries", () => {
  const c = loadConfig({ EMAIL: "main@example.com", PASSWORD: "pw-main", PIXVERSE_ACCOUNTS: JSON.stringify([{ email: "extra@example.com", password: SECRET_B }]) });
  expect(c.accounts.map((a) => a.email)).toEqual(["main@example.com", "extra@example.com"]);
});

test("EMAIL/PASSWORD alone give a single account; neither gives demo mode with no account", () => {
  expect(loadConfig({ EMAIL: "a@b.c", PASSWORD: "pw" }).accounts).toEqual([{ email: "a@b.c", password: "pw" }]);
  const demo = loadConfig({});
  expect(demo.demo).toBe(true);
  expect(demo.accounts).toEqual([]);
});

test("an e-mail given twice (EMAIL and an entry, or two entries, case aside) is refused naming the entry", () => {
  const twiceWithEmail = problemsOf({ EMAIL: "Same@Example.com", PASSWORD: SECRET_A, PIXVERSE_ACCOUNTS: JSON.stringify([{ email: "same@example.com", password: SECRET_B }]) });
  expect(twiceWithEmail).toContain("PIXVERSE_ACCOUNTS: entry 1 repeats the e-mail of EMAIL");
  const twiceInList = problemsOf({
    PIXVERSE_ACCOUNTS: JSON.stringify([
      { email: "x@example.com", password: SECRET_A },
      { email: "y@example.com", password: SECRET_A },
      { email: "x@example.com", password: SECRET_B },
    ]),
  });
  expect(twiceInList).toContain("entry 3 repeats the e-mail of entry 1");
  expect(twiceInList).not.toContain(SECRET_A);
  expect(twiceInList).not.toContain(SECRET_B);
});

for (const [what, entries, expected] of [
  ["an entry without a password", [{ email: "a@example.com", password: SECRET_A }, { email: "b@example.com" }], "entry 2"],
  ["an entry whose email is no e-mail address", [{ email: SECRET_B, password: SECRET_A }], "entry 1"],
  ["an entry with an unknown key", [{ email: "a@example.com", password: SECRET_A, [SECRET_B]: "x" }], "entry 1: only email and password"],
  ["an entry that is not an object", [SECRET_B], "entry 1"],
  ["an empty password", [{ email: "a@example.com", password: "" }], "entry 1"],
] as const) {
  test(`PIXVERSE_ACCOUNTS with ${what} is refused naming the variable and entry, never a password`, () => {
    const text = problemsOf({ PIXVERSE_ACCOUNTS: JSON.stringify(entries), PORT: "x" });
    expect(text).toContain(`PIXVERSE_ACCOUNTS: ${expected}`);
    expect(text).toContain("PORT");
    expect(text).not.toContain(SECRET_A);
    expect(text).not.toContain(SECRET_B);
  });
}

test("PIXVERSE_ACCOUNTS that is broken JSON, not an array, empty, or a missing file is refused without quoting it", () => {
  const broken = problemsOf({ PIXVERSE_ACCOUNTS: `[{"email":"a@example.com","password":${SECRET_A}}]` });
  expect(broken).toContain("PIXVERSE_ACCOUNTS: not valid JSON");
  expect(broken).not.toContain(SECRET_A);
  expect(problemsOf({ PIXVERSE_ACCOUNTS: "[]" })).toContain("PIXVERSE_ACCOUNTS: lists no account");
  expect(problemsOf({ PIXVERSE_ACCOUNTS: `/nonexistent/${SECRET_A}.json` })).toContain("PIXVERSE_ACCOUNTS: not a JSON array (it does not start with [) and not a readable file");
  expect(problemsOf({ PIXVERSE_ACCOUNTS: `/nonexistent/${SECRET_A}.json` })).not.toContain(SECRET_A);
});

test("RATE_LIMIT_STORE is memory by default, postgres when asked, and nothing else", () => {
  expect(loadConfig({}).RATE_LIMIT_STORE).toBe("memory");
  expect(loadConfig({ RATE_LIMIT_STORE: "" }).RATE_LIMIT_STORE).toBe("memory");
  expect(loadConfig({ RATE_LIMIT_STORE: "postgres" }).RATE_LIMIT_STORE).toBe("postgres");
  let error: unknown;
  try {
    loadConfig({ RATE_LIMIT_STORE: "redis" });
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(ConfigError);
  expect((error as ConfigError).problems.join("\n")).toContain("RATE_LIMIT_STORE");
});

test("an account lease lasts 30 s by default; one under 2 s or over 10 minutes stops start-up naming it", () => {
  expect(loadConfig({}).ACCOUNT_LEASE_TTL_MS).toBe(30_000);
  expect(loadConfig({ ACCOUNT_LEASE_TTL_MS: "2000" }).ACCOUNT_LEASE_TTL_MS).toBe(2000);
  for (const bad of ["1999", "600001", "soon"]) expect(problemsOf({ ACCOUNT_LEASE_TTL_MS: bad })).toContain("ACCOUNT_LEASE_TTL_MS");
});
