// Every request's id, its one log line and its error handling, in one place. `handler` wraps a route that is a
// single function and hands it the request's Reply (its id, and how to answer with it). The wrapper stays
// synchronous when the function is, so Hono answers the get_status hot path without a promise. Inside a
// scope, a thrown HttpError becomes its JSON answer, an unreachable database (isDatabaseUnavailable) a 503 with
// Retry-After, and anything else a generic 500 carrying the request id, logged with it. Nothing is kept in
// Hono's context variables: a Map per request was a measurable part of a status read. With metrics, each
// answer is also counted by route (its declared path, never the raw URL; "unmatched" for paths the API does
// not serve) and its duration observed, through children made once.
import type { Context, Hono } from "hono";
import type { Logger } from "../log.ts";
import type { HttpRecord, Metrics } from "../metrics.ts";
import type { AppEnv } from "./context.ts";
import { isDatabaseUnavailable } from "../db/client.ts";
import { DATABASE_UNAVAILABLE, HttpError, internalErrorResponse, toErrorResponse, type ErrorResponse } from "./errors.ts";

/** What a caller may send as X-Request-Id (anything else is replaced, never echoed). */
const REQUEST_ID = /^[\w\-.:]{1,128}$/;

type Answer = Response | Promise<Response>;

/** One request's id and its way to answer: JSON with Content-Type and X-Request-Id, built directly. */
export class Reply {
  constructor(
    readonly id: string,
    readonly startedAt: number,
  ) {}

  json(body: unknown, status = 200): Response {
    return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json", "X-Request-Id": this.id } });
  }

  error(r: ErrorResponse): Response {
    return new Response(JSON.stringify(r.body), {
      status: r.status,
      headers: { "Content-Type": "application/json", "X-Request-Id": this.id, ...r.headers },
    });
  }
}

type RouteFn = (c: Context<AppEnv>, reply: Reply) => Answer;

export interface RequestScope {
  /** A single-function handler (the not-found handler) with its request scope; method and path are read from the request. */
  handler(fn: RouteFn): (c: Context<AppEnv>) => Answer;
  /** Registers a single-function route with its request scope; its log line names the method and path as registered. */
  route(app: Hono<AppEnv>, method: "GET" | "POST", path: string, fn: RouteFn): void;
  /** Hono's onError, for anything thrown outside a scope: a generic 500 with a fresh id, logged. */
  onError(err: Error, c: Context<AppEnv>): Response;
}

export interface ScopeMetrics {
  metrics: Metrics;
  /** Is this a path the API serves (its 405s are labelled with the path)? Anything else is "unmatched". */
  knownPath: (path: string) => boolean;
}

export function createRequestScope(logger: Logger, scopeMetrics?: ScopeMetrics): RequestScope {
  // The id is the caller's X-Request-Id when sane, else this process's prefix and a counter: unique across
  // instances, far cheaper than a UUID per request.
  const bootId = crypto.randomUUID().slice(0, 8);
  let requestCount = 0;
  const logRequests = logger.enabled("info");

  function open(c: Context<AppEnv>): Reply {
    const given = c.req.header("x-request-id");
    const id = given && REQUEST_ID.test(given) ? given : `${bootId}-${(++requestCount).toString(36)}`;
    return new Reply(id, performance.now());
  }

  /** The log line's `"method":…,"path":…` members: method and path come from the client, so escape them. */
  const requestMembers = (c: Context<AppEnv>) => `"method":${JSON.stringify(c.req.method)},"path":${JSON.stringify(c.req.path)}`;

  // One recorder per route label, shared by the route and the not-found handler's 405s.
  const recorders = new Map<string, HttpRecord>();
  const recorderFor = (route: string): HttpRecord => {
    let r = recorders.get(route);
    if (!r) recorders.set(route, (r = scopeMetrics!.metrics.http(route)));
    return r;
  };
  /** The recorder for a request that matched no registered route. */
  const unmatched = (c: Context<AppEnv>): HttpRecord => recorderFor(scopeMetrics!.knownPath(c.req.path) ? c.req.path : "unmatched");

  function finish(reply: Reply, res: Response, members: string, c: Context<AppEnv>, record?: HttpRecord): Response {
    if (scopeMetrics) (record ?? unmatched(c))(c.req.method, res.status, (performance.now() - reply.startedAt) / 1000);
    if (logRequests) {
      // The id is ours or passed REQUEST_ID: nothing to escape.
      const ms = Math.round((performance.now() - reply.startedAt) * 100) / 100;
      logger.preformatted("info", "request", `"request_id":"${reply.id}",${members},"status":${res.status},"duration_ms":${ms}`);
    }
    return res;
  }

  function failure(reply: Reply, err: unknown): Response {
    if (err instanceof HttpError) return reply.error(toErrorResponse(err.error));
    // The database cannot be reached: a 503 with Retry-After, not a bug. The driver's text goes to the log only.
    if (isDatabaseUnavailable(err)) {
      logger.warn("database unreachable", { request_id: reply.id, error: err as Error });
      return reply.error(toErrorResponse(DATABASE_UNAVAILABLE));
    }
    // A thrown non-Error's text is not kept: it may hold anything (SQL, a secret).
    const error = err instanceof Error ? err : `a non-Error value (${typeof err}) was thrown`;
    logger.error("unhandled error", { request_id: reply.id, error });
    return reply.error(internalErrorResponse(reply.id));
  }

  function scoped(fn: RouteFn, route?: { method: string; path: string }): (c: Context<AppEnv>) => Answer {
    const fixed = route && `"method":${JSON.stringify(route.method)},"path":${JSON.stringify(route.path)}`;
    const record = scopeMetrics && route ? recorderFor(route.path) : undefined;
    // HEAD reaches GET routes: log what was asked.
    const done = (c: Context<AppEnv>, reply: Reply, res: Response) =>
      finish(reply, res, fixed && c.req.method === route.method ? fixed : requestMembers(c), c, record);
    return (c) => {
      const reply = open(c);
      let answer: Answer;
      try {
        answer = fn(c, reply);
      } catch (err) {
        return done(c, reply, failure(reply, err));
      }
      if (answer instanceof Promise) {
        return answer.then(
          (res) => done(c, reply, res),
          (err) => done(c, reply, failure(reply, err)),
        );
      }
      return done(c, reply, answer);
    };
  }

  return {
    handler: (fn) => scoped(fn),
    route(app, method, path, fn) {
      app.on(method, path, scoped(fn, { method, path }));
    },
    onError: (err, c) => {
      const reply = open(c);
      return finish(reply, failure(reply, err), requestMembers(c), c);
    },
  };
}
