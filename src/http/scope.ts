// What every request gets, whatever its route or outcome: an id (Hono's requestId middleware: the caller's
// X-Request-Id when it is a plain token, else ours, echoed on every answer), one JSON log line (method, path
// as registered, status, duration, id), its count and duration in the metrics (by the matched route's path,
// "unmatched" for paths the API does not serve), and the one mapping of failures to answers: an HttpError to
// its JSON, an unreachable database to 503 with Retry-After, anything else to a generic 500 carrying the
// request id (logged with its stack; nothing of it in the body).
import type { Context, ErrorHandler, MiddlewareHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import { requestId } from "hono/request-id";
import { routePath } from "hono/route";
import type { Logger } from "../log.ts";
import type { HttpRecord, Metrics } from "../metrics.ts";
import { isDatabaseUnavailable } from "../db/client.ts";
import { methodOf } from "./bun-fetch.ts";
import type { AppEnv } from "./context.ts";
import {
  DATABASE_UNAVAILABLE,
  HttpError,
  internalErrorResponse,
  invalidBody,
  payloadTooLarge,
  send,
  toErrorResponse,
} from "./errors.ts";

export interface ScopeOptions {
  logger: Logger;
  metrics?: Metrics;
  /** The registered route of a path the API serves (with another method: its 405s are labelled with it). */
  servedRoute: (path: string) => string | undefined;
}

export interface RequestScope {
  /** Hono's requestId, then the log/metrics/failure middleware: for `app.use(path, ...)`. */
  middleware: MiddlewareHandler<AppEnv>[];
  /** For `app.onError`: the same failure mapping for errors Hono's compose catches below the scope. */
  onError: ErrorHandler<AppEnv>;
  /**
   * The same scope for a route registered as one handler, with no middleware chain (get_status, see there):
   * the handler gets the request's id and puts it on its answer (`answerJson`); a failure's answer gets it
   * here; both get the log line and the metrics. Synchronous when the handler is, so Hono answers without
   * composing a chain.
   */
  direct(route: string | undefined, handler: DirectHandler): (c: Context<AppEnv>) => Response | Promise<Response>;
}

/** A route served through `direct`: `id` is the request's id, to be echoed (answerJson does). */
export type DirectHandler = (c: Context<AppEnv>, id: string) => Response | Promise<Response>;

const ID_HEADER = "X-Request-Id";
/** The caller's id is taken when it is a plain token of at most this many characters (as Hono's requestId checks it). */
const ID_MAX_LENGTH = 128;
const NOT_A_PLAIN_TOKEN = /[^\w\-=]/;

/**
 * A JSON answer carrying the request id, made in one step, where Hono's `c.header` then `c.json` build a
 * Headers object and merge it on every request: one of the changes that took get_status from 0.48–0.58 to
 * 0.73–0.77 × hello on bench/api.sh (bench/README.md). The bytes are c.json's (Content-Type application/json).
 */
export function answerJson(id: string, body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json", [ID_HEADER]: id } });
}

export function createRequestScope({ logger, metrics, servedRoute }: ScopeOptions): RequestScope {
  // Our ids: this process's prefix and a counter, unique across instances and far cheaper than a UUID each.
  const bootId = crypto.randomUUID().slice(0, 8);
  let requestCount = 0;
  /** The id our generator made last: Hono's requestId hands it to the scope middleware in the same turn. */
  let lastOwnId = "";
  const newId = () => (lastOwnId = `${bootId}-${(++requestCount).toString(36)}`);
  const ids = requestId({ limitLength: ID_MAX_LENGTH, headerName: ID_HEADER, generator: newId });
  /** What Hono's requestId decides, for `direct`: the caller's id when it is a plain token, else ours. */
  const idOf = (c: Context<AppEnv>): { id: string; ours: boolean } => {
    const given = c.req.raw.headers.get(ID_HEADER);
    return given && given.length <= ID_MAX_LENGTH && !NOT_A_PLAIN_TOKEN.test(given) ? { id: given, ours: false } : { id: newId(), ours: true };
  };
  const logRequests = logger.enabled("info");

  const recorders = new Map<string, HttpRecord>();
  const recorderFor = (route: string): HttpRecord => {
    let r = recorders.get(route);
    if (!r) recorders.set(route, (r = metrics!.http(route)));
    return r;
  };

  function failure(err: unknown, c: Context<AppEnv>): Response {
    if (err instanceof HttpError) return send(c, toErrorResponse(err.error));
    // Hono's own middleware speaks HTTPException; keep the contract's JSON bodies for what it can raise.
    if (err instanceof HTTPException && err.status === 413) return failure(payloadTooLarge("request body is too large"), c);
    if (err instanceof HTTPException && err.status < 500) return failure(invalidBody(err.message || "bad request"), c);
    // The body stream's end when the client closes the connection (or sends a malformed chunk) before the
    // body is whole: whichever reader met it first (Hono's bodyLimit, a parser), the request is a bad one.
    if (err instanceof Error && err.name === "AbortError") return failure(invalidBody("the request body was cut off: the connection closed before it ended"), c);
    const id = c.get("requestId") ?? "unknown";
    // The database cannot be reached: a 503 with Retry-After, not a bug. The driver's text goes to the log only.
    if (isDatabaseUnavailable(err)) {
      logger.warn("database unreachable", { request_id: id, error: err as Error });
      return send(c, toErrorResponse(DATABASE_UNAVAILABLE));
    }
    // A thrown non-Error's text is not kept: it may hold anything (SQL, a secret).
    const error = err instanceof Error ? err : `a non-Error value (${typeof err}) was thrown`;
    logger.error("unhandled error", { request_id: id, error });
    return send(c, internalErrorResponse(id));
  }

  /**
   * The request's one log line and its metrics; `route` is the registered path, undefined when none matched.
   * `ownId`: the id is one of ours (not the caller's), so with a route the line holds nothing the caller wrote.
   */
  function finish(c: Context<AppEnv>, route: string | undefined, status: number, startedAt: number, id: string, ownId = false): void {
    const ms = performance.now() - startedAt;
    if (metrics) recorderFor(route ?? servedRoute(c.req.path) ?? "unmatched")(methodOf(c.req.raw), status, ms / 1000);
    if (logRequests) {
      logger.request({
        request_id: id,
        method: methodOf(c.req.raw),
        path: route ?? c.req.path,
        status,
        duration_ms: Math.round(ms * 100) / 100,
        callerFree: ownId && route !== undefined,
      });
    }
  }

  const scope: MiddlewareHandler<AppEnv> = async (c, next) => {
    const startedAt = performance.now();
    // Hono's requestId ran just before this, synchronously: the id is ours when our generator just made it.
    const id = c.get("requestId") ?? "unknown";
    const ownId = id === lastOwnId;
    try {
      await next();
    } catch (err) {
      // Hono's compose hands only Error instances to onError; a thrown string or object arrives here.
      c.res = failure(err, c);
    }
    // The path of the last handler that ran: the route's, or this middleware's own (a path the API serves).
    finish(c, routePath(c), c.res.status, startedAt, id, ownId);
  };

  function direct(route: string | undefined, handler: DirectHandler) {
    return (c: Context<AppEnv>): Response | Promise<Response> => {
      // Already inside the scope middleware (a known path with another method reaching the 404/405 handler).
      const scoped = c.get("requestId");
      if (scoped !== undefined) return handler(c, scoped);
      const startedAt = performance.now();
      const { id, ours } = idOf(c);
      const failed = (err: unknown) => {
        // The slow path: the failure mapping reads the id from the context and answers through c.json.
        c.set("requestId", id);
        c.header(ID_HEADER, id);
        return failure(err, c);
      };
      const done = (res: Response) => {
        finish(c, route, res.status, startedAt, id, ours);
        return res;
      };
      try {
        const answer = handler(c, id);
        return answer instanceof Promise ? answer.then(done, (err: unknown) => done(failed(err))) : done(answer);
      } catch (err) {
        return done(failed(err));
      }
    };
  }

  return { middleware: [ids, scope], onError: (err, c) => failure(err, c), direct };
}
