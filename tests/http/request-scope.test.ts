// Every answer, whatever route or outcome, carries an X-Request-Id (a caller's plain one echoed, else ours)
// and leaves exactly one request log line with that id; a value thrown synchronously on the status hot path
// is a generic 500 like any other; a body over a route's limit is the contract's 413 JSON.
import { describe, expect, test } from "bun:test";
import { createLogger, registerSecrets } from "../../src/log.ts";
import type { VideoService } from "../../src/videos.ts";
import { jsonPost, OWNER, statusUrl } from "../support/app.ts";
import { appWith, expectError, recordingVideos } from "./helpers.ts";

function capture() {
  const lines: string[] = [];
  return { lines, logger: createLogger("info", (line) => lines.push(line)) };
}

const requestLines = (lines: string[]) =>
  lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.msg === "request");

describe("request scope", () => {
  const cases: [string, string, RequestInit | undefined, number][] = [
    ["a cached status read", statusUrl(1), undefined, 200],
    ["a status read with a bad video_id", statusUrl("abc"), undefined, 400],
    ["a status read of a missing video", statusUrl(999), undefined, 404],
    ["a status read over the per-minute limit", statusUrl(1), undefined, 429],
    ["a generation request", ...jsonPost("/text2video", { ...OWNER, prompt: "fox" }), 200],
    ["a generation request without a prompt", ...jsonPost("/text2video", { ...OWNER }), 400],
    ["an unknown route", "/nope", undefined, 404],
    ["a known route with the wrong method", "/get_status", { method: "DELETE" }, 405],
    ["a liveness check", "/health", undefined, 200],
    ["a HEAD of the liveness check (logged as HEAD, not as the GET route)", "/health", { method: "HEAD" }, 200],
    ["a HEAD of a status read", statusUrl(1), { method: "HEAD" }, 200],
  ];
  for (const [what, path, init, status] of cases) {
    test(`${what} (${status}) carries an X-Request-Id and leaves one request log line with it`, async () => {
      const { lines, logger } = capture();
      const videos = recordingVideos();
      await videos.create({ appBundleId: OWNER.app_bundle_id, apphudUserId: OWNER.apphud_user_id, clientIp: null, kind: "t2v", prompt: "x" });
      const app = appWith(videos, logger, { generationsPerMinute: 10, statusPerMinute: status === 429 ? 0 : 10 });
      const res = await app.request(path, init);
      expect(res.status).toBe(status);
      expect(res.headers.get("content-type")).toMatch(/^application\/json/);
      const id = res.headers.get("x-request-id");
      expect(id).toMatch(/^[\w\-.:]{1,128}$/);
      const logged = requestLines(lines);
      expect(logged).toHaveLength(1);
      expect(logged[0]).toMatchObject({ level: "info", request_id: id, status, method: init?.method ?? "GET", path: path.split("?")[0] });
      expect(typeof logged[0]!.duration_ms).toBe("number");
    });
  }

  test("a caller's X-Request-Id that is not a plain token is replaced, never echoed or logged", async () => {
    const { lines, logger } = capture();
    const hostile = 'x", "level":"error';
    const res = await appWith(recordingVideos(), logger).request("/health", { headers: { "x-request-id": hostile } });
    expect(res.headers.get("x-request-id")).not.toBe(hostile);
    expect(lines.join("\n")).not.toContain(hostile);
    expect(requestLines(lines)[0]!.request_id).toBe(res.headers.get("x-request-id"));
  });

  for (const [what, path, init] of [
    ["a cached status read", statusUrl(1), undefined],
    ["a generation request", ...jsonPost("/text2video", { ...OWNER, prompt: "fox" })],
  ] as [string, string, RequestInit | undefined][]) {
    test(`${what}: a caller's X-Request-Id holding a registered secret is echoed but never logged, and our own ids are logged as made`, async () => {
      const secret = "scope-request-id-secret-7";
      registerSecrets([secret]);
      const { lines, logger } = capture();
      const videos = recordingVideos();
      await videos.create({ appBundleId: OWNER.app_bundle_id, apphudUserId: OWNER.apphud_user_id, clientIp: null, kind: "t2v", prompt: "x" });
      const app = appWith(videos, logger);
      const given = await app.request(path, { ...init, headers: { ...(init?.headers as Record<string, string>), "x-request-id": secret } });
      expect(given.headers.get("x-request-id")).toBe(secret);
      expect(lines.join("\n")).not.toContain(secret);
      const again = jsonPost("/text2video", { ...OWNER, prompt: "fox" })[1];
      const ours = await app.request(path, init?.method === "POST" ? again : init);
      const logged = requestLines(lines);
      expect(logged).toHaveLength(2);
      expect(logged[0]!.request_id).toBe("[redacted]");
      expect(logged[1]!.request_id).toBe(ours.headers.get("x-request-id")!);
    });
  }

  test("a path with quotes and backslashes is logged as valid JSON", async () => {
    const { lines, logger } = capture();
    await appWith(recordingVideos(), logger).request('/a%22b%5Cc"d');
    expect(requestLines(lines)).toHaveLength(1);
  });

  for (const [what, thrown] of [
    ["an Error", new Error("SELECT password FROM accounts")],
    ["a string", "SELECT password FROM accounts"],
  ] as const) {
    test(`get_status answers ${what} thrown synchronously by the cache with a generic 500 carrying the request id`, async () => {
      const { lines, logger } = capture();
      const videos: VideoService = {
        ...recordingVideos(),
        cachedStatus: () => {
          throw thrown;
        },
      };
      const res = await appWith(videos, logger).request(statusUrl(1));
      const text = await res.clone().text();
      const body = await expectError(res, 500);
      expect(text).not.toMatch(/select|password/i);
      expect(body.request_id).toBe(res.headers.get("x-request-id")!);
      // An Error's message is logged for the operator; a thrown string's text is not kept at all.
      if (typeof thrown === "string") expect(lines.join("\n")).not.toMatch(/password/i);
      expect(requestLines(lines)[0]).toMatchObject({ request_id: body.request_id, status: 500 });
    });
  }

  test("echoes a caller's plain X-Request-Id on every kind of answer, and logs the request under it", async () => {
    const videos = recordingVideos();
    await videos.create({ appBundleId: OWNER.app_bundle_id, apphudUserId: OWNER.apphud_user_id, clientIp: null, kind: "t2v", prompt: "x" });
    const failing: VideoService = { ...recordingVideos(), create: async () => { throw new Error("boom"); } };
    const cases: [string, VideoService, string, RequestInit, number][] = [
      ["ok", videos, statusUrl(1), {}, 200],
      ["bad", videos, statusUrl("x"), {}, 400],
      ["missing", videos, statusUrl(7), {}, 404],
      ["wrong-method", videos, "/get_status", { method: "PUT" }, 405],
      ["too-large", videos, "/text2video", { method: "POST", headers: { "content-type": "application/json", "content-length": String(10 * 1024 * 1024) }, body: "{}" }, 413],
      ["limited", videos, statusUrl(1), {}, 429],
      ["failed", failing, ...jsonPost("/text2video", { ...OWNER, prompt: "fox" }), 500],
    ];
    for (const [name, service, path, init, status] of cases) {
      const { lines, logger } = capture();
      const app = appWith(service, logger, { generationsPerMinute: 10, statusPerMinute: status === 429 ? 0 : 10 });
      const id = `caller-${name}_1=x`;
      const res = await app.request(path, { ...init, headers: { ...(init.headers as Record<string, string>), "x-request-id": id } });
      expect(res.status, name).toBe(status);
      expect(res.headers.get("x-request-id"), name).toBe(id);
      expect(requestLines(lines)[0], name).toMatchObject({ request_id: id, status });
    }
  });

  test("gives each request without an id of its own a different one", async () => {
    const app = appWith(recordingVideos());
    const ids = new Set<string | null>();
    for (let i = 0; i < 50; i++) ids.add((await app.request("/health")).headers.get("x-request-id"));
    expect(ids.size).toBe(50);
    expect(ids.has(null)).toBe(false);
  });

  for (const [what, announced] of [
    ["announced", true],
    ["streamed without a Content-Length", false],
  ] as const) {
    test(`a text2video body over the 256 KiB text limit, ${what}, is the 413 JSON payload_too_large`, async () => {
      const { lines, logger } = capture();
      const videos = recordingVideos();
      const body = JSON.stringify({ ...OWNER, prompt: "x".repeat(300 * 1024) });
      const headers: Record<string, string> = { "content-type": "application/json" };
      if (announced) headers["content-length"] = String(body.length);
      const stream = new ReadableStream<Uint8Array>({
        start(ctrl) {
          ctrl.enqueue(new TextEncoder().encode(body));
          ctrl.close();
        },
      });
      const res = await appWith(videos, logger).request(new Request("http://localhost/text2video", { method: "POST", headers, body: stream }));
      const err = await expectError(res, 413);
      expect(Object.keys(err).sort()).toEqual(["error", "message"]);
      expect(err.error).toBe("payload_too_large");
      expect(res.headers.get("x-request-id")).toBeTruthy();
      expect(requestLines(lines)[0]).toMatchObject({ status: 413, path: "/text2video" });
      expect(videos.created).toHaveLength(0);
    });
  }
});
