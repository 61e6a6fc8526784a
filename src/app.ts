// The HTTP application, built from its dependencies: routes, each inside a request scope (id, log line,
// error answers), and the JSON 404/405. No I/O happens at import time; tests build it with their own
// dependency set.
import { Hono } from "hono";
import type { Logger } from "./log.ts";
import type { VideoService } from "./videos.ts";
import type { AppEnv } from "./http/context.ts";
import { toErrorResponse } from "./http/errors.ts";
import { memoryRateLimitStores, type RateLimitStores } from "./http/rate-limit.ts";
import { createRequestScope } from "./http/request-scope.ts";
import { generateRoutes } from "./http/routes/generate.ts";
import { statusRoutes } from "./http/routes/status.ts";
import { healthRoutes, type Readiness } from "./http/routes/health.ts";
import type { AllowedSettings } from "./domain/settings.ts";
import { createApiKeys, type ApiKeyBinding } from "./http/api-keys.ts";
import { metricsRoutes } from "./http/routes/metrics.ts";
import type { Metrics } from "./metrics.ts";

export interface AppDeps {
  videos: VideoService;
  logger: Logger;
  limits: { generationsPerMinute: number; statusPerMinute: number };
  rateLimitStores?: RateLimitStores;
  readiness?: Readiness;
  /** What callers may choose per request (`model`, `quality`, `duration`, `aspect_ratio`): `config.allowed`. */
  allowed: AllowedSettings;
  /**
   * API keys and the app_bundle_id patterns each may act for: `config.apiKeys`. Null or absent: keys are off
   * and the routes do no key work at all. An empty list turns keys on with no valid key (every API call 401).
   */
  apiKeys?: readonly ApiKeyBinding[] | null;
  /**
   * Prometheus metrics (createMetrics()): requests are counted and timed, and GET /metrics serves them.
   * Absent: no metric work at all and no /metrics route (a 404).
   */
  metrics?: Metrics;
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
  // No app-wide middleware: a route that is one synchronous function (get_status from the cache) is
  // answered by Hono without a middleware chain or a promise. Every route opens the request scope itself.
  const routes: Record<string, string[]> = deps.metrics ? { ...ROUTES, "/metrics": ["GET"] } : ROUTES;
  const scope = createRequestScope(deps.logger, deps.metrics && { metrics: deps.metrics, knownPath: (path) => Object.hasOwn(routes, path) });
  // Keys are checked by the API routes themselves (401 first, 403 once app_bundle_id is validated); /health,
  // /ready and the 404/405 answers need none.
  const keys = deps.apiKeys ? createApiKeys(deps.apiKeys) : null;

  app.route(
    "/",
    generateRoutes({ scope, videos: deps.videos, generationsPerMinute: deps.limits.generationsPerMinute, store: stores.generations, allowed: deps.allowed, keys }),
  );
  app.route("/", statusRoutes({ scope, videos: deps.videos, statusPerMinute: deps.limits.statusPerMinute, store: stores.status, keys }));
  app.route("/", healthRoutes(scope, deps.readiness));
  if (deps.metrics) app.route("/", metricsRoutes(scope, deps.metrics));

  app.notFound(
    scope.handler((c, reply) => {
      const allow = Object.hasOwn(routes, c.req.path) ? routes[c.req.path] : undefined;
      const error =
        allow && !allow.includes(c.req.method)
          ? toErrorResponse({ kind: "method_not_allowed", allow })
          : toErrorResponse({ kind: "not_found", message: `no route ${c.req.method} ${c.req.path}` });
      return reply.error(error);
    }),
  );
  app.onError(scope.onError);

  return app;
}
