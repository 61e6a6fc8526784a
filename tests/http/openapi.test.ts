// The OpenAPI 3.1 document at GET /openapi.json, checked against the app that serves it: every route the app
// registers is in it with its method, every declared answer has an example (and each error example is a body
// the error schema accepts), every $ref resolves, the API-key schemes appear exactly when keys are on, and the
// documented 404 and 400 examples are what the routes really send. GET /docs serves Scalar's HTML page.
import { describe, expect, test } from "bun:test";
import { createApp } from "../../src/app.ts";
import { loadConfig } from "../../src/config.ts";
import { ErrorBody } from "../../src/http/openapi.ts";
import { silentLogger } from "../../src/log.ts";
import { createMetrics } from "../../src/metrics.ts";
import { TEST_ALLOWED, statusUrl } from "../support/app.ts";
import { recordingVideos } from "./helpers.ts";

type Json = Record<string, any>;
const METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

function build(apiKeys: ReturnType<typeof loadConfig>["apiKeys"] = null) {
  return createApp({
    videos: recordingVideos(),
    logger: silentLogger,
    limits: { generationsPerMinute: 10, statusPerMinute: 10 },
    allowed: TEST_ALLOWED,
    apiKeys,
    metrics: createMetrics({ processMetrics: false }),
  });
}

async function documentOf(app: ReturnType<typeof build>): Promise<Json> {
  const res = await app.request("/openapi.json");
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toStartWith("application/json");
  expect(res.headers.get("x-request-id")).toBeTruthy();
  return (await res.json()) as Json;
}

/** Every `$ref` anywhere in the document, with where it is. */
function refsOf(node: unknown, at = "#", out: [string, string][] = []): [string, string][] {
  if (Array.isArray(node)) node.forEach((v, i) => refsOf(v, `${at}/${i}`, out));
  else if (node && typeof node === "object") {
    for (const [k, v] of Object.entries(node)) {
      if (k === "$ref" && typeof v === "string") out.push([at, v]);
      else refsOf(v, `${at}/${k}`, out);
    }
  }
  return out;
}

function resolve(doc: Json, ref: string): unknown {
  if (!ref.startsWith("#/")) return undefined;
  return ref
    .slice(2)
    .split("/")
    .reduce<unknown>((node, part) => (node && typeof node === "object" ? (node as Json)[part.replace(/~1/g, "/").replace(/~0/g, "~")] : undefined), doc);
}

const operations = (doc: Json) =>
  Object.entries(doc.paths as Json).flatMap(([path, item]) =>
    Object.entries(item as Json)
      .filter(([method]) => METHODS.includes(method))
      .map(([method, op]) => ({ path, method, op: op as Json })),
  );

