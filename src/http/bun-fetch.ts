// What Bun hands over, made into what the app can serve, in one place (main.ts's Bun.serve fetch):
// - A request whose Host header is missing, empty or not a host name (`Host: a/b`) comes with a relative URL
//   (`/get_status?…`), which Hono cannot route: it answered a plain-text 500 outside the app's error handling,
//   or routed a mangled path. Such a request is served as if sent to `localhost` (HTTP/1.0 clients, some
//   health checkers among them, send no Host at all).
// - HEAD is served as its GET with the body dropped and the body's length kept in Content-Length. Hono drops
//   the body itself, and Bun then writes `Content-Length: 0`: a client asking how large a video (or an answer)
//   is was told it is empty. The copy is logged and counted as HEAD (methodOf).
// - A copy has no socket in Bun's eyes (`requestIP` answers null): the app gets the original's address.
import type { Server } from "bun";

/** The part of Bun's server the app reads (hono/bun's getConnInfo). */
export type AddressSource = Pick<Server<undefined>, "requestIP">;
type AppFetch = (req: Request, env: AddressSource) => Response | Promise<Response>;

const headCopies = new WeakSet<Request>();

/** The method as the client sent it (HEAD for the GET a HEAD is served as). */
export function methodOf(req: Request): string {
  return req.method === "GET" && headCopies.has(req) ? "HEAD" : req.method;
}

export function bunFetch(fetch: AppFetch): (raw: Request, server: AddressSource) => Response | Promise<Response> {
  return (raw, server) => {
    let req = raw.url.charCodeAt(0) === 47 /* "/" */ ? new Request(`http://localhost${raw.url}`, raw) : raw;
    if (req.method === "HEAD") {
      req = new Request(req, { method: "GET" });
      headCopies.add(req);
    }
    if (req === raw) return fetch(req, server);
    const copy = req;
    const env: AddressSource = { requestIP: (r) => server.requestIP(r === copy ? raw : r) };
    return raw.method === "HEAD" ? bodiless(fetch(copy, env)) : fetch(copy, env);
  };
}

/** The GET answer's status and headers, no body, and Content-Length the body's size (a file's is not read). */
async function bodiless(answer: Response | Promise<Response>): Promise<Response> {
  const res = await answer;
  const headers = new Headers(res.headers);
  if (res.body && !headers.has("content-length")) headers.set("content-length", String((await res.blob()).size));
  return new Response(null, { status: res.status, statusText: res.statusText, headers });
}
