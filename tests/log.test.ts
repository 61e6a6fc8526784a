import { describe, expect, test } from "bun:test";
import { createLogger, registerSecrets, scrubSecrets, type LogLevel } from "../src/log.ts";

function capture(level: LogLevel = "debug") {
  const lines: string[] = [];
  const log = createLogger(level, (l) => lines.push(l));
  return { lines, log, entries: () => lines.map((l) => JSON.parse(l) as Record<string, any>) };
}

test("writes one JSON line per event with its scope and redacts secrets", () => {
  const lines: string[] = [];
  const log = createLogger("info", (l) => lines.push(l)).child({ request_id: "r-1" });
  log.info("login", { email: "a@b.c", password: "hunter2", nested: { token: "jwt" } });
  log.debug("hidden");
  expect(lines).toHaveLength(1);
  const entry = JSON.parse(lines[0]!);
  expect(entry.msg).toBe("login");
  expect(entry.request_id).toBe("r-1");
  expect(entry.password).toBe("[redacted]");
  expect(entry.nested.token).toBe("[redacted]");
  expect(lines[0]).not.toContain("hunter2");
});

test("a line has a string level, an ISO time, the message under msg, and no newline", () => {
  const { lines, log, entries } = capture();
  log.warn("careful", { n: 1 });
  expect(lines[0]).not.toContain("\n");
  const [entry] = entries();
  expect(entry).toMatchObject({ level: "warn", msg: "careful", n: 1 });
  expect(entry!.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  // No pid/hostname: only what the caller logged.
  expect(Object.keys(entry!).sort()).toEqual(["level", "msg", "n", "time"]);
});

test("an error is logged with its name, message and stack", () => {
  const lines: string[] = [];
  createLogger("info", (l) => lines.push(l)).error("boom", { error: new Error("bad thing") });
  const entry = JSON.parse(lines[0]!);
  expect(entry.error).toMatchObject({ name: "Error", message: "bad thing" });
  expect(entry.error.stack).toContain("log.test.ts");
});

describe("errors", () => {
  test("error lines carry the stack, the code and the cause (with its own stack), wherever the Error sits", () => {
    const { log, entries } = capture();
    const cause = Object.assign(new TypeError("socket hang up"), { code: "ECONNRESET" });
    log.error("job failed", { error: new Error("submit failed", { cause }), context: { last: new RangeError("too far") } });
    const [entry] = entries();
    expect(entry!.level).toBe("error");
    expect(entry!.error).toMatchObject({ name: "Error", message: "submit failed" });
    expect(entry!.error.stack).toMatch(/^at .*log\.test\.ts:\d+/);
    // Frames only: the header would repeat name and message.
    expect(entry!.error.stack).not.toContain("submit failed");
    expect(entry!.error.cause).toMatchObject({ name: "TypeError", message: "socket hang up", code: "ECONNRESET" });
    expect(entry!.error.cause.stack).toContain("log.test.ts");
    expect(entry!.context.last).toMatchObject({ name: "RangeError", message: "too far" });
    expect(entry!.context.last.stack).toContain("log.test.ts");
  });

  test("a long chain of causes is cut, and a non-Error cause keeps only a primitive value", () => {
    const { log, entries } = capture();
    let e = new Error("root");
    for (let i = 0; i < 6; i++) e = new Error(`level ${i}`, { cause: e });
    const other = new Error("with string cause", { cause: "because" });
    log.error("deep", { error: e, other, third: new Error("with object cause", { cause: { secretive: "object" } }) });
    const [entry] = entries();
    let depth = 0;
    for (let c = entry!.error; c.cause; c = c.cause) depth++;
    expect(depth).toBe(3);
    expect(entry!.error.cause.cause.cause).toMatchObject({ message: "level 2" });
    expect(entry!.other.cause).toBe("because");
    expect(entry!.third.cause).toBe("(object)");
  });
});

test("child fields are merged into every line, a child's child keeps both, and the line's own fields win", () => {
  const { log, entries } = capture();
  const job = log.child({ component: "dispatcher" }).child({ job_id: 7 });
  job.info("claimed");
  job.info("again", { job_id: 8, state: "queued" });
  log.info("parent");
  const [a, b, parent] = entries();
  expect(a).toMatchObject({ component: "dispatcher", job_id: 7, msg: "claimed" });
  expect(b).toMatchObject({ component: "dispatcher", job_id: 8, state: "queued" });
  expect(parent).not.toHaveProperty("component");
  expect(parent).not.toHaveProperty("job_id");
});

test("a key bound by a child's child, or given again by the line, appears once in the line, with the latest value", () => {
  const { lines, log, entries } = capture();
  const client = log.child({ component: "sidecar", account: 0 }).child({ component: "sidecar-client" });
  client.info("initialised", { pid: 42 });
  client.warn("moved", { account: 1 });
  client.child({ job_id: 3 }).request({ request_id: "r-1", method: "GET", path: "/x", status: 200, duration_ms: 1 });
  log.child({ request_id: "bound", path: "/bound" }).request({ request_id: "r-2", method: "GET", path: "/y", status: 200, duration_ms: 1 });
  const occurrences = (line: string, key: string) => line.split(`"${key}":`).length - 1;
  for (const line of lines) for (const key of ["component", "account", "request_id", "path"]) expect(occurrences(line, key)).toBeLessThanOrEqual(1);
  const [a, b, c, d] = entries();
  expect(a).toMatchObject({ component: "sidecar-client", account: 0, pid: 42 });
  expect(b).toMatchObject({ component: "sidecar-client", account: 1, msg: "moved" });
  expect(c).toMatchObject({ component: "sidecar-client", account: 0, job_id: 3, request_id: "r-1" });
  expect(d).toMatchObject({ request_id: "r-2", path: "/y" });
  expect(occurrences(lines[0]!, "component")).toBe(1);
});

describe("levels", () => {
  const all = (log: ReturnType<typeof capture>["log"]) => {
    log.debug("d");
    log.info("i");
    log.warn("w");
    log.error("e");
  };
  const expected: Record<LogLevel, string[]> = {
    debug: ["debug", "info", "warn", "error"],
    info: ["info", "warn", "error"],
    warn: ["warn", "error"],
    error: ["error"],
    silent: [],
  };
  for (const [level, written] of Object.entries(expected) as [LogLevel, string[]][]) {
    test(`at ${level}: ${written.join(", ") || "nothing"}`, () => {
      const { log, entries } = capture(level);
      all(log);
      all(log.child({ scoped: true }));
      expect(entries().map((e) => e.level)).toEqual([...written, ...written]);
      expect(["debug", "info", "warn", "error"].filter((l) => log.enabled(l as LogLevel))).toEqual(written);
    });
  }
});

describe("secret keys", () => {
  test("secret-named keys are censored at any depth, inside arrays, in headers and in child bindings", () => {
    const { lines, log, entries } = capture();
    const child = log.child({ component: "c", db: { database_url: "keyed-db-url-value" }, Authorization: "keyed-bearer-value" });
    child.info("keys", {
      password: "keyed-pass-1",
      token: "keyed-token-1",
      cookie: "keyed-cookie-1",
      api_key: "keyed-api-key-1",
      "x-pixverse-token": "keyed-token-2",
      headers: { cookie: "keyed-cookie-2", "set-cookie": "keyed-cookie-3", authorization: "keyed-bearer-2", accept: "json" },
      a: { b: { c: { sessionCookie: "keyed-cookie-4", userPassword: "keyed-pass-2" } } },
      accounts: [{ email: "a@b.c", password: "keyed-pass-3" }],
    });
    for (const l of lines) expect(l).not.toContain("keyed-");
    const [entry] = entries();
    expect(entry).toMatchObject({ component: "c", password: "[redacted]", Authorization: "[redacted]", "x-pixverse-token": "[redacted]" });
    expect(entry!.headers).toEqual({ cookie: "[redacted]", "set-cookie": "[redacted]", authorization: "[redacted]", accept: "json" });
    expect(entry!.accounts).toEqual([{ email: "a@b.c", password: "[redacted]" }]);
    expect(entry!.a.b.c.userPassword).toBe("[redacted]");
  });

  test("ordinary fields, Dates and URLs are written as JSON would, a cycle does not throw, depth is bounded", () => {
    const { log, entries } = capture();
    const cyclic: Record<string, unknown> = { name: "loop" };
    cyclic.self = cyclic;
    log.info("shapes", { n: 1.5, ok: true, none: null, when: new Date(0), url: new URL("https://example.com/a?b=1"), cyclic, list: [1, "two"] });
    const [entry] = entries();
    expect(entry).toMatchObject({ n: 1.5, ok: true, none: null, when: "1970-01-01T00:00:00.000Z", url: "https://example.com/a?b=1", list: [1, "two"] });
    expect(entry!.cyclic.name).toBe("loop");
    expect(JSON.stringify(entry)).toContain("[too deep]");
  });
});

describe("secret values", () => {
  // Distinct values, so that a line holding one is a failure whatever field it came from.
  const PASSWORD = 'acc0unt-pa"ss\\word';
  const API_KEY = "pk_live_4f9a8c7e6d5b";
  const DB_PASSWORD = "dbpw-7Qx9Lm2";
  const NUMERIC = "8675309042";
  const URL_PASSWORD = "urlpw-Zk81Vd";
  const JWT = "eyJhbGciOiJIUzI1NiJ9.eyJBY2NvdW50SWQiOjQyfQ.c2lnbmF0dXJlLXNlY3JldA";
  registerSecrets([PASSWORD, API_KEY, DB_PASSWORD, NUMERIC, "short"]);
  const DB_URL = `postgres://svc:${DB_PASSWORD}@db.internal:5432/app`;
  const OTHER_URL = `https://user:${URL_PASSWORD}@proxy.example:8080/path`;

  /** Every form a secret can take in a line: as is, JSON-escaped once, and twice (a JSON text in a field). */
  const forms = (s: string) => [s, JSON.stringify(s).slice(1, -1), JSON.stringify(JSON.stringify(s)).slice(2, -2)];
  const SECRETS = [PASSWORD, API_KEY, DB_PASSWORD, NUMERIC, URL_PASSWORD, JWT, "eyJhbGciOiJIUzI1NiJ9.eyJBY2NvdW50SWQiOjQyfQ"];

  function logEverywhere(log: ReturnType<typeof capture>["log"]) {
    const scoped = log.child({ component: "sidecar", login: `signing in with ${PASSWORD}`, target: OTHER_URL });
    scoped.info(`connecting to ${DB_URL}`);
    scoped.warn(`Bearer ${API_KEY} refused; session ${JWT}`, { attempt: 2 });
    scoped.info("fields", {
      url: DB_URL,
      body: JSON.stringify({ user: "a@b.c", pwd: PASSWORD, key: API_KEY }),
      note: `key=${API_KEY}`,
      duration_ms: Number(NUMERIC),
      nested: { deeper: { list: [`jwt ${JWT}`, { text: `via ${OTHER_URL}` }] } },
      [`header-${API_KEY}`]: "a secret as a key",
    });
    const cause = new Error(`auth failed for ${PASSWORD}`);
    const err = new Error(`connect ECONNREFUSED ${DB_URL}`, { cause });
    // A stack whose frames hold a secret (a URL in a module path, an eval'd string).
    err.stack = `Error: connect\n    at connect (${DB_URL})\n    at login (${API_KEY}.js:1:1)\n    at token (${JWT})`;
    scoped.error(`could not reach ${DB_URL}`, { error: err, context: { lastError: new Error(`token ${JWT}`) } });
    scoped.info("request", { request_id: "r-1", path: `/x?key=${API_KEY}` });
  }

  test("no registered secret, URL credential or JWT survives in any line (message, fields, nested, errors, stacks, bindings)", () => {
    const { lines, log, entries } = capture();
    logEverywhere(log);
    expect(lines).toHaveLength(5);
    for (const line of lines) {
      for (const secret of SECRETS) for (const form of forms(secret)) expect(line).not.toContain(form);
    }
    // Still JSON, still useful: what is not secret stays.
    const all = entries();
    expect(all[0]!.msg).toBe("connecting to postgres://svc:[redacted]@db.internal:5432/app");
    expect(all[0]!.target).toBe("https://user:[redacted]@proxy.example:8080/path");
    expect(all[1]!.msg).toBe("Bearer [redacted] refused; session [redacted-token]");
    expect(all[2]!.duration_ms).toBe("[redacted]");
    expect(JSON.parse(all[2]!.body)).toEqual({ user: "a@b.c", pwd: "[redacted]", key: "[redacted]" });
    expect(all[2]!["header-[redacted]"]).toBe("a secret as a key");
    expect(all[3]!.error.message).toBe("connect ECONNREFUSED postgres://svc:[redacted]@db.internal:5432/app");
    expect(all[3]!.error.stack).toContain("at connect (postgres://svc:[redacted]@db.internal:5432/app)");
    expect(all[3]!.error.cause.message).toBe("auth failed for [redacted]");
    expect(all[4]).toMatchObject({ msg: "request", request_id: "r-1", path: "/x?key=[redacted]", component: "sidecar" });
  });

  test("a secret quoted twice (a JSON document in a field) is found even when it is the line's only secret", () => {
    const { lines, log, entries } = capture();
    log.info("answer", { body: JSON.stringify({ user: "a@b.c", pwd: PASSWORD }) });
    for (const form of forms(PASSWORD)) expect(lines[0]).not.toContain(form);
    expect(JSON.parse(entries()[0]!.body)).toEqual({ user: "a@b.c", pwd: "[redacted]" });
  });

  test("values under 6 characters are not taken, and ordinary lines are left as they are", () => {
    const { lines, log } = capture();
    log.info("a short word", { word: "short", n: 86753, url: "https://example.com:8443/a", email: "a@b.c" });
    expect(lines[0]).toContain('"word":"short"');
    expect(lines[0]).toContain('"n":86753');
    expect(lines[0]).toContain('"url":"https://example.com:8443/a"');
  });

  test("scrubSecrets cleans any text", () => {
    expect(scrubSecrets(`dial ${DB_URL} with ${API_KEY} and ${JWT}`)).toBe(
      "dial postgres://svc:[redacted]@db.internal:5432/app with [redacted] and [redacted-token]",
    );
  });
});

test("credentials inside a URL, tokens and registered secret values are redacted wherever they appear", () => {
  const lines: string[] = [];
  registerSecrets(["s3cr3t-pa\"ss", "abc"]);
  const log = createLogger("info", (l) => lines.push(l));
  log.error("could not connect to postgres://svc:hunter2@db.internal:5432/app", {
    error: new Error("connect ECONNREFUSED postgresql://svc:hunter2@db.internal/app"),
  });
  log.warn("login answer", { body: 'token eyJhbGciOiJIUzI1NiJ9.eyJBY2NvdW50SWQiOjF9.c2lnbmF0dXJlLWJ5dGVz and s3cr3t-pa"ss', word: "abc" });
  const text = lines.join("\n");
  expect(text).not.toContain("hunter2");
  expect(text).toContain("postgres://svc:[redacted]@db.internal:5432/app");
  expect(text).not.toContain("eyJhbGciOiJIUzI1NiJ9.eyJBY2NvdW50SWQiOjF9");
  expect(text).not.toContain("s3cr3t-pa");
  expect(text).toContain('"word":"abc"');
  for (const line of lines) expect(() => JSON.parse(line)).not.toThrow();
});

describe("the request line", () => {
  const line = { request_id: "r-9", method: "GET", path: '/get_"status"', status: 404, duration_ms: 0.42 };

  test("is the line info(\"request\", fields) writes, with the child's bindings, in the same member order", () => {
    const fast = capture("info");
    const viaPino = capture("info");
    fast.log.child({ component: "http", n: 2 }).request(line);
    viaPino.log.child({ component: "http", n: 2 }).info("request", { ...line });
    expect(fast.lines).toHaveLength(1);
    const [a] = fast.entries();
    const [b] = viaPino.entries();
    expect({ ...a, time: "t" }).toEqual({ ...b, time: "t" });
    expect(Object.keys(a!)).toEqual(Object.keys(b!));
  });

  test("written caller-free (our id, a declared route), is still the line pino writes for the same fields", () => {
    const fast = capture("info");
    const viaPino = capture("info");
    const ours = { request_id: "1a2b3c4d-z9", method: "GET", path: "/get_status", status: 200, duration_ms: 0.12 };
    fast.log.request({ ...ours, callerFree: true });
    viaPino.log.info("request", { ...ours });
    const [a] = fast.entries();
    const [b] = viaPino.entries();
    expect({ ...a, time: "t" }).toEqual({ ...b, time: "t" });
    expect(Object.keys(a!)).toEqual(Object.keys(b!));
  });

  test("is written only at info or below, and a secret in it is scrubbed", () => {
    const quiet = capture("warn");
    quiet.log.request(line);
    expect(quiet.lines).toHaveLength(0);
    registerSecrets(["request-line-secret-1"]);
    const { lines, log, entries } = capture("info");
    log.request({ ...line, path: "/x/request-line-secret-1" });
    expect(lines[0]).not.toContain("request-line-secret-1");
    expect(entries()[0]!.path).toBe("/x/[redacted]");
  });
});
