import { expect, test } from "bun:test";
import { createLogger, registerSecrets } from "../src/log.ts";

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

test("an error is logged with its name, message and stack", () => {
  const lines: string[] = [];
  createLogger("info", (l) => lines.push(l)).error("boom", { error: new Error("bad thing") });
  const entry = JSON.parse(lines[0]!);
  expect(entry.error).toMatchObject({ name: "Error", message: "bad thing" });
  expect(entry.error.stack).toContain("log.test.ts");
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
