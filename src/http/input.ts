// The POST routes' parameters, from wherever the contract allows them (docs/API.md: "every parameter may come
// as a JSON body, an application/x-www-form-urlencoded or multipart/form-data body, or the query string"),
// merged into one object (a parameter in both is given twice: a 400, as when it repeats in one) and validated
// by the route's zod schema, the same one the OpenAPI document shows for the route's body. zod-openapi's own body validators check each part alone
// and would refuse a request whose ids are in the query string and whose prompt is in the body, so this
// middleware takes their place for the POST routes.
// Bodies are read through Hono's request (its body cache), after the route's bodyLimit has bounded them.
import type { Context, MiddlewareHandler } from "hono";
import type { z } from "@hono/zod-openapi";
import type { AppEnv } from "./context.ts";
import { HttpError, invalidBody, invalidParameter } from "./errors.ts";

/** What runs once the input is validated (or not): the same hook zod-openapi calls for get_status. */
export type AfterValidation = (
  result: { success: true; data: unknown } | { success: false; error: z.ZodError },
  c: Context<AppEnv>,
) => Promise<undefined>;

const JSON_TYPE = /^application\/([\w.-]+\+)?json$/;

/** Validates the merged parameters with `schema` and hands them to the handler as `c.get("input")`. */
export function validatedInput(schema: z.ZodObject, after: AfterValidation, files: ReadonlySet<string> = NONE): MiddlewareHandler<AppEnv> {
  const known: ReadonlySet<string> = new Set(Object.keys(schema.shape));
  // A file parameter sent as a text part is the schema's to refuse (as not a file), whatever its bytes.
  const texts: ReadonlySet<string> = new Set([...known].filter((k) => !files.has(k)));
  return async (c, next) => {
    const result = schema.safeParse(await readInput(c, known, texts));
    await after(result.success ? { success: true, data: result.data } : { success: false, error: result.error }, c);
    c.set("input", result.data);
    await next();
  };
}

/**
 * Query string merged with the body's fields; a key repeated, in one or across both, is an array (which the
 * schema refuses as "given more than once": which one was meant cannot be told). `known`: the route's
 * parameters (others are ignored, even when they do not decode).
 */
export async function readInput(c: Context, known: ReadonlySet<string>, texts = known): Promise<Record<string, unknown>> {
  // Prototype-less: a field named `__proto__` or `toString` is a field like any other.
  const fields: Record<string, unknown> = Object.create(null);
  if (c.req.url.includes("?")) Object.assign(fields, queryFields(c, known));
  for (const [key, value] of Object.entries(await bodyFields(c, known, texts))) {
    const seen = fields[key];
    fields[key] = seen === undefined ? value : [seen, value].flat();
  }
  return fields;
}

/**
 * The query as Hono's validator hands it to a schema: one value per key, an array when a key repeats. A value
 * of a `known` parameter that does not decode is a 400 naming it, except for `lenient` ones (an optional flag
 * that must never be an error), kept as typed; a field the route does not know is left out then.
 */
export function queryFields(c: Context, known: ReadonlySet<string>, lenient: ReadonlySet<string> = NONE): Record<string, string | string[]> {
  const url = c.req.url;
  const at = url.indexOf("?");
  return at < 0 ? Object.create(null) : urlencodedFields(url.slice(at + 1), known, lenient);
}

const NONE: ReadonlySet<string> = new Set();

/**
 * `a=1&b=x+y` as fields (`+` is a space, a repeated key an array), decoded strictly: percent-escapes of bytes
 * that are not UTF-8 are a 400. Lenient decoders read them as U+FFFD (URLSearchParams, a form body) or keep
 * them as typed (Hono's query), so the same request sent two ways would name two different users.
 */
function urlencodedFields(text: string, known: ReadonlySet<string>, lenient: ReadonlySet<string> = NONE): Record<string, string | string[]> {
  const fields: Record<string, string | string[]> = Object.create(null);
  for (const pair of text.split("&")) {
    if (pair === "") continue;
    const eq = pair.indexOf("=");
    // A key that does not decode names no parameter of ours: ignored like any unknown field.
    const key = decodeComponent(eq < 0 ? pair : pair.slice(0, eq));
    if (key === null) continue;
    const raw = eq < 0 ? "" : pair.slice(eq + 1);
    const value = decodeComponent(raw) ?? (lenient.has(key) ? raw : undecodable(key, known));
    if (value === null) continue;
    const seen = fields[key];
    fields[key] = seen === undefined ? value : Array.isArray(seen) ? [...seen, value] : [seen, value];
  }
  return fields;
}

