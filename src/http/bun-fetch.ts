// What Bun hands over, made into what the app can serve, in one place (main.ts's Bun.serve fetch):
// - A request whose Host header is missing, empty or not a host name (`Host: a/b`) comes with a relative URL
//   (`/get_status?…`), which Hono cannot route: it answered a plain-text 500 outside the app's error handling,
//   or routed a mangled path. Such a request is served as if sent to `localhost` (HTTP/1.0 clients, some
//   health checkers among them, send no Host at all).
// - HEAD is served as its GET with the body dropped and the body's length kept in Content-Length. Hono drops
//   the body itself, and Bun then writes `Content-Length: 0`: a client asking how large a video (or an answer)
//   is was told it is empty. The copy is logged and counted as HEAD (methodOf).
// - Bun knows a connection only by the request it handed over: for any other (these copies, a body wrapped by
//   the upload gate) `requestIP` answers null. The app's env (hono/bun's getConnInfo reads it) is the
//   connection of the request Bun handed over, whatever request the app asks about.
import type { Server, SocketAddress } from "bun";

/** Bun.serve's idleTimeout (main.ts): a connection whose request goes unanswered this long is closed. */
export const IDLE_TIMEOUT_SECONDS = 60;

/** The connection a request came on: its address, and its idle timeout (Bun.serve's idleTimeout) changed. */
export interface Connection {
  requestIP(req: Request): SocketAddress | null;
  timeout(req: Request, seconds: number): void;
  /** Back to the server's idleTimeout (given for the requests that may change it: not a plain GET). */
  usualTimeout?(): void;
}
type AppFetch = (req: Request, env: Connection) => Response | Promise<Response>;
type BunServer = Pick<Server<undefined>, "requestIP" | "timeout">;

const headCopies = new WeakSet<Request>();

/** The method as the client sent it (HEAD for the GET a HEAD is served as). */
export function methodOf(req: Request): string {
  return req.method === "GET" && headCopies.has(req) ? "HEAD" : req.method;
}

// Private by #: hono/bun's getConnInfo takes an env with a `server` property for that server.
class OriginalConnection implements Connection {
  readonly #server: BunServer;
  readonly #original: Request;
  readonly #idleSeconds: number;
  constructor(server: BunServer, original: Request, idleSeconds: number) {
    this.#server = server;
    this.#original = original;
    this.#idleSeconds = idleSeconds;
  }
  usualTimeout(): void {
    this.#server.timeout(this.#original, this.#idleSeconds);
  }
  requestIP(): SocketAddress | null {
    return this.#server.requestIP(this.#original);
  }
  timeout(_req: Request, seconds: number): void {
    this.#server.timeout(this.#original, seconds);
  }
}

/** `idleSeconds`: the server's idleTimeout, as given to Bun.serve. */
export function bunFetch(fetch: AppFetch, idleSeconds = IDLE_TIMEOUT_SECONDS): (raw: Request, server: BunServer) => Response | Promise<Response> {
  return (raw, server) => {
    let req = raw.url.charCodeAt(0) === 47 /* "/" */ ? new Request(`http://localhost${raw.url}`, raw) : raw;
    if (req.method === "HEAD") {
      req = new Request(req, { method: "GET" });
      headCopies.add(req);
    }
    // A GET served as it came (get_status, the hot path) has nothing to map: Bun's server itself.
    if (req === raw && raw.method === "GET") return fetch(raw, server);
    const answer = fetch(req, new OriginalConnection(server, raw, idleSeconds));
    return raw.method === "HEAD" ? bodiless(answer) : answer;
  };
}

/** The GET answer's status and headers, no body, and Content-Length the body's size (a file's is not read). */
async function bodiless(answer: Response | Promise<Response>): Promise<Response> {
  const res = await answer;
  const headers = new Headers(res.headers);
  if (res.body && !headers.has("content-length")) headers.set("content-length", String((await res.blob()).size));
  return new Response(null, { status: res.status, statusText: res.statusText, headers });
}
