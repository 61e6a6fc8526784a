// Reads a request's parameters from wherever the contract allows them: the query string and a JSON,
// urlencoded or multipart body. Bodies are read with a byte bound, so a huge body is refused, not buffered.
import type { Context } from "hono";
import { tryDecodeURIComponent } from "hono/utils/url";
import { invalidBody, payloadTooLarge } from "./errors.ts";

export interface Params {
  /** Text values (a repeated key becomes an array, which the schemas refuse as "must be a string"). */
  fields: Record<string, unknown>;
  /** Uploaded files by field name (multipart only). */
  files: Record<string, File>;
}

const JSON_TYPE = /^application\/([\w.-]+\+)?json$/;

function mediaType(c: Context): string {
  return (c.req.header("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
}

/**
 * Query parameters: the single value, or an array when a key repeats. Decoded like Hono's own query reader
 * (`+` is a space, broken %-escapes are kept as they are), in one pass without an array per key: this runs
 * on every status read.
 */
export function queryFields(c: Context): Record<string, unknown> {
  return parseQuery(c.req.url);
}

export function parseQuery(url: string): Record<string, unknown> {
  const out: Record<string, unknown> = Object.create(null);
  const hash = url.indexOf("#");
  const end = hash === -1 ? url.length : hash;
  let at = url.indexOf("?");
  if (at === -1 || at > end) return out;
  const encoded = /[%+]/.test(url.slice(at, end));
  while (at !== -1 && at < end) {
    let next = url.indexOf("&", at + 1);
    if (next === -1 || next > end) next = end;
    const eq = url.indexOf("=", at + 1);
    const hasValue = eq !== -1 && eq < next;
    let name = url.slice(at + 1, hasValue ? eq : next);
    if (encoded) name = decodeQueryPart(name);
    if (name !== "") {
      let value = hasValue ? url.slice(eq + 1, next) : "";
      if (encoded && hasValue) value = decodeQueryPart(value);
      const seen = out[name];
      if (seen === undefined) out[name] = value;
      else if (Array.isArray(seen)) seen.push(value);
      else out[name] = [seen, value];
    }
    at = next === end ? -1 : next;
  }
  return out;
}

const decodeQueryPart = (s: string) => tryDecodeURIComponent(s.includes("+") ? s.replace(/\+/g, " ") : s);

/** The announced Content-Length (null when the body is chunked); 413 when it is over `maxBytes`. */
function announcedLength(request: Request, maxBytes: number): number | null {
  const declared = request.headers.get("content-length");
  if (declared === null) return null;
  if (Number(declared) > maxBytes) throw payloadTooLarge(tooLargeMessage(maxBytes));
  return Number(declared);
}

/** The body's bytes, refusing (413) as soon as more than `maxBytes` are announced or have arrived. */
export async function readBodyBounded(request: Request, maxBytes: number): Promise<Uint8Array> {
  const declared = announcedLength(request, maxBytes);
  if (!request.body) return new Uint8Array(0);
  if (declared !== null) {
    // The length is announced and within bounds; HTTP framing ends the body there, so one read is bounded.
    try {
      return await request.bytes();
    } catch {
      throw invalidBody("the request body could not be read");
    }
  }
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    let result: Awaited<ReturnType<typeof reader.read>>;
    try {
      result = await reader.read();
    } catch {
      throw invalidBody("the request body could not be read");
    }
    if (result.done) break;
    total += result.value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => {});
      throw payloadTooLarge(tooLargeMessage(maxBytes));
    }
    chunks.push(result.value);
  }
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.byteLength;
  }
  return out;
}

function tooLargeMessage(maxBytes: number): string {
  return `request body is larger than ${maxBytes} bytes`;
}

function formToParams(form: FormData, params: Params): void {
  for (const [key, value] of form.entries()) {
    if (typeof value === "string") addField(params.fields, key, value);
    else if (key in params.files) addField(params.fields, key, [value]);
    else params.files[key] = value;
  }
}

function addField(fields: Record<string, unknown>, key: string, value: unknown): void {
  if (!(key in fields)) fields[key] = value;
  else fields[key] = ([] as unknown[]).concat(fields[key], value);
}

/** Query string merged with the body's fields (the body wins on a clash). */
export async function readParams(c: Context, maxBodyBytes: number): Promise<Params> {
  // Prototype-less records: a field named `__proto__` or `toString` is a field like any other.
  const params: Params = { fields: Object.create(null), files: Object.create(null) };
  const type = mediaType(c);
  const body: Params = { fields: Object.create(null), files: Object.create(null) };
  if (type === "multipart/form-data" && (announcedLength(c.req.raw, maxBodyBytes) ?? 0) > 0) {
    // An announced, bounded multipart body is parsed where Bun holds it: one copy of an upload fewer.
    formToParams(await parseMultipart(c.req.raw, c.req.header("content-type")!), body);
  } else {
    const bytes = await readBodyBounded(c.req.raw, maxBodyBytes);
    if (bytes.byteLength > 0) {
      if (JSON_TYPE.test(type) || (type === "" && firstNonSpace(bytes) === 0x7b)) {
        body.fields = parseJsonObject(bytes);
      } else if (type === "application/x-www-form-urlencoded" || type === "") {
        for (const [k, v] of new URLSearchParams(decodeUtf8(bytes))) addField(body.fields, k, v);
      } else if (type === "multipart/form-data") {
        formToParams(await parseMultipart(bytes, c.req.header("content-type")!), body);
      } else {
        throw invalidBody("unsupported Content-Type; send JSON, application/x-www-form-urlencoded or multipart/form-data");
      }
    }
  }
  Object.assign(params.fields, queryFields(c), body.fields);
  params.files = body.files;
  return params;
}

function firstNonSpace(bytes: Uint8Array): number | undefined {
  for (const b of bytes) if (b !== 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09) return b;
  return undefined;
}

// One decoder for every body (decode without { stream } keeps no state between calls).
const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

function decodeUtf8(bytes: Uint8Array): string {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    throw invalidBody("the request body is not valid UTF-8");
  }
}

function parseJsonObject(bytes: Uint8Array): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(decodeUtf8(bytes));
  } catch (e) {
    if (e instanceof Error && e.name === "HttpError") throw e;
    throw invalidBody("malformed JSON in the request body");
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw invalidBody("the JSON body must be an object");
  }
  return value as Record<string, unknown>;
}

/** Multipart fields and files from a request whose length is known to be bounded, or from its bytes. */
async function parseMultipart(source: Request | Uint8Array, contentType: string): Promise<FormData> {
  if (!/boundary=/i.test(contentType)) throw invalidBody("multipart/form-data without a boundary");
  try {
    if (source instanceof Request) return await source.formData();
    return await new Response(source as Uint8Array<ArrayBuffer>, { headers: { "content-type": contentType } }).formData();
  } catch {
    throw invalidBody("malformed multipart/form-data body");
  }
}
