// The operator page's two guards: HTTP basic auth (user `admin`, ADMIN_PASSWORD) on every /admin request, and
// a same-origin check on every action (POST), so that a page on another site cannot make a signed-in
// operator's browser (which resends basic credentials by itself) pause an account or requeue a job.
import { createHash, timingSafeEqual } from "node:crypto";
import type { Context, MiddlewareHandler } from "hono";
import type { AppEnv } from "../http/context.ts";

export const ADMIN_USER = "admin";
const REALM = "Pixverse video API operator page";

const digest = (s: string) => createHash("sha256").update(s, "utf8").digest();

/**
 * Compares SHA-256 digests in constant time: equal lengths whatever was sent, so neither the content nor
 * the length of the password leaks through timing.
 */
function sameSecret(given: string, expected: Buffer): boolean {
  return timingSafeEqual(digest(given), expected);
}

/** `Authorization: Basic base64(user:password)` → its parts; null when absent or malformed. */
export function parseBasic(header: string | undefined): { user: string; password: string } | null {
  const m = header ? /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header) : null;
  if (!m) return null;
  const decoded = Buffer.from(m[1]!, "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  return colon < 0 ? null : { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

function unauthorized(c: Context<AppEnv>): Response {
  c.header("WWW-Authenticate", `Basic realm="${REALM}", charset="UTF-8"`);
  c.header("Cache-Control", "no-store");
  return c.json({ error: "unauthorized", message: "the operator page needs the user admin and ADMIN_PASSWORD (HTTP basic auth)" }, 401);
}

/** 401 with WWW-Authenticate: Basic unless the request carries `admin` and the password. */
export function basicAuth(password: string): MiddlewareHandler<AppEnv> {
  const expectedPassword = digest(password);
  const expectedUser = digest(ADMIN_USER);
  return async (c, next) => {
    const given = parseBasic(c.req.header("authorization"));
    // Both compared every time: a wrong user name takes as long as a wrong password.
    const userOk = sameSecret(given?.user ?? "", expectedUser);
    const passwordOk = sameSecret(given?.password ?? "", expectedPassword);
    if (!given || !userOk || !passwordOk) return unauthorized(c);
    await next();
  };
}

/** The host part of an Origin or Referer value; null when it is not a URL (`null` is what sandboxed pages send). */
function hostOf(value: string | undefined): string | null {
  if (!value) return null;
  try {
    return new URL(value).host.toLowerCase();
  } catch {
    return null;
  }
}

/**
 * Actions only from pages of this very host: the browser's Origin (or, where an old browser sends none, its
 * Referer) must name the host the request was sent to. Compared with the Host header rather than the URL the
 * server sees, which behind a TLS-terminating proxy (Fly) has another scheme. Absent both: refused.
 */
export function sameOrigin(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (c.req.method !== "POST") return next();
    const host = c.req.header("host")?.toLowerCase();
    const from = hostOf(c.req.header("origin")) ?? hostOf(c.req.header("referer"));
    if (!host || from !== host) {
      return c.json({ error: "forbidden", message: "operator actions are only taken from the operator page itself (the Origin header must name this host)" }, 403);
    }
    await next();
  };
}
