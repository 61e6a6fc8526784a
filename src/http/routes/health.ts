// Liveness (/health: the process answers) and readiness (/ready: the database and the generator are usable).
import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../context.ts";
import { okAnswer } from "../openapi.ts";

export interface ReadinessReport {
  ready: boolean;
  checks: Record<string, { ok: boolean; detail?: string }>;
}
export type Readiness = () => Promise<ReadinessReport>;

const HEALTH = z.object({ status: z.literal("ok") }).openapi("Health");
const READINESS = z
  .object({
    ready: z.boolean(),
    checks: z.record(z.string(), z.object({ ok: z.boolean(), detail: z.string().optional() })),
  })
  .openapi("Readiness");

const READY_EXAMPLE = { ready: true, checks: { database: { ok: true }, migrations: { ok: true, detail: "7 of 7 applied" }, pixverse: { ok: true, detail: "ready" } } };
const NOT_READY_EXAMPLE = { ready: false, checks: { database: { ok: true }, pixverse: { ok: false, detail: "needs_human" } } };

export function registerHealthRoutes(app: OpenAPIHono<AppEnv>, readiness?: Readiness): void {
  app.openapi(
    createRoute({
      method: "get",
      path: "/health",
      summary: "The process answers",
      responses: { 200: okAnswer("Alive.", HEALTH, { alive: { status: "ok" } }) },
    }),
    (c) => c.json({ status: "ok" as const }, 200),
  );
  app.openapi(
    createRoute({
      method: "get",
      path: "/ready",
      summary: "The database answers and a Pixverse account is signed in and usable",
      responses: {
        200: okAnswer("Ready.", READINESS, { ready: READY_EXAMPLE }),
        503: okAnswer("Not ready; the failing check says why.", READINESS, { "not ready": NOT_READY_EXAMPLE }),
      },
    }),
    async (c) => {
      const report = readiness ? await readiness() : { ready: true, checks: {} };
      return report.ready ? c.json(report, 200) : c.json(report, 503);
    },
  );
}
