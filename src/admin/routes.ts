// /admin: the operator page and its actions, registered only when ADMIN_PASSWORD is set (otherwise the paths
// are unknown like any other: 404). Every request needs basic auth; every action (a POST form) must come
// from this host's own page. An action writes to the database and redirects back to the page (303), so a
// reload never repeats it; bad input is a JSON 4xx like everywhere else in the API.
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Context, MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { AppEnv } from "../http/context.ts";
import type { Logger } from "../log.ts";
import { maskEmail } from "../sidecar/mask.ts";
import { REQUEUE_AFTER_SECONDS } from "../db/admin.ts";
import { basicAuth, sameOrigin } from "./auth.ts";
import { renderPage, NOTICES } from "./page.tsx";
import { findAccount, loadView, type AdminDeps } from "./view.ts";

/** The paths under the request scope, auth and the origin check (app.ts scopes them too). */
// One pattern: Hono's "/admin/*" also matches "/admin" itself, and a second pattern for it would run the
// middleware (and the request scope: a second id and log line) twice on the page.
export const ADMIN_PATHS = ["/admin/*"];

// The page and its answers are the operator's alone: never cached, never framed, nothing loaded from elsewhere.
const securityHeaders: MiddlewareHandler<AppEnv> = async (c, next) => {
  await next();
  c.header("Cache-Control", "no-store");
  c.header("X-Frame-Options", "DENY");
  c.header("X-Content-Type-Options", "nosniff");
  c.header("Referrer-Policy", "same-origin");
  c.header("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
};

const problem = (c: Context<AppEnv>, status: 400 | 404 | 409, error: string, message: string) => c.json({ error, message }, status);

/** A positive whole number (a job id) or null. */
function jobId(value: unknown): number | null {
  if (typeof value !== "string" || !/^[1-9][0-9]{0,15}$/.test(value.trim())) return null;
  const n = Number(value.trim());
  return Number.isSafeInteger(n) ? n : null;
}

export function registerAdminRoutes(app: OpenAPIHono<AppEnv>, deps: AdminDeps, logger: Logger): void {
  const log = logger.child({ component: "admin" });
  for (const path of ADMIN_PATHS) app.use(path, securityHeaders, basicAuth(deps.password), sameOrigin());
  const back = (c: Context<AppEnv>, done: keyof typeof NOTICES) => c.redirect(`/admin?done=${done}`, 303);

  app.get("/admin", async (c) => {
    const done = c.req.query("done");
    return c.html(renderPage(await loadView(deps), done ? NOTICES[done] : undefined));
  });

  /** An action on the account the URL names by its key (view.ts accountKey). */
  const onAccount = (done: keyof typeof NOTICES, act: (account: string) => Promise<void>) => async (c: Context<AppEnv>) => {
    const account = await findAccount(deps, c.req.param("key") ?? "");
    if (!account) return problem(c, 404, "not_found", "no such account");
    await act(account);
    log.info("operator action", { action: done, account: maskEmail(account) });
    return back(c, done);
  };
  app.post("/admin/accounts/:key/pause", onAccount("paused", (a) => deps.queries.setPaused(a, true)));
  app.post("/admin/accounts/:key/resume", onAccount("resumed", (a) => deps.queries.setPaused(a, false)));
  app.post("/admin/accounts/:key/sign-in", onAccount("sign_in", (a) => deps.queries.requestSignIn(a)));

  const requeue = async (c: Context<AppEnv>, id: number | null) => {
    if (id === null) return problem(c, 400, "invalid_parameter", "id must be a video id (a positive whole number)");
    const outcome = await deps.queries.requeueFailed(id, deps.deadlineMinutes);
    switch (outcome) {
      case "not_found":
        return problem(c, 404, "not_found", "no such video");
      case "not_failed":
        return problem(c, 409, "conflict", "only a job in the state failed can be queued again");
      case "image_gone":
        return problem(c, 409, "conflict", "the job's image is no longer stored (it is dropped when a job ends); it cannot run again");
      case "too_recent":
        return problem(c, 409, "conflict", `the job failed less than ${REQUEUE_AFTER_SECONDS} s ago, and a submission of it may still be under way; try again in a few minutes`);
      case "requeued":
        deps.onJobChanged?.(id);
        log.info("operator action", { action: "requeued", job_id: id });
        return back(c, "requeued");
    }
  };
  app.post("/admin/jobs/:id/requeue", (c) => requeue(c, jobId(c.req.param("id"))));
  app.post(
    "/admin/jobs/requeue",
    bodyLimit({ maxSize: 4096, onError: (c) => c.json({ error: "payload_too_large", message: "the form is larger than 4096 bytes" }, 413) }),
    async (c) => {
      const form = await c.req.parseBody().catch(() => null);
      return requeue(c, jobId(form?.id));
    },
  );
}