describe("GET /openapi.json", () => {
  test("is an OpenAPI 3.1 document in structure: version, info, paths of operations with responses, resolvable $refs", async () => {
    const doc = await documentOf(build());
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
    expect(typeof doc.info?.title).toBe("string");
    expect(typeof doc.info?.version).toBe("string");
    expect(Object.keys(doc.paths).length).toBeGreaterThan(0);
    for (const path of Object.keys(doc.paths)) expect(path).toStartWith("/");
    for (const { path, method, op } of operations(doc)) {
      const where = `${method.toUpperCase()} ${path}`;
      expect(Object.keys(op.responses ?? {}).length, where).toBeGreaterThan(0);
      for (const [status, response] of Object.entries(op.responses as Json)) {
        expect(status, where).toMatch(/^[1-5][0-9][0-9]$/);
        expect(typeof (response as Json).description, `${where} ${status}`).toBe("string");
      }
      for (const p of op.parameters ?? []) {
        expect(["query", "header", "path", "cookie"], where).toContain(p.in);
        expect(typeof p.name, where).toBe("string");
      }
    }
    const refs = refsOf(doc);
    expect(refs.length).toBeGreaterThan(0);
    for (const [at, ref] of refs) expect(resolve(doc, ref), `${at} → ${ref}`).toBeDefined();
  });

  test("lists every route the app serves, with its method (and nothing it does not serve)", async () => {
    const app = build();
    const doc = await documentOf(app);
    const served = new Set(
      app.routes.filter((r) => r.method !== "ALL" && !["/openapi.json", "/docs"].includes(r.path)).map((r) => `${r.method} ${r.path}`),
    );
    const documented = new Set(operations(doc).map(({ path, method }) => `${method.toUpperCase()} ${path}`));
    expect([...documented].sort()).toEqual([...served].sort());
    expect([...documented].sort()).toEqual(["GET /get_status", "GET /health", "GET /metrics", "GET /ready", "POST /image2video", "POST /text2video"]);
  });

  test("gives every declared answer an example, and every error example is a body of the error schema", async () => {
    const doc = await documentOf(build(loadConfig({ API_KEYS: "doc-test-key-0123456789:*" }).apiKeys));
    for (const { path, method, op } of operations(doc)) {
      for (const [status, response] of Object.entries(op.responses as Json)) {
        const where = `${method.toUpperCase()} ${path} ${status}`;
        const content = (response as Json).content as Json | undefined;
        expect(content, where).toBeDefined();
        for (const [type, media] of Object.entries(content!)) {
          const examples = [
            ...("example" in (media as Json) ? [(media as Json).example] : []),
            ...Object.values(((media as Json).examples ?? {}) as Json).map((e) => (e as Json).value),
          ];
          expect(examples.length, `${where} ${type}`).toBeGreaterThan(0);
          if (Number(status) >= 400 && type === "application/json" && path !== "/ready") {
            for (const example of examples) expect(ErrorBody.safeParse(example).success, `${where}: ${JSON.stringify(example)}`).toBe(true);
          }
        }
      }
    }
  });

  test("declares the contract's answers of each API route", async () => {
    const doc = await documentOf(build(loadConfig({ API_KEYS: "doc-test-key-0123456789:*" }).apiKeys));
    const statuses = (path: string, method: string) => Object.keys(doc.paths[path][method].responses).sort();
    // 409: an Idempotency-Key reused with other parameters; 408: an upload too slow (image2video's gate).
    expect(statuses("/text2video", "post")).toEqual(["200", "400", "401", "403", "409", "413", "429", "500", "503"]);
    expect(statuses("/image2video", "post")).toEqual(["200", "400", "401", "403", "408", "409", "413", "429", "500", "503"]);
    expect(statuses("/get_status", "get")).toEqual(["200", "400", "401", "403", "404", "429", "500", "503"]);
    expect(statuses("/ready", "get")).toEqual(["200", "503"]);
    // Retry-After is declared where it is sent.
    for (const [path, method] of [["/text2video", "post"], ["/image2video", "post"], ["/get_status", "get"]] as const) {
      for (const status of ["429", "503"]) expect(Object.keys(doc.paths[path][method].responses[status].headers)).toContain("Retry-After");
    }
  });

  test("documents the parameters: get_status's three in the query, required, and the optional detail; the POST bodies by content type", async () => {
    const doc = await documentOf(build());
    const params = doc.paths["/get_status"].get.parameters as Json[];
    expect(params.map((p) => [p.name, p.in, p.required]).sort()).toEqual([
      ["app_bundle_id", "query", true],
      ["apphud_user_id", "query", true],
      ["detail", "query", false],
      ["video_id", "query", true],
    ]);
    const t2v = doc.paths["/text2video"].post.requestBody.content as Json;
    expect(Object.keys(t2v).sort()).toEqual(["application/json", "application/x-www-form-urlencoded", "multipart/form-data"]);
    const t2vSchema = resolve(doc, t2v["application/json"].schema.$ref) as Json;
    expect(t2vSchema.required.sort()).toEqual(["app_bundle_id", "apphud_user_id", "prompt"]);
    expect(t2vSchema.properties.prompt).toMatchObject({ type: "string", minLength: 1, maxLength: 2048 });
    expect(t2vSchema.properties.quality.enum).toEqual(TEST_ALLOWED.qualities);
    const i2v = doc.paths["/image2video"].post.requestBody.content as Json;
    expect(Object.keys(i2v)).toEqual(["multipart/form-data"]);
    const i2vSchema = resolve(doc, i2v["multipart/form-data"].schema.$ref) as Json;
    expect(i2vSchema.required).toContain("file");
    expect(i2vSchema.properties.file).toMatchObject({ type: "string", format: "binary" });
  });

  test("describes exactly what is taken: text with a non-blank pattern, detail as any string, callback_url empty only while webhooks are off", async () => {
    const doc = await documentOf(build());
    const t2v = resolve(doc, doc.paths["/text2video"].post.requestBody.content["application/json"].schema.$ref) as Json;
    for (const field of ["prompt", "app_bundle_id", "apphud_user_id"]) {
      const pattern = new RegExp(t2v.properties[field].pattern as string, "u");
      expect(pattern.test("a fox"), field).toBe(true);
      for (const refused of ["", "   ", "\t\n", "\u0085", "fox\u0000"]) expect(pattern.test(refused), `${field} ${JSON.stringify(refused)}`).toBe(false);
    }
    expect(t2v.properties.callback_url).toMatchObject({ type: "string", maxLength: 0 });
    const detail = (doc.paths["/get_status"].get.parameters as Json[]).find((p) => p.name === "detail");
    expect(detail!.schema.type).toBe("string");
    const withHooks = createApp({
      videos: recordingVideos(),
      logger: silentLogger,
      limits: { generationsPerMinute: 10, statusPerMinute: 10 },
      allowed: TEST_ALLOWED,
      webhooks: { enabled: true, allowPrivate: false },
    });
    const on = await documentOf(withHooks);
    const onSchema = resolve(on, on.paths["/text2video"].post.requestBody.content["application/json"].schema.$ref) as Json;
    expect(onSchema.properties.callback_url).toMatchObject({ type: "string", format: "uri" });
  });

  test("shows the API-key security schemes and requires one on the API routes only when keys are on", async () => {
    const off = await documentOf(build());
    expect(off.components?.securitySchemes).toBeUndefined();
    for (const { op } of operations(off)) {
      expect(op.security).toBeUndefined();
      expect(op.responses["401"]).toBeUndefined();
    }
    const on = await documentOf(build(loadConfig({ API_KEYS: "doc-test-key-0123456789:*" }).apiKeys));
    expect(on.components.securitySchemes.bearerKey).toMatchObject({ type: "http", scheme: "bearer" });
    expect(on.components.securitySchemes.apiKeyHeader).toMatchObject({ type: "apiKey", in: "header", name: "X-API-Key" });
    for (const { path, method, op } of operations(on)) {
      const api = ["/text2video", "/image2video", "/get_status"].includes(path);
      expect(op.security, `${method} ${path}`).toEqual(api ? [{ bearerKey: [] }, { apiKeyHeader: [] }] : undefined);
      expect(op.responses["401"] !== undefined, `${method} ${path}`).toBe(api);
    }
    // Whatever the document says, the document itself needs no key.
    expect((await build(loadConfig({ API_KEYS: "doc-test-key-0123456789:*" }).apiKeys).request("/openapi.json")).status).toBe(200);
  });

  test("its 404 and 400 examples are the bodies get_status really sends", async () => {
    const app = build();
    const doc = await documentOf(app);
    const examples = (status: string) =>
      Object.values(doc.paths["/get_status"].get.responses[status].content["application/json"].examples as Json).map((e) => (e as Json).value);
    const notFound = await app.request(statusUrl(4242));
    expect(examples("404")).toContainEqual(await notFound.json());
    const bad = await app.request(statusUrl("abc"));
    expect(examples("400")).toContainEqual(await bad.json());
  });
});

test("its 429 example for get_status is the body a limited read gets (but for the seconds)", async () => {
  const app = createApp({ videos: recordingVideos(), logger: silentLogger, limits: { generationsPerMinute: 10, statusPerMinute: 0 }, allowed: TEST_ALLOWED });
  const doc = await documentOf(app as ReturnType<typeof build>);
  const [example] = Object.values(doc.paths["/get_status"].get.responses["429"].content["application/json"].examples as Json).map((e) => (e as Json).value);
  const limited = await app.request(statusUrl(1));
  expect(limited.status).toBe(429);
  const body = (await limited.json()) as Json;
  expect({ ...body, retry_after: 0 }).toEqual({ ...example, retry_after: 0 });
});

describe("GET /docs", () => {
  test("serves Scalar's HTML page pointed at /openapi.json", async () => {
    const res = await build().request("/docs");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toStartWith("text/html");
    expect(res.headers.get("x-request-id")).toBeTruthy();
    const html = await res.text();
    expect(html).toContain("<html");
    expect(html).toContain("/openapi.json");
  });

  test("answers another method with 405 like every known path", async () => {
    const res = await build().request("/docs", { method: "POST" });
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("GET, HEAD");
  });
});
