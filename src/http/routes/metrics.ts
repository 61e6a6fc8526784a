// GET /metrics: the Prometheus text exposition of this process's registry (scrape-time collectors, such as
// the queue depth by state, run here). Registered only when the app is built with metrics.
import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../context.ts";
import type { Metrics } from "../../metrics.ts";

export function registerMetricsRoute(app: OpenAPIHono<AppEnv>, metrics: Metrics): void {
  app.openapi(
    createRoute({
      method: "get",
      path: "/metrics",
      summary: "Prometheus metrics of this instance",
      responses: {
        200: {
          description: "Prometheus' text exposition format.",
          content: { "text/plain": { schema: z.string(), example: 'http_requests_total{route="/get_status",method="GET",status="200"} 3\n' } },
        },
      },
    }),
    async (c) => c.text(await metrics.text(), 200, { "Content-Type": metrics.contentType }),
  );
}
