// Liveness (/health: the process answers) and readiness (/ready: the database and the generator are usable).
import { Hono } from "hono";
import type { AppEnv } from "../context.ts";
import type { RequestScope } from "../request-scope.ts";

export interface ReadinessReport {
  ready: boolean;
  checks: Record<string, { ok: boolean; detail?: string }>;
}
export type Readiness = () => Promise<ReadinessReport>;

export function healthRoutes(scope: RequestScope, readiness?: Readiness) {
  const app = new Hono<AppEnv>();
  scope.route(app, "GET", "/health", (_c, reply) => reply.json({ status: "ok" }));
  scope.route(app, "GET", "/ready", async (_c, reply) => {
    const report = readiness ? await readiness() : { ready: true, checks: {} };
    return reply.json(report, report.ready ? 200 : 503);
  });
  return app;
}
