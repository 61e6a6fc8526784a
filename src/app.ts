// The HTTP application, built from its dependencies: every request in a request scope (id, log line, metrics,
// failure answers), the routes declared once with @hono/zod-openapi (their schemas validate requests and make
// the OpenAPI document at /openapi.json, shown at /docs), and the JSON 404/405. No I/O happens at import time;
// tests build it with their own dependency set.
import { OpenAPIHono } from "@hono/zod-openapi";
import { Scalar } from "@scalar/hono-api-reference";
import type { Logger } from "./log.ts";
import type { VideoService } from "./videos.ts";
import type { AppEnv } from "./http/context.ts";
import { HttpError, invalidInput } from "./http/errors.ts";
import { memoryRateLimitStores, type RateLimitStores } from "./http/rate-limit.ts";
import { createRequestScope } from "./http/scope.ts";
import { registerGenerateRoutes } from "./http/routes/generate.ts";
import { registerStatusRoutes } from "./http/routes/status.ts";
import { registerHealthRoutes, type Readiness } from "./http/routes/health.ts";
import type { AllowedSettings } from "./domain/settings.ts";
import { createApiKeys, type ApiKeyBinding } from "./http/api-keys.ts";
import { registerMetricsRoute } from "./http/routes/metrics.ts";
import { documentConfig, registerKeySchemes } from "./http/openapi.ts";
import type { Metrics } from "./metrics.ts";
import type { CallbackPolicy } from "./webhooks/address.ts";
import { registerWebhookDoc } from "./webhooks/openapi.ts";
import type { QueueDetailSource } from "./db/queue-position.ts";
import { ADMIN_PATHS, registerAdminRoutes } from "./admin/routes.ts";
import type { AdminDeps } from "./admin/view.ts";
import { MEDIA_PATHS, registerMediaRoutes } from "./http/routes/media.ts";
import type { LocalStore } from "./media/local.ts";
import type { UploadGateOptions } from "./http/upload-gate.ts";
import { AllowedMethods } from "./http/allowed-methods.ts";

export interface AppDeps {
  videos: VideoService;
  logger: Logger;
  limits: { generationsPerMinute: number; statusPerMinute: number };
  /** Where the per-minute counters live (RATE_LIMIT_STORE); absent: this process's memory. */
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
  /**
   * get_status `detail=true` (beyond the contract): queue position and ETA of a video that is not final
   * (createQueueDetail in src/db/queue-position.ts, with the accounts' slots as its eta source). Absent:
   * `detail=true` is accepted and answered exactly as without it.
   */
  queueDetail?: QueueDetailSource;
  /**
   * Webhooks: whether callback_url is taken (WEBHOOK_SECRET set) and may reach private addresses
   * (WEBHOOK_ALLOW_PRIVATE). Absent: webhooks off (a callback_url is a 400).
   */
  webhooks?: CallbackPolicy;
  /**
   * The operator page /admin (ADMIN_PASSWORD set): accounts, queue, failures and their actions, behind basic
   * auth. Absent: no such page (/admin is a 404 like any unknown path).
   */
  admin?: AdminDeps;
  /** MEDIA_STORE=local: GET/HEAD /media/… serves our copies from this store. Absent: no /media route (404). */
  media?: LocalStore;
  /** image2video's upload gate; absent: UPLOAD_GATE (src/http/upload-gate.ts). Tests narrow it. */
  uploads?: UploadGateOptions;
}

/** The paths served through the scope middleware: every route's but get_status's. */
const SCOPED_PATHS = ["/text2video", "/image2video", "/health", "/ready", "/metrics", "/openapi.json", "/docs"];

export function createApp(deps: AppDeps) {
  const stores = deps.rateLimitStores ?? memoryRateLimitStores();
  // A route without its own hook turns a zod failure into the contract's 400 naming the field.
  const app = new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) throw invalidInput(result.error);
    },
  });
  // Filled once every route is registered: the paths the API serves and their methods (405 with Allow).
  const allowed = new AllowedMethods();
  const scope = createRequestScope({ logger: deps.logger, metrics: deps.metrics, servedRoute: (path) => allowed.match(path)?.route });
  // Every route runs inside the scope middleware except get_status, a single handler that opens the same
  // scope itself (routes/status.ts says why); paths that match no route get it in the not-found handler.
  for (const path of [...SCOPED_PATHS, ...(deps.admin ? ADMIN_PATHS : []), ...(deps.media ? MEDIA_PATHS : [])]) app.use(path, ...scope.middleware);

  const keys = deps.apiKeys ? createApiKeys(deps.apiKeys) : null;
  registerGenerateRoutes(app, { videos: deps.videos, generationsPerMinute: deps.limits.generationsPerMinute, store: stores.generations, allowed: deps.allowed, keys, webhooks: deps.webhooks, uploads: deps.uploads });
  if (deps.webhooks?.enabled) registerWebhookDoc(app.openAPIRegistry);
  registerStatusRoutes(app, { videos: deps.videos, statusPerMinute: deps.limits.statusPerMinute, store: stores.status, keys, scope, queueDetail: deps.queueDetail });
  registerHealthRoutes(app, deps.readiness);
  if (deps.metrics) registerMetricsRoute(app, deps.metrics);
  if (deps.admin) registerAdminRoutes(app, deps.admin, deps.logger);
  if (deps.media) registerMediaRoutes(app, deps.media);

  // The document describes this instance: with keys on, its security schemes and the 401/403 answers.
  if (keys) registerKeySchemes(app.openAPIRegistry);
  app.doc31("/openapi.json", documentConfig(keys !== null));
  // Scalar's page loads its script from a CDN in the reader's browser; the service only serves this HTML.
  app.get("/docs", Scalar({ url: "/openapi.json", pageTitle: "Pixverse video API" }));

  for (const r of app.routes) if (r.method !== "ALL") allowed.add(r.path, r.method);
  app.notFound(
    scope.direct(undefined, (c) => {
      const allow = allowed.match(c.req.path)?.methods;
      // Thrown, so that the scope answers it with the request id, as any failure.
      throw new HttpError(
        allow && !allow.includes(c.req.method)
          ? { kind: "method_not_allowed", allow }
          : { kind: "not_found", message: `no route ${c.req.method} ${c.req.path}` },
      );
    }),
  );
  app.onError(scope.onError);

  return app;
}
