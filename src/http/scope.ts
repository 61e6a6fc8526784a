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
  /** Is this a path the API serves (with another method: its 405s are labelled with the path)? */
  knownPath: (path: string) => boolean;
}

export interface RequestScope {
  /** Hono's requestId, then the log/metrics/failure middleware: for `app.use(path, ...)`. */
  middleware: MiddlewareHandler<AppEnv>[];
  /** For `app.onError`: the same failure mapping for errors Hono's compose catches below the scope. */
  onError: ErrorHandler<AppEnv>;
  /**
   * The same scope for a route registered as one handler, with no middleware chain (get_status, see there):
   * the handler's answer, or its failure's, gets the id, the log line and the metrics. Synchronous when the
   * handler is, so Hono answers without composing a chain.
   */
  direct(route: string | undefined, handler: (c: Context<AppEnv>) => Response | Promise<Response>): (c: Context<AppEnv>) => Response | Promise<Response>;
}

export function createRequestScope({ logger, metrics, knownPath }: ScopeOptions): RequestScope {
  // Our ids: this process's prefix and a counter, unique across instances and far cheaper than a UUID each.
  const bootId = crypto.randomUUID().slice(0, 8);
  let requestCount = 0;
  const ids = requestId({ limitLength: 128, generator: () => `${bootId}-${(++requestCount).toString(36)}` });
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

  /** The request's one log line and its metrics; `route` is the registered path, undefined when none matched. */
  function finish(c: Context<AppEnv>, route: string | undefined, status: number, startedAt: number): void {
    const ms = performance.now() - startedAt;
    if (metrics) recorderFor(route ?? (knownPath(c.req.path) ? c.req.path : "unmatched"))(c.req.method, status, ms / 1000);
    if (logRequests) {
      logger.request({
        request_id: c.get("requestId") ?? "unknown",
        method: c.req.method,
        path: route ?? c.req.path,
        status,
        duration_ms: Math.round(ms * 100) / 100,
      });
    }
  }

  const scope: MiddlewareHandler<AppEnv> = async (c, next) => {
    const startedAt = performance.now();
    try {
      await next();
    } catch (err) {
      // Hono's compose hands only Error instances to onError; a thrown string or object arrives here.
      c.res = failure(err, c);
    }
    // The path of the last handler that ran: the route's, or this middleware's own (a path the API serves).
    finish(c, routePath(c), c.res.status, startedAt);
  };

  const afterId = async () => {};
  function direct(route: string | undefined, handler: (c: Context<AppEnv>) => Response | Promise<Response>) {
    return (c: Context<AppEnv>): Response | Promise<Response> => {
      // Already inside the scope middleware (a known path with another method reaching the 404/405 handler).
      if (c.get("requestId") !== undefined) return handler(c);
      const startedAt = performance.now();
      // Hono's requestId does all its work before it awaits `next`: the id is set (and echoed) on return.
      void ids(c, afterId);
      const done = (res: Response) => {
        finish(c, route, res.status, startedAt);
        return res;
      };
      try {
        const answer = handler(c);
        return answer instanceof Promise ? answer.then(done, (err: unknown) => done(failure(err, c))) : done(answer);
      } catch (err) {
        return done(failure(err, c));
      }
    };
  }

  return { middleware: [ids, scope], onError: (err, c) => failure(err, c), direct };
}
