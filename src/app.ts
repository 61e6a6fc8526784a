// The HTTP application, built from its dependencies: middleware, routes, and the one error mapping.
// No I/O happens at import time; tests build it with their own dependency set.
import { Hono, type Context } from "hono";
import type { Logger } from "./log.ts";
import type { VideoService } from "./videos.ts";
import type { AppEnv } from "./http/context.ts";
import { HttpError, internalErrorResponse, toErrorResponse, type ErrorResponse } from "./http/errors.ts";
import { memoryRateLimitStores, type RateLimitStores } from "./http/rate-limit.ts";
import { generateRoutes } from "./http/routes/generate.ts";
import { statusRoutes } from "./http/routes/status.ts";
import { healthRoutes, type Readiness } from "./http/routes/health.ts";

export interface AppDeps {
  videos: VideoService;
  logger: Logger;
  limits: { generationsPerMinute: number; statusPerMinute: number };
  rateLimitStores?: RateLimitStores;
  readiness?: Readiness;
}

/** Paths the API serves and the methods each takes: a known path with another method is 405, not 404. */
const ROUTES: Record<string, string[]> = {
  "/text2video": ["POST"],
  "/image2video": ["POST"],
  "/get_status": ["GET"],
  "/health": ["GET"],
  "/ready": ["GET"],
};

/** What a caller may send as X-Request-Id (anything else is replaced, never echoed). */
const REQUEST_ID = /^[\w\-.:]{1,128}$/;

export function createApp(deps: AppDeps) {
  const stores = deps.rateLimitStores ?? memoryRateLimitStores();
  const app = new Hono<AppEnv>();
  const send = (c: Context<AppEnv>, r: ErrorResponse) => {
    for (const [k, v] of Object.entries(r.headers)) c.header(k, v);
    return c.json(r.body, r.status);
  };

  // One middleware for the request's id, its log line and its last-resort error handling (each a separate
  // middleware costs measurably on the status hot path). The id is the caller's X-Request-Id when sane, else
  // this process's prefix and a counter: unique across instances, far cheaper than a UUID per request.
  const bootId = crypto.randomUUID().slice(0, 8);
  let requestCount = 0;
  const logRequests = deps.logger.enabled("info");
  app.use(async (c, next) => {
    const started = performance.now();
    const given = c.req.header("x-request-id");
    const id = given && REQUEST_ID.test(given) ? given : `${bootId}-${(++requestCount).toString(36)}`;
    c.set("requestId", id);
    try {
      await next();
    } catch (e) {
      // Hono hands only Error instances to onError; any other thrown value would escape as Bun's HTML 500.
      // Its text is not kept: a thrown string may hold anything (SQL, a secret).
      deps.logger.error("unhandled error", { request_id: id, error: `a non-Error value (${typeof e}) was thrown` });
      c.res = send(c, internalErrorResponse(id));
    }
    c.res.headers.set("X-Request-Id", id);
    if (logRequests) {
      deps.logger.info("request", {
        request_id: id,
        method: c.req.method,
        path: c.req.path,
        status: c.res.status,
        duration_ms: Math.round((performance.now() - started) * 100) / 100,
      });
    }
  });

  app.route("/", generateRoutes({ videos: deps.videos, generationsPerMinute: deps.limits.generationsPerMinute, store: stores.generations }));
  app.route("/", statusRoutes({ videos: deps.videos, statusPerMinute: deps.limits.statusPerMinute, store: stores.status }));
  app.route("/", healthRoutes(deps.readiness));

  app.notFound((c) => {
    const allow = ROUTES[c.req.path];
    if (allow && !allow.includes(c.req.method)) {
      return send(c, toErrorResponse({ kind: "method_not_allowed", allow }));
    }
    return send(c, toErrorResponse({ kind: "not_found", message: `no route ${c.req.method} ${c.req.path}` }));
  });

  app.onError((err, c) => {
    const requestId = c.get("requestId") ?? "";
    if (err instanceof HttpError) return send(c, toErrorResponse(err.error));
    deps.logger.error("unhandled error", { request_id: requestId, error: err });
    return send(c, internalErrorResponse(requestId));
  });

  return app;
}
