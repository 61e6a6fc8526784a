// Liveness (/health: the process answers) and readiness (/ready: the database and the generator are usable).
import { Hono } from "hono";
import type { AppEnv } from "../context.ts";

export interface ReadinessReport {
  ready: boolean;
  checks: Record<string, { ok: boolean; detail?: string }>;
}
export type Readiness = () => Promise<ReadinessReport>;

export function healthRoutes(readiness?: Readiness) {
  const app = new Hono<AppEnv>();
  app.get("/health", (c) => c.json({ status: "ok" }));
  app.get("/ready", async (c) => {
    const report = readiness ? await readiness() : { ready: true, checks: {} };
    return c.json(report, report.ready ? 200 : 503);
  });
  return app;
}
