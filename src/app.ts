// The HTTP application, built from its dependencies: middleware, routes, and the one error mapping.
// No I/O happens at import time; tests build it with their own dependency set.
import { Hono } from "hono";
import { requestId } from "hono/request-id";
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

export function createApp(deps: AppDeps) {
  const stores = deps.rateLimitStores ?? memoryRateLimitStores();
  const app = new Hono<AppEnv>();

  app.use(requestId({ limitLength: 128 }));
  app.use(async (c, next) => {
    const started = performance.now();
    const log = deps.logger.child({ request_id: c.get("requestId") });
    c.set("log", log);
    await next();
    if (log.enabled("info")) {
      log.info("request", {
        method: c.req.method,
        path: c.req.path,
        status: c.res.status,
        duration_ms: Math.round((performance.now() - started) * 100) / 100,
      });
    }
  });
  // Hono hands only Error instances to onError; any other thrown value would escape as Bun's own HTML 500.
  app.use(async (_c, next) => {
    try {
      await next();
    } catch (e) {
      throw e instanceof Error ? e : new Error(`non-Error value thrown: ${typeof e === "string" ? e : typeof e}`, { cause: e });
    }
  });

  app.route("/", generateRoutes({ videos: deps.videos, generationsPerMinute: deps.limits.generationsPerMinute, store: stores.generations }));
  app.route("/", statusRoutes({ videos: deps.videos, statusPerMinute: deps.limits.statusPerMinute, store: stores.status }));
  app.route("/", healthRoutes(deps.readiness));

  const send = (c: Parameters<Parameters<typeof app.onError>[0]>[1], r: ErrorResponse) => {
    for (const [k, v] of Object.entries(r.headers)) c.header(k, v);
    return c.json(r.body, r.status);
  };

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
    (c.get("log") ?? deps.logger).error("unhandled error", { request_id: requestId, error: err });
    return send(c, internalErrorResponse(requestId));
  });

  return app;
}