/** A value that does not decode: a 400 naming a parameter of the route; null (left out) for any other field. */
function undecodable(key: string, known: ReadonlySet<string>): null {
  if (known.has(key)) throw invalidParameter(key, `${key} holds a percent-escape that is malformed or not UTF-8`);
  return null;
}

/** `raw` decoded, or null when it holds a malformed or non-UTF-8 escape. */
function decodeComponent(raw: string): string | null {
  const spaced = raw.includes("+") ? raw.replaceAll("+", " ") : raw;
  if (!spaced.includes("%")) return spaced;
  try {
    return decodeURIComponent(spaced);
  } catch {
    return null;
  }
}

const mediaType = (c: Context) => (c.req.header("content-type") ?? "").split(";")[0]!.trim().toLowerCase();

async function bodyFields(c: Context, known: ReadonlySet<string>, texts: ReadonlySet<string>): Promise<Record<string, unknown>> {
  if (!c.req.raw.body || c.req.header("content-length") === "0") return {};
  const type = mediaType(c);
  if (type === "multipart/form-data") {
    if (!/boundary=/i.test(c.req.header("content-type")!)) throw invalidBody("multipart/form-data without a boundary");
    let form: FormData;
    try {
      // Bun parses the form where it holds the body: an upload is not copied once more first.
      form = await c.req.formData();
    } catch (e) {
      // The body stream's own error (the upload gate's 408) is the answer as it is.
      if (e instanceof HttpError) throw e;
      throw invalidBody(`malformed ${type} body`);
    }
    return formFields(form, texts);
  }
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await c.req.arrayBuffer());
  } catch (e) {
    if (e instanceof HttpError) throw e;
    throw invalidBody("the request body could not be read");
  }
  if (bytes.byteLength === 0) return {};
  // No Content-Type: a body that opens with `{` is JSON, anything else a urlencoded form (curl -d sends that).
  if (JSON_TYPE.test(type) || (type === "" && firstNonSpace(bytes) === 0x7b)) return jsonObject(bytes);
  if (type === "" || type === "application/x-www-form-urlencoded") return urlencodedFields(decodeUtf8(bytes), known);
  throw invalidBody("unsupported Content-Type; send JSON, application/x-www-form-urlencoded or multipart/form-data");
}

/**
 * Bun's form parser reads a text part's bytes that are not UTF-8 as U+FFFD, so a part holding one cannot be
 * told from one that was not UTF-8: a parameter of ours holding U+FFFD is a 400 (as a JSON, form or query
 * value that is not UTF-8 is), so that `caf\xE9` and `caf\xE8` never name the same user.
 */
function formFields(form: FormData, texts: ReadonlySet<string>): Record<string, unknown> {
  const fields: Record<string, unknown> = Object.create(null);
  form.forEach((value: string | File, key: string) => {
    if (typeof value === "string" && texts.has(key) && value.includes("\uFFFD")) {
      throw invalidParameter(key, `${key} is not valid UTF-8 (a multipart field may not hold U+FFFD)`);
    }
    const seen = fields[key];
    fields[key] = seen === undefined ? value : Array.isArray(seen) ? [...seen, value] : [seen, value];
  });
  return fields;
}

function firstNonSpace(bytes: Uint8Array): number | undefined {
  for (const b of bytes) if (b !== 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09) return b;
  return undefined;
}

// Strict: a body that is not UTF-8 is refused, not read with replacement characters into a stored prompt.
const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

function decodeUtf8(bytes: Uint8Array): string {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    throw invalidBody("the request body is not valid UTF-8");
  }
}

function jsonObject(bytes: Uint8Array): Record<string, unknown> {
  const text = decodeUtf8(bytes);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw invalidBody("malformed JSON in the request body");
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) throw invalidBody("the JSON body must be an object");
  return value as Record<string, unknown>;
}
