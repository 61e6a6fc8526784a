// Optional API keys (off unless API_KEYS or API_KEYS_FILE is set). With keys on, the three API routes need a
// key, and a key acts only for the app_bundle_id values it is bound to:
//   - no key, or one that is not configured      → 401 {"error":"unauthorized"} with `WWW-Authenticate: Bearer`,
//     before anything else (the body is not read, no rate limit is counted);
//   - a known key for an app_bundle_id it is not bound to → 403 {"error":"forbidden","field":"app_bundle_id"},
//     after the parameters are validated (a missing or bad app_bundle_id is still the 400) and before any
//     rate limit is counted.
// /health, /ready and the 404/405 answers need no key (health checks, such as Fly's on /health, send none).
// The key comes as `Authorization: Bearer <key>` or `X-API-Key: <key>`; never in the query string (URLs end up
// in proxies' logs). Configured keys are hashed once (SHA-256); a presented key is hashed and compared with
// every configured hash in constant time, without stopping at a match. Keys are never logged: the request log
// line holds only the method, path, status and timing, and no error body repeats a key.
// The configuration format (API_KEYS) is parsed here too, so that format, check and documentation live together.
import { timingSafeEqual } from "node:crypto";
import type { Context, MiddlewareHandler } from "hono";
import { HttpError } from "./errors.ts";
import type { AppEnv } from "./context.ts";

/** One configured key and the app_bundle_id patterns it may act for (`*`, `com.example.*`, or an exact id). */
export interface ApiKeyBinding {
  key: string;
  appBundleIds: string[];
}

/** Keys are token68 (RFC 6750's Bearer token syntax), so they fit either header as they are. */
const KEY = /^[A-Za-z0-9\-._~+/]+=*$/;
export const API_KEY_MIN_LENGTH = 16;
export const API_KEY_MAX_LENGTH = 512;

/** `*`, `prefix.*` (a non-empty prefix, no other `*`), or an exact app_bundle_id without `*`. */
function validPattern(p: string): boolean {
  if (p === "*") return true;
  const stem = p.endsWith(".*") ? p.slice(0, -2) : p;
  return stem !== "" && !stem.includes("*");
}

/** The format of API_KEYS, for messages and documentation. */
export const API_KEYS_FORMAT = "KEY:APP|APP…, entries separated by commas or new lines (APP: an app_bundle_id, `prefix.*` or `*`)";

/**
 * Parses API_KEYS: `KEY:APP|APP,KEY:APP` — entries separated by commas and/or white space (new lines in a
 * file); each entry is a key, a colon, and the app_bundle_id patterns it may act for, separated by `|`.
 * A pattern is an exact app_bundle_id, `prefix.*` (every id starting with `prefix.`), or `*` (every id).
 * A line starting with `#` is a comment.
 * Problems are described by entry number only: no part of the value (which holds keys) is ever repeated.
 */
