// What main.ts's Bun.serve fetch does before the app sees a request: HEAD as its GET without the body but with
// the body's length, a relative URL made absolute, and the socket's address kept for any copy it makes.
import { afterAll, expect, test } from "bun:test";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bunFetch, methodOf, type Connection } from "../../src/http/bun-fetch.ts";

const dir = await mkdtemp(join(tmpdir(), "bun-fetch-"));
const FILE = join(dir, "video.mp4");
await writeFile(FILE, new Uint8Array(123_457));
afterAll(() => rm(dir, { recursive: true, force: true }));

/** A server that, like Bun's, knows a connection only by the request it handed over. */
function serverFor(original: Request) {
  const timeouts: number[] = [];
  return {
    timeouts,
    requestIP: (r: Request) => (r === original ? { address: "203.0.113.7", family: "IPv4" as const, port: 5555 } : null),
    timeout: (r: Request, seconds: number) => {
      if (r === original) timeouts.push(seconds);
    },
  };
}

/** The app stand-in: what it saw, and a JSON answer or the file. */
function app() {
  const seen: { method: string; as: string; url: string; address: string | null }[] = [];
  const fetch = bunFetch((req, env) => {
    seen.push({ method: req.method, as: methodOf(req), url: req.url, address: env.requestIP(req)?.address ?? null });
    if (new URL(req.url).pathname === "/file") return new Response(Bun.file(FILE), { headers: { "content-type": "video/mp4" } });
    return Promise.resolve(Response.json({ status: "Generating", é: "ü" }, { status: 202, headers: { "x-request-id": "r-1" } }));
  });
  return { fetch, seen };
}

test("HEAD answers the GET's status and headers with no body and Content-Length the GET body's byte length", async () => {
  const { fetch, seen } = app();
  const get = await fetch(new Request("http://h/json"), serverFor(new Request("http://h/other")));
  const getBody = new Uint8Array(await get.arrayBuffer());
  const headReq = new Request("http://h/json", { method: "HEAD" });
  const head = await fetch(headReq, serverFor(headReq));
  expect(head.status).toBe(202);
  expect(head.headers.get("x-request-id")).toBe("r-1");
  expect(head.headers.get("content-type")).toBe(get.headers.get("content-type"));
  expect(head.headers.get("content-length")).toBe(String(getBody.byteLength));
  expect(head.body).toBeNull();
  // The app ran a GET, which it logs and counts as the HEAD it is.
  expect(seen[1]).toMatchObject({ method: "GET", as: "HEAD" });
});

test("HEAD of a file gives the file's size", async () => {
  const { fetch } = app();
  const req = new Request("http://h/file", { method: "HEAD" });
  const head = await fetch(req, serverFor(req));
  expect(head.headers.get("content-length")).toBe("123457");
  expect(head.headers.get("content-type")).toBe("video/mp4");
  expect(head.body).toBeNull();
});

test("the GET a HEAD is served as still has the client's address", async () => {
  const { fetch, seen } = app();
  const req = new Request("http://h/json", { method: "HEAD" });
  await fetch(req, serverFor(req));
  expect(seen[0]!.address).toBe("203.0.113.7");
});

test("a relative URL (no usable Host) is served as sent to localhost, with the client's address", async () => {
  const { fetch, seen } = app();
  // Bun hands such a request over with a URL like "/json"; a Request built here cannot have one, so its url is faked.
  const req = new Request("http://h/json");
  Object.defineProperty(req, "url", { value: "/json?a=1" });
  const res = await fetch(req, serverFor(req));
  expect(res.status).toBe(202);
  expect(seen[0]).toMatchObject({ url: "http://localhost/json?a=1", address: "203.0.113.7", as: "GET" });
});

test("a GET as it came reaches the app with Bun's server itself as its connection (nothing made per request)", async () => {
  let env: unknown = null;
  const fetch = bunFetch((_req, e) => {
    env = e;
    return new Response("ok");
  });
  const req = new Request("http://h/get_status?video_id=1");
  const server = serverFor(req);
  await fetch(req, server);
  expect(env).toBe(server);
});

test("any other request reaches the app as it came", async () => {
  let got: Request | null = null;
  const fetch = bunFetch((req) => {
    got = req;
    return new Response("ok");
  });
  const req = new Request("http://h/x", { method: "POST", body: "b" });
  await fetch(req, serverFor(req));
  expect(got!).toBe(req);
  expect(methodOf(req)).toBe("POST");
});

test("the connection answers for the request Bun handed over, whatever request the app asks about (a body wrapped later)", async () => {
  let env: Connection | null = null;
  const fetch = bunFetch((_req, e) => {
    env = e;
    return new Response("ok");
  });
  const req = new Request("http://h/x", { method: "POST", body: "b" });
  const server = serverFor(req);
  await fetch(req, server);
  const wrapped = new Request(req, { body: "other", method: "POST" });
  expect(env!.requestIP(wrapped)?.address).toBe("203.0.113.7");
  env!.timeout(wrapped, 170);
  expect(server.timeouts).toEqual([170]);
});
