// The OpenAPI 3.1 document's shared parts: the error body, every error answer with an example made by the
// very function that makes the real answer (errors.ts toErrorResponse), the headers, and the API-key
// security schemes. The routes (routes/*.ts) declare their requests and answers from these; zod-openapi
// turns them into the document served at GET /openapi.json.
import { z } from "@hono/zod-openapi";
import type { OpenAPIHono, RouteConfig } from "@hono/zod-openapi";
import { API_KEY_SECURITY_SCHEMES } from "./api-keys.ts";
import { DATABASE_UNAVAILABLE, internalErrorResponse, toErrorResponse, type ApiError, type LimitName } from "./errors.ts";

const LIMIT_NAMES = ["generations_per_minute", "status_requests_per_minute", "active_videos_per_user", "queue_depth"] as const satisfies readonly LimitName[];

export const ErrorBody = z
  .object({
    error: z.string().openapi({ description: "What kind of error: invalid_parameter, invalid_body, invalid_image, not_found, …" }),
    message: z.string().openapi({ description: "What was wrong, for a person." }),
    field: z.string().optional().openapi({ description: "The parameter at fault (400, 403)." }),
    limit: z.enum(LIMIT_NAMES).optional().openapi({ description: "The limit that was reached (429)." }),
    retry_after: z.number().int().optional().openapi({ description: "Seconds until a retry may succeed (429; the Retry-After header too)." }),
    request_id: z.string().optional().openapi({ description: "The request's id, to quote when reporting a 500." }),
  })
  .openapi("Error");

type Headers = Record<string, { description: string; schema: { type: "string" | "integer" } }>;
type Responses = RouteConfig["responses"];
type OpenAPIRegistry = OpenAPIHono["openAPIRegistry"];

const REQUEST_ID_HEADER = {
  "X-Request-Id": {
    description: "The request's id: the caller's own X-Request-Id when it is a plain token (letters, digits, _ - =; up to 128), else one of ours.",
    schema: { type: "string" },
  },
} satisfies Headers;
const RETRY_AFTER_HEADER = { "Retry-After": { description: "Seconds to wait before trying again.", schema: { type: "integer" } } } satisfies Headers;

export type Example = { summary: string; error: ApiError };

/** One error status: its description and examples, each the exact body the service sends for it. */
export function errorAnswer(description: string, examples: Example[], headers: Headers = {}) {
  return {
    description,
    headers: { ...REQUEST_ID_HEADER, ...headers },
    content: {
      "application/json": {
        schema: ErrorBody,
        examples: Object.fromEntries(examples.map((e, i) => [`example${i + 1}`, { summary: e.summary, value: toErrorResponse(e.error).body }])),
      },
    },
  };
}

export const answers = {
  badRequest: (examples: Example[]) => errorAnswer("A bad or missing parameter, or a body that cannot be read; `field` names the parameter.", examples),
  unauthorized: errorAnswer(
    "No API key, or one that is not configured (only when the operator sets API_KEYS).",
    [{ summary: "no key", error: { kind: "unauthorized", message: "an API key is required: send it as `Authorization: Bearer <key>` or `X-API-Key: <key>`" } }],
    { "WWW-Authenticate": { description: "Always `Bearer`.", schema: { type: "string" } } },
  ),
  forbidden: errorAnswer("The API key may not act for this app_bundle_id (only when the operator sets API_KEYS).", [
    { summary: "another app", error: { kind: "forbidden", field: "app_bundle_id", message: "this API key may not act for this app_bundle_id" } },
  ]),
  notFound: errorAnswer("No such video, or not this app_bundle_id/apphud_user_id's (the same answer).", [
    { summary: "no such video", error: { kind: "not_found", message: "no such video" } },
  ]),
  tooLarge: (examples: Example[]) => errorAnswer("The body or the image is too large.", examples),
  conflict: (examples: Example[]) =>
    errorAnswer("The Idempotency-Key was used within 24 hours for a request with other parameters; nothing was stored.", examples),
  rateLimited: (examples: Example[]) =>
    errorAnswer("A limit was reached; `limit` names it and Retry-After says when to come back.", examples, RETRY_AFTER_HEADER),
  serviceUnavailable: errorAnswer("The database cannot be reached; nothing was stored. Retry after 5 seconds.", [
    { summary: "database unreachable", error: DATABASE_UNAVAILABLE },
  ], RETRY_AFTER_HEADER),
  /** image2video's 503: the database, or no upload slot within the wait. */
  uploadUnavailable: (busy: Example) =>
    errorAnswer("The database cannot be reached, or too many uploads are in progress; nothing was stored. Retry-After says when to come back.", [
      { summary: "database unreachable", error: DATABASE_UNAVAILABLE },
      busy,
    ], RETRY_AFTER_HEADER),
  requestTimeout: (examples: Example[]) => errorAnswer("The body did not arrive in time; nothing was stored, and the connection is closed.", examples),
  internalError: {
    description: "An unexpected failure. The body says nothing about it but the request id, which the log line has too.",
    headers: REQUEST_ID_HEADER,
    content: {
      "application/json": {
        schema: ErrorBody,
        examples: { example1: { summary: "internal error", value: internalErrorResponse("3f2a9c1b-1k").body } },
      },
    },
  },
};

/** A 200 JSON answer with its schema and examples. */
export function okAnswer(description: string, schema: z.ZodType, examples: Record<string, unknown>) {
  return {
    description,
    headers: REQUEST_ID_HEADER,
    content: {
      "application/json": {
        schema,
        examples: Object.fromEntries(Object.entries(examples).map(([summary, value], i) => [`example${i + 1}`, { summary, value }])),
      },
    },
  };
}

/** The answers of every API route when API keys are on (else none): 401 and 403. */
export function keyAnswers(keysOn: boolean): Responses {
  return keysOn ? { 401: answers.unauthorized, 403: answers.forbidden } : {};
}

/** The operation's `security` when API keys are on: either scheme. */
export function keySecurity(keysOn: boolean): Pick<RouteConfig, "security"> {
  return keysOn ? { security: [{ bearerKey: [] }, { apiKeyHeader: [] }] } : {};
}

/** The API-key security schemes, into the document's components (when keys are on). */
export function registerKeySchemes(registry: OpenAPIRegistry): void {
  for (const [name, scheme] of Object.entries(API_KEY_SECURITY_SCHEMES)) registry.registerComponent("securitySchemes", name, scheme);
}

/** The document's top: title and what it is. */
export function documentConfig(keysOn: boolean) {
  return {
    openapi: "3.1.0",
    info: {
      title: "Pixverse video API",
      version: "1",
      description:
        "Turns a prompt, or an image and a prompt, into a Pixverse video. Parameters of the POST routes may come as a JSON body, " +
        "an application/x-www-form-urlencoded or multipart/form-data body, or the query string (merged; the body wins). " +
        "Every answer carries X-Request-Id. A known path with another method is 405 with Allow; an unknown path is a JSON 404." +
        (keysOn ? " API keys are on: every API route needs one." : " API keys are off on this instance."),
    },
  };
}
