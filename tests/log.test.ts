import { expect, test } from "bun:test";
import { createLogger } from "../src/log.ts";

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

test("an error is logged by name and message, without its stack", () => {
  const lines: string[] = [];
  createLogger("info", (l) => lines.push(l)).error("boom", { error: new Error("bad thing") });
  const entry = JSON.parse(lines[0]!);
  expect(entry.error).toEqual({ name: "Error", message: "bad thing" });
  expect(lines[0]).not.toContain("at ");
});
