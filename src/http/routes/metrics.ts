// GET /metrics: the Prometheus text exposition of this process's registry (scrape-time collectors, such as
// the queue depth by state, run here). Registered only when the app is built with metrics.
import { Hono } from "hono";
import type { AppEnv } from "../context.ts";
import type { RequestScope } from "../request-scope.ts";
import type { Metrics } from "../../metrics.ts";

export function metricsRoutes(scope: RequestScope, metrics: Metrics) {
  const app = new Hono<AppEnv>();
  scope.route(app, "GET", "/metrics", async (_c, reply) => {
    const body = await metrics.text();
    return new Response(body, { status: 200, headers: { "Content-Type": metrics.contentType, "X-Request-Id": reply.id } });
  });
  return app;
}
