// A start that cannot succeed says why in the log, as JSON, and exits non-zero; nothing secret goes out.
import { expect, test } from "bun:test";
import { fileURLToPath } from "node:url";

const MAIN = fileURLToPath(new URL("../../src/main.ts", import.meta.url));
const PASSWORD = "s3cret-db-pass-4711";

test("with the database unreachable at start the service exits 1 after one JSON error line, without the database password", async () => {
  const proc = Bun.spawn([process.execPath, MAIN], {
    // Port 1 on loopback: nothing listens there, so the connection is refused at once.
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", PORT: "0", HOST: "127.0.0.1", DATABASE_URL: `postgres://app:${PASSWORD}@127.0.0.1:1/app`, GENERATOR: "none" },
    stdout: "pipe",
    stderr: "pipe",
    stdin: "ignore",
  });
  const [code, stdout, stderr] = await Promise.all([proc.exited, new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
  expect(code).toBe(1);
  const lines = stdout.split("\n").filter((l) => l.trim() !== "");
  const parsed = lines.map((l) => JSON.parse(l) as { level?: string; msg?: string; error?: { message?: string; code?: string } });
  const failure = parsed.find((l) => l.msg === "the service could not start");
  expect(failure, stdout).toBeDefined();
  expect(failure!.level).toBe("error");
  expect(JSON.stringify(failure!.error)).toContain("ECONNREFUSED");
  expect(stdout + stderr).not.toContain(PASSWORD);
  expect(stderr).not.toContain("    at ");
}, 30_000);