export function parseApiKeys(text: string): { bindings: ApiKeyBinding[]; problems: string[] } {
  const bindings: ApiKeyBinding[] = [];
  const problems: string[] = [];
  // A line starting with # is a comment (for API_KEYS_FILE).
  const entries = text.replace(/^[ \t]*#.*$/gm, "").split(/[\s,]+/).filter(Boolean);
  if (entries.length === 0) problems.push(`names no key; expected ${API_KEYS_FORMAT}`);
  const seen = new Set<string>();
  entries.forEach((entry, i) => {
    const n = i + 1;
    const colon = entry.indexOf(":");
    if (colon === -1) {
      problems.push(`entry ${n} has no ':' between the key and its app_bundle_id values (${API_KEYS_FORMAT})`);
      return;
    }
    const key = entry.slice(0, colon);
    if (key.length < API_KEY_MIN_LENGTH || key.length > API_KEY_MAX_LENGTH || !KEY.test(key)) {
      problems.push(
        `entry ${n}: a key must be ${API_KEY_MIN_LENGTH} to ${API_KEY_MAX_LENGTH} characters of A-Z a-z 0-9 - . _ ~ + / (and = at the end)`,
      );
      return;
    }
    if (seen.has(key)) {
      problems.push(`entry ${n} repeats the key of an earlier entry`);
      return;
    }
    seen.add(key);
    const appBundleIds = entry.slice(colon + 1).split("|");
    const bad = appBundleIds.findIndex((p) => !validPattern(p));
    if (bad !== -1) {
      problems.push(`entry ${n}: app_bundle_id pattern ${bad + 1} must be an app_bundle_id, a prefix ending in .* or *`);
      return;
    }
    bindings.push({ key, appBundleIds });
  });
  return { bindings, problems };
}

/**
 * The security schemes of the OpenAPI document (components.securitySchemes). Both headers carry the same
 * key; the routes accept either.
 */
export const API_KEY_SECURITY_SCHEMES = {
  bearerKey: {
    type: "http",
    scheme: "bearer",
    description:
      "Only when the operator sets API_KEYS (off by default). The key as `Authorization: Bearer <key>` (or `X-API-Key: <key>`). " +
      "No or an unknown key: 401 with `WWW-Authenticate: Bearer`. A key acts only for the app_bundle_id values it is bound to: " +
      "any other app_bundle_id is 403 naming app_bundle_id. /health and /ready need no key.",
  },
  apiKeyHeader: {
    type: "apiKey",
    in: "header",
    name: "X-API-Key",
    description: "The same key as the bearer scheme, in its own header.",
  },
} as const;

/** What an authenticated key may do: `authorize` throws the 403 for an app_bundle_id it is not bound to. */
export interface ApiKeyGrant {
  authorize(appBundleId: string): void;
}

export interface ApiKeys {
  /** The grant of the request's key; throws the 401 when there is none or it is not configured. */
  authenticate(c: Context): ApiKeyGrant;
}

const unauthorized = (message: string) => new HttpError({ kind: "unauthorized", message });
const forbidden = () =>
  new HttpError({ kind: "forbidden", field: "app_bundle_id", message: "this API key may not act for this app_bundle_id" });

const sha256 = (s: string): Uint8Array => Bun.SHA256.hash(s) as Uint8Array;

function grantOf(patterns: string[]): ApiKeyGrant {
  if (patterns.includes("*")) return { authorize() {} };
  const exact = new Set(patterns.filter((p) => !p.endsWith("*")));
  // `com.example.*` → `com.example.`: every id that starts with it.
  const prefixes = patterns.filter((p) => p.endsWith(".*")).map((p) => p.slice(0, -1));
  return {
    authorize(id) {
      if (exact.has(id)) return;
      for (const prefix of prefixes) if (id.startsWith(prefix)) return;
      throw forbidden();
    },
  };
}

/** The key a request presents (trimmed), or undefined; throws the 401 when the two headers disagree. */
function presentedKey(c: Context): string | undefined {
  const authorization = c.req.header("authorization");
  let bearer: string | undefined;
  if (authorization !== undefined) {
    const m = /^bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization);
    if (m) bearer = m[1];
  }
  const header = c.req.header("x-api-key")?.trim() || undefined;
  if (bearer !== undefined && header !== undefined && bearer !== header) {
    throw unauthorized("Authorization and X-API-Key carry different keys; send one");
  }
  return bearer ?? header;
}

/**
 * The check over the configured keys. An empty list turns keys on with no valid key (everything is 401): a
 * caller that means "off" passes null/undefined to createApp instead.
 */
export function createApiKeys(bindings: readonly ApiKeyBinding[]): ApiKeys {
  const hashes = bindings.map((b) => sha256(b.key));
  const grants = bindings.map((b) => grantOf(b.appBundleIds));
  const scratch = new Uint8Array(32);
  return {
    authenticate(c) {
      const key = presentedKey(c);
      if (key === undefined) {
        throw unauthorized("an API key is required: send it as `Authorization: Bearer <key>` or `X-API-Key: <key>`");
      }
      // Every configured hash is compared, whatever matched before: the time depends only on how many keys
      // are configured, not on which one (if any) matches or how much of it does. Hashing first makes the
      // compared lengths equal whatever length was presented.
      // Into one reused buffer: Bun's one-shot SHA-256 is synchronous, and 4x faster than node:crypto's.
      const presented = Bun.SHA256.hash(key, scratch) as Uint8Array;
      let found = -1;
      for (let i = 0; i < hashes.length; i++) {
        const same = timingSafeEqual(presented, hashes[i]!);
        found = same ? i : found;
      }
      if (found === -1) throw unauthorized("the API key is not valid");
      return grants[found]!;
    },
  };
}

/**
 * The key check as the first middleware of an API route (401 before the body is read or anything counted);
 * the grant it leaves in the context is checked against app_bundle_id once that is validated (403).
 */
export function requireApiKey(keys: ApiKeys): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    c.set("grant", keys.authenticate(c));
    await next();
  };
}
