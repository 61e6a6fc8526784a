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
  app.get("/health", scope.handler((c) => scope.json(c, { status: "ok" })));
  app.get(
    "/ready",
    scope.handler(async (c) => {
      const report = readiness ? await readiness() : { ready: true, checks: {} };
      return scope.json(c, report, report.ready ? 200 : 503);
    }),
  );
  return app;
}
