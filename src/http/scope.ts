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

/** The path the scope middleware is registered under: a request that matched nothing else ends on it. */
export const SCOPE_PATH = "/*";

export interface ScopeOptions {
  logger: Logger;
  metrics?: Metrics;
  /** Is this a path the API serves (with another method: its 405s are labelled with the path)? */
  knownPath: (path: string) => boolean;
}

export interface RequestScope {
  /** Hono's requestId, then the log/metrics/failure middleware: for `app.use(SCOPE_PATH, ...)`. */
  middleware: MiddlewareHandler<AppEnv>[];
  /** For `app.onError`: the same failure mapping for errors Hono's compose catches below the scope. */
  onError: ErrorHandler<AppEnv>;
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

  const scope: MiddlewareHandler<AppEnv> = async (c, next) => {
    const startedAt = performance.now();
    try {
      await next();
    } catch (err) {
      // Hono's compose hands only Error instances to onError; a thrown string or object arrives here.
      c.res = failure(err, c);
    }
    const matched = routePath(c);
    const route = matched !== SCOPE_PATH ? matched : undefined;
    const ms = performance.now() - startedAt;
    if (metrics) recorderFor(route ?? (knownPath(c.req.path) ? c.req.path : "unmatched"))(c.req.method, c.res.status, ms / 1000);
    if (logRequests) {
      logger.info("request", {
        request_id: c.get("requestId"),
        method: c.req.method,
        path: route ?? c.req.path,
        status: c.res.status,
        duration_ms: Math.round(ms * 100) / 100,
      });
    }
  };

  return { middleware: [ids, scope], onError: (err, c) => failure(err, c) };
}
