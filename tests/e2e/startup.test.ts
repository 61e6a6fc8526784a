// The service process as it is started: a start that cannot succeed says why in the log, as JSON, and exits
// non-zero (nothing secret goes out); a started one takes every request the contract allows.
import { expect, test } from "bun:test";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "node:net";
import { fileURLToPath } from "node:url";
import { startService } from "../support/service-process.ts";

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

test("started as npm start and the image start it, the service takes the longest prompt of 4-byte characters in the query string", async () => {
  const dataDir = await mkdtemp(join(tmpdir(), "startup-"));
  const service = await startService({ GENERATOR: "none", DATA_DIR: dataDir });
  try {
    const query = new URLSearchParams({ prompt: "😀".repeat(2048), app_bundle_id: "🦊".repeat(255), apphud_user_id: "user-1" });
    // Past Bun's default limit for a request's line and headers (16 KiB).
    expect(query.toString().length).toBeGreaterThan(16 * 1024);
    const res = await fetch(`${service.url}/text2video?${query}`, { method: "POST" });
    const body = await res.text();
    expect(res.status, body).toBe(200);
    expect(JSON.parse(body).video_id).toBeGreaterThan(0);
  } finally {
    await service.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}, 60_000);

/** Send `head` on a fresh connection and give back what the server answers before it closes (or 5 s pass). */
function rawRequest(url: string, head: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    let answer = "";
    const socket = connect(Number(port), hostname, () => socket.write(head));
    socket.setEncoding("utf8");
    socket.on("data", (chunk) => (answer += chunk));
    socket.on("close", () => resolve(answer));
    socket.on("error", () => resolve(answer));
    setTimeout(() => socket.destroy(), 5_000);
  });
}

test("at the socket: a body announced far over the limit (past Bun's cap too) is the JSON 413, refused unread; a request without a usable Host is served; HEAD tells the length of what GET would send", async () => {
  const dataDir = await mkdtemp(join(tmpdir(), "startup-"));
  const service = await startService({ GENERATOR: "none", DATA_DIR: dataDir });
  try {
    for (const [path, length] of [["/image2video", 5_000_000_000], ["/text2video", 2_000_000_000]] as const) {
      const answer = await rawRequest(
        service.url,
        `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: ${length}\r\nConnection: close\r\n\r\n--b\r\n`,
      );
      expect(answer, path).toStartWith("HTTP/1.1 413");
      const body = JSON.parse(answer.slice(answer.indexOf("\r\n\r\n") + 4)) as { error: string };
      expect(body.error, path).toBe("payload_too_large");
    }
    // No Host (HTTP/1.0, as some health checkers send), an empty one, one that is not a host name: routed as
    // any request, JSON answers with a request id (Bun hands these over with a relative URL).
    for (const [head, status] of [
      ["GET /health HTTP/1.0\r\n\r\n", 200],
      ["GET /get_status?video_id=1&app_bundle_id=a&apphud_user_id=u HTTP/1.1\r\nHost:\r\nConnection: close\r\n\r\n", 404],
      ["GET /health HTTP/1.1\r\nHost: a/b\r\nConnection: close\r\n\r\n", 200],
    ] as const) {
      const answer = await rawRequest(service.url, head);
      expect(answer, head).toStartWith(`HTTP/1.1 ${status}`);
      expect(answer.toLowerCase(), head).toContain("x-request-id:");
      expect(() => JSON.parse(answer.slice(answer.indexOf("\r\n\r\n") + 4)), head).not.toThrow();
    }
    // HEAD: the GET's headers with its body's true length (Bun wrote Content-Length: 0), logged as HEAD.
    const heads: string[] = [];
    for (const path of ["/health", "/openapi.json", "/get_status?video_id=1&app_bundle_id=a&apphud_user_id=u"]) {
      const get = await fetch(`${service.url}${path}`);
      const length = (await get.arrayBuffer()).byteLength;
      const head = await fetch(`${service.url}${path}`, { method: "HEAD" });
      expect(head.status, path).toBe(get.status);
      expect(head.headers.get("content-length"), path).toBe(String(length));
      expect(length, path).toBeGreaterThan(0);
      heads.push(head.headers.get("x-request-id")!);
    }
    // The log writer flushes on its own schedule.
    const logged = () => heads.map((id) => service.logs().find((l) => l.request_id === id));
    for (let i = 0; i < 50 && logged().some((l) => !l); i++) await Bun.sleep(100);
    for (const line of logged()) expect(line).toMatchObject({ msg: "request", method: "HEAD" });
  } finally {
    await service.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}, 60_000);
