// Routing and failure answers: unknown routes, wrong methods and unexpected errors are JSON, and a 500 says
// nothing about its cause but carries the request id that the log line has too. No database needed.
import { describe, expect, test } from "bun:test";
import type { NewVideo } from "../../src/db/videos.ts";
import { createLogger } from "../../src/log.ts";
import type { VideoService } from "../../src/videos.ts";
import { jsonPost, OWNER, statusUrl } from "../support/app.ts";
import { appWith, expectError, recordingVideos } from "./helpers.ts";

const SECRET = "SELECT secret password FROM accounts WHERE email = 'ann@example.com'";

describe("unknown routes and methods", () => {
  for (const [method, path] of [
    ["GET", "/"],
    ["GET", "/nope"],
    ["POST", "/text2video/"],
    ["POST", "/Text2Video"],
    ["GET", "/get_status/1"],
  ] as const) {
    test(`answers ${method} ${path} with a JSON 404`, async () => {
      const res = await appWith(recordingVideos()).request(path, { method });
      expect((await expectError(res, 404)).error).toBe("not_found");
    });
  }

  for (const [method, path, allow] of [
    ["GET", "/text2video", "POST"],
    ["PUT", "/text2video", "POST"],
    ["GET", "/image2video", "POST"],
    ["DELETE", "/image2video", "POST"],
    ["POST", "/get_status", "GET, HEAD"],
    ["DELETE", "/get_status", "GET, HEAD"],
    ["PATCH", "/get_status", "GET, HEAD"],
  ] as const) {
    test(`answers ${method} ${path} with a JSON 405 and Allow: ${allow}`, async () => {
      const res = await appWith(recordingVideos()).request(path, { method });
      expect((await expectError(res, 405)).error).toBe("method_not_allowed");
      expect(res.headers.get("allow")).toBe(allow);
    });
  }

  test("answers POST /get_status with 405 even when its JSON body holds valid parameters", async () => {
    const res = await appWith(recordingVideos()).request(...jsonPost("/get_status", { ...OWNER, video_id: 1 }));
    await expectError(res, 405);
  });
});

function failingVideos(fail: () => never): VideoService {
  return {
    create: async (_v: NewVideo) => fail(),
    createOnce: async () => fail(),
    status: async () => fail(),
    cachedStatus: () => undefined,
    changed() {},
  };
}

function captureLog() {
  const lines: string[] = [];
  return { lines, logger: createLogger("debug", (line) => lines.push(line)) };
}

describe("unexpected errors", () => {
  const throwers: [string, () => never][] = [
    ["an Error", () => {
      throw new Error(SECRET);
    }],
    ["a value that is not an Error", () => {
      throw { message: SECRET, query: SECRET };
    }],
    ["a string", () => {
      throw SECRET;
    }],
  ];

  for (const [what, fail] of throwers) {
    test(`text2video answers ${what} thrown below it with a generic 500 carrying the request id`, async () => {
      const { lines, logger } = captureLog();
      const res = await appWith(failingVideos(fail), logger).request(...jsonPost("/text2video", { ...OWNER, prompt: "fox" }));
      const text = await res.clone().text();
      const body = await expectError(res, 500);
      expect(Object.keys(body).sort()).toEqual(["error", "message", "request_id"]);
      expect(body.error).toBe("internal_error");
      expect(text).not.toMatch(/select|secret|password|accounts|stack|at .*\.ts/i);
      const requestId = res.headers.get("x-request-id");
      expect(requestId).toBeTruthy();
      expect(body.request_id).toBe(requestId!);
      const logged = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
      const error = logged.find((l) => l.level === "error");
      expect(error, lines.join("\n")).toBeDefined();
      expect(error!.request_id).toBe(requestId);
      const access = logged.find((l) => l.msg === "request");
      expect(access, lines.join("\n")).toMatchObject({ request_id: requestId, status: 500, path: "/text2video" });
    });
  }

  test("get_status answers a failing status read with a generic 500 carrying the request id", async () => {
    const { lines, logger } = captureLog();
    const res = await appWith(failingVideos(() => { throw new Error(SECRET); }), logger).request(statusUrl(1));
    const text = await res.clone().text();
    const body = await expectError(res, 500);
    expect(text).not.toMatch(/select|secret|password/i);
    expect(body.request_id).toBe(res.headers.get("x-request-id")!);
    expect(lines.some((l) => JSON.parse(l).level === "error" && JSON.parse(l).request_id === body.request_id)).toBe(true);
  });

  test("keeps a caller's well-formed X-Request-Id and answers it back", async () => {
    const res = await appWith(failingVideos(() => { throw new Error(SECRET); })).request("/text2video", {
      ...jsonPost("/text2video", { ...OWNER, prompt: "fox" })[1],
      headers: { "content-type": "application/json", "x-request-id": "caller-id-123" },
    });
    const body = await expectError(res, 500);
    expect(res.headers.get("x-request-id")).toBe("caller-id-123");
    expect(body.request_id).toBe("caller-id-123");
  });
});

describe("a body cut off by the client", () => {
  for (const [what, type] of [["a form", "application/x-www-form-urlencoded"], ["JSON", "application/json"], ["a multipart form", "multipart/form-data; boundary=b"]] as const) {
    test(`${what} whose connection closes mid-body is a 400 line in the log, not an error and a 500`, async () => {
      const { lines, logger } = captureLog();
      // What Bun hands over when the connection closes (or a chunked body is malformed) before the body ends.
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(new TextEncoder().encode("prompt=a"));
          controller.error(new DOMException("The connection was closed.", "AbortError"));
        },
      });
      const res = await appWith(recordingVideos(), logger).request("/text2video", { method: "POST", headers: { "content-type": type }, body, duplex: "half" } as RequestInit);
      expect((await expectError(res, 400)).error).toBe("invalid_body");
      const logged = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(logged.filter((l) => l.level === "error"), lines.join("\n")).toEqual([]);
      expect(logged.find((l) => l.msg === "request")).toMatchObject({ status: 400 });
    });
  }
});
