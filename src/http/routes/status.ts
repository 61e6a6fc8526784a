// GET /get_status: one cached read; someone else's video is the same 404 as a missing one.
import { Hono } from "hono";
import { zValidator } from "@hono/zod-validator";
import type { Store } from "hono-rate-limiter";
import { statusAnswer } from "../../domain/status.ts";
import type { VideoService } from "../../videos.ts";
import type { AppEnv } from "../context.ts";
import { invalidParameter, videoNotFound } from "../errors.ts";
import { perUserRateLimit } from "../rate-limit.ts";
import { getStatusSchema } from "../schemas.ts";

export interface StatusDeps {
  videos: VideoService;
  statusPerMinute: number;
  store: Store<AppEnv>;
}

export function statusRoutes(deps: StatusDeps) {
  const app = new Hono<AppEnv>();
  const limit = perUserRateLimit("status_requests_per_minute", deps.statusPerMinute, deps.store);
  app.get(
    "/get_status",
    zValidator(
      "query",
      getStatusSchema,
      (result) => {
        if (!result.success) {
          const issue = result.error.issues[0]!;
          throw invalidParameter(String(issue.path[0] ?? "query"), issue.message);
        }
      },
      // The schema has nothing asynchronous; the synchronous parse costs half as much on this hot path.
      { validationFunction: (schema, value) => schema.safeParse(value) },
    ),
    async (c, next) => {
      const q = c.req.valid("query");
      c.set("owner", { app_bundle_id: q.app_bundle_id, apphud_user_id: q.apphud_user_id });
      await next();
    },
    limit,
    async (c) => {
      const q = c.req.valid("query");
      const row = q.video_id > 0 ? await deps.videos.status(q.video_id) : null;
      if (!row || row.appBundleId !== q.app_bundle_id || row.apphudUserId !== q.apphud_user_id) throw videoNotFound();
      return c.json(statusAnswer(row.state, row.resultUrl));
    },
  );
  return app;
}
