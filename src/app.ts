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

export interface AppDeps {
  videos: VideoService;
  logger: Logger;
  limits: { generationsPerMinute: number; statusPerMinute: number };
  rateLimitStores?: RateLimitStores;
  readiness?: Readiness;
  /** What callers may choose per request (`model`, `quality`, `duration`, `aspect_ratio`): `config.allowed`. */
  allowed: AllowedSettings;
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
  const scope = createRequestScope(deps.logger);

  app.route(
    "/",
    generateRoutes({ scope, videos: deps.videos, generationsPerMinute: deps.limits.generationsPerMinute, store: stores.generations, allowed: deps.allowed }),
  );
  app.route("/", statusRoutes({ scope, videos: deps.videos, statusPerMinute: deps.limits.statusPerMinute, store: stores.status }));
  app.route("/", healthRoutes(scope, deps.readiness));

  app.notFound(
    scope.handler((c, reply) => {
      const allow = ROUTES[c.req.path];
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
