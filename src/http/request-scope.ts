// Every request's id, its one log line and its error handling, in one place. Two ways in, same behaviour:
// `handler` wraps a route that is a single function (it stays synchronous when the function is, so Hono
// answers without a middleware chain or a promise: the get_status hot path), and `middleware` opens the
// scope for routes that are chains (the generation routes). Inside a scope, a thrown HttpError becomes its
// JSON answer; anything else becomes a generic 500 carrying the request id, and is logged with it.
import type { Context, MiddlewareHandler } from "hono";
import type { Logger } from "../log.ts";
import type { AppEnv } from "./context.ts";
import { HttpError, internalErrorResponse, toErrorResponse, type ErrorResponse } from "./errors.ts";

/** What a caller may send as X-Request-Id (anything else is replaced, never echoed). */
const REQUEST_ID = /^[\w\-.:]{1,128}$/;

type Answer = Response | Promise<Response>;

export interface RequestScope {
  /** A single-function route (or the not-found handler) with its request scope. */
  handler(fn: (c: Context<AppEnv>) => Answer): (c: Context<AppEnv>) => Answer;
  /** The first middleware of a route chain. */
  middleware: MiddlewareHandler<AppEnv>;
  /** Hono's onError for chains: the error's answer, inside the scope that the middleware opened. */
  onError(err: Error, c: Context<AppEnv>): Response;
  /** A JSON answer with the scope's headers, built directly (no header merging): for hot paths. */
  json(c: Context<AppEnv>, body: unknown, status?: number): Response;
  /** An error's JSON answer (with the request id header). */
  errorResponse(c: Context<AppEnv>, error: ErrorResponse): Response;
}

export function createRequestScope(logger: Logger): RequestScope {
  // The id is the caller's X-Request-Id when sane, else this process's prefix and a counter: unique across
  // instances, far cheaper than a UUID per request.
  const bootId = crypto.randomUUID().slice(0, 8);
  let requestCount = 0;
  const logRequests = logger.enabled("info");

  /** Opens the scope; false when one is already open (the not-found handler inside a chain). */
  function begin(c: Context<AppEnv>): boolean {
    if (c.get("requestId") !== undefined) return false;
    const given = c.req.header("x-request-id");
    const id = given && REQUEST_ID.test(given) ? given : `${bootId}-${(++requestCount).toString(36)}`;
    c.set("requestId", id);
    c.set("startedAt", performance.now());
    return true;
  }

  function finish(c: Context<AppEnv>, res: Response): Response {
    if (logRequests) {
      // The id is ours or passed REQUEST_ID (nothing to escape); method and path come from the client.
      const ms = Math.round((performance.now() - c.get("startedAt")) * 100) / 100;
      logger.preformatted(
        "info",
        "request",
        `"request_id":"${c.get("requestId")}","method":${JSON.stringify(c.req.method)},"path":${JSON.stringify(c.req.path)},"status":${res.status},"duration_ms":${ms}`,
      );
    }
    return res;
  }

  const headersOf = (c: Context<AppEnv>, extra?: Record<string, string>): Record<string, string> => ({
    "Content-Type": "application/json",
    "X-Request-Id": c.get("requestId"),
    ...extra,
  });

  const errorResponse = (c: Context<AppEnv>, r: ErrorResponse): Response =>
    new Response(JSON.stringify(r.body), { status: r.status, headers: headersOf(c, r.headers) });

  function failure(c: Context<AppEnv>, err: unknown): Response {
    if (err instanceof HttpError) return errorResponse(c, toErrorResponse(err.error));
    const id = c.get("requestId") ?? "";
    // A thrown non-Error's text is not kept: it may hold anything (SQL, a secret).
    const error = err instanceof Error ? err : `a non-Error value (${typeof err}) was thrown`;
    logger.error("unhandled error", { request_id: id, error });
    return errorResponse(c, internalErrorResponse(id));
  }

  return {
    handler(fn) {
      return (c) => {
        if (!begin(c)) return fn(c);
        let answer: Answer;
        try {
          answer = fn(c);
        } catch (err) {
          return finish(c, failure(c, err));
        }
        if (answer instanceof Promise) {
          return answer.then(
            (res) => finish(c, res),
            (err) => finish(c, failure(c, err)),
          );
        }
        return finish(c, answer);
      };
    },
    async middleware(c, next) {
      if (!begin(c)) return next();
      // Handlers further down answer with c.json: let it carry the id.
      c.header("X-Request-Id", c.get("requestId"));
      try {
        await next();
      } catch (err) {
        // Hono hands only Error instances to onError; any other thrown value would escape as Bun's HTML 500.
        c.res = failure(c, err);
      }
      finish(c, c.res);
    },
    onError: (err, c) => failure(c, err),
    json: (c, body, status = 200) => new Response(JSON.stringify(body), { status, headers: headersOf(c) }),
    errorResponse,
  };
}
