// Typed errors of the HTTP layer and their one mapping to responses. Nothing else decides a status code.
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { z } from "@hono/zod-openapi";
export type LimitName = "generations_per_minute" | "status_requests_per_minute" | "active_videos_per_user" | "queue_depth";

export type ApiError =
  | { kind: "invalid_parameter"; field: string; message: string }
  | { kind: "invalid_body"; message: string }
  | { kind: "invalid_image"; message: string }
  | { kind: "unauthorized"; message: string }
  | { kind: "forbidden"; field: string; message: string }
  | { kind: "not_found"; message: string }
  | { kind: "method_not_allowed"; allow: string[] }
  | { kind: "payload_too_large"; message: string }
  /** The body did not arrive in time (a slow upload); the connection is closed. */
  | { kind: "request_timeout"; message: string }
  | { kind: "idempotency_conflict"; message: string }
  /** A Range outside the file (/media); `size` is the file's length, for the Content-Range header. */
  | { kind: "range_not_satisfiable"; message: string; size: number }
  | { kind: "rate_limited"; limit: LimitName; message: string; retryAfterSeconds: number }
  | { kind: "service_unavailable"; message: string; retryAfterSeconds: number };

/**
 * How long to come back after a 503 for an unreachable database. Short: a restart or failover of PostgreSQL
 * takes seconds, the pool reconnects on the next query, and a poll every 5 s per client is cheap to refuse.
 */
export const DATABASE_RETRY_AFTER_SECONDS = 5;

/** The answer for any request that needed the database while it could not be reached: never the driver's text. */
export const DATABASE_UNAVAILABLE: ApiError = {
  kind: "service_unavailable",
  message: "the database is unreachable; try again shortly",
  retryAfterSeconds: DATABASE_RETRY_AFTER_SECONDS,
};

/** Thrown anywhere below a handler; `onError` turns it into JSON. */
export class HttpError extends Error {
  constructor(readonly error: ApiError) {
    super(error.kind);
    this.name = "HttpError";
  }
}

export const invalidParameter = (field: string, message: string) =>
  new HttpError({ kind: "invalid_parameter", field, message });
export const invalidBody = (message: string) => new HttpError({ kind: "invalid_body", message });
export const invalidImage = (message: string) => new HttpError({ kind: "invalid_image", message });
export const payloadTooLarge = (message: string) => new HttpError({ kind: "payload_too_large", message });
export const videoNotFound = () => new HttpError({ kind: "not_found", message: "no such video" });

export interface ErrorResponse {
  status: 400 | 401 | 403 | 404 | 405 | 408 | 409 | 413 | 416 | 429 | 500 | 503;
  body: Record<string, unknown>;
  headers: Record<string, string>;
}

/**
 * The one place where an error becomes a status, a JSON body and headers. Client errors carry no request id
 * in the body (it is in the X-Request-Id header), so equal errors have byte-identical bodies.
 */
export function toErrorResponse(error: ApiError): ErrorResponse {
  const base = {};
  switch (error.kind) {
    case "invalid_parameter":
      return { status: 400, body: { error: error.kind, field: error.field, message: error.message, ...base }, headers: {} };
    case "invalid_body":
    case "invalid_image":
      return { status: 400, body: { error: error.kind, message: error.message, ...base }, headers: {} };
    case "unauthorized":
      return { status: 401, body: { error: error.kind, message: error.message, ...base }, headers: { "WWW-Authenticate": "Bearer" } };
    case "forbidden":
      return { status: 403, body: { error: error.kind, field: error.field, message: error.message, ...base }, headers: {} };
    case "not_found":
      return { status: 404, body: { error: error.kind, message: error.message, ...base }, headers: {} };
    case "method_not_allowed":
      return {
        status: 405,
        body: { error: error.kind, message: `method not allowed; use ${error.allow.join(", ")}`, ...base },
        headers: { Allow: error.allow.join(", ") },
      };
    case "payload_too_large":
      return { status: 413, body: { error: error.kind, message: error.message, ...base }, headers: {} };
    case "request_timeout":
      return { status: 408, body: { error: error.kind, message: error.message, ...base }, headers: { Connection: "close" } };
    case "idempotency_conflict":
      return { status: 409, body: { error: error.kind, message: error.message, ...base }, headers: {} };
    case "range_not_satisfiable":
      return { status: 416, body: { error: error.kind, message: error.message, ...base }, headers: { "Content-Range": `bytes */${error.size}` } };
    case "rate_limited":
      return {
        status: 429,
        body: {
          error: error.kind,
          limit: error.limit,
          message: error.message,
          retry_after: error.retryAfterSeconds,
          ...base,
        },
        headers: { "Retry-After": String(error.retryAfterSeconds) },
      };
    case "service_unavailable":
      return {
        status: 503,
        body: { error: error.kind, message: error.message, ...base },
        headers: { "Retry-After": String(error.retryAfterSeconds) },
      };
  }
}

/**
 * A failed zod parse as the contract's 400: the first problem, naming its field. Our field schemas write
 * their own messages (custom issues); zod's own (a wrong shape) are replaced by one naming the field.
 */
export function invalidInput(error: z.ZodError): HttpError {
  const issue = error.issues[0]!;
  const field = String(issue.path[0] ?? "body");
  return invalidParameter(field, issue.code === "custom" ? issue.message : `${field} is invalid`);
}

/** An ErrorResponse sent through Hono's context, so that headers set by middleware (X-Request-Id) go with it. */
export function send(c: Context, r: ErrorResponse): Response {
  return c.json(r.body, r.status as ContentfulStatusCode, r.headers);
}

export function internalErrorResponse(requestId: string): ErrorResponse {
  return {
    status: 500,
    body: { error: "internal_error", message: "internal error; quote the request id when reporting it", request_id: requestId },
    headers: {},
  };
}
