// The storage side: the upload route standing in for Aliyun OSS (`PUT /oss/upload/<uuid>.<ext>`), the
// uploaded images (`/media/upload/…`, like media.pixverse.ai/upload/…) and the finished videos and
// their first frames (`/media/…mp4`, `/media/…jpg`), which are all one small committed sample.
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { cors } from "hono/cors";
import type { UploadStore } from "./uploads.ts";

export interface MediaAssets {
  mp4: Uint8Array<ArrayBuffer>;
  jpg: Uint8Array<ArrayBuffer>;
}

/** The real site accepts images under 20 MiB; the simulator holds uploads in memory, so it caps them. */
const UPLOAD_MAX_BYTES = 20 * 1024 * 1024;

function bytes(body: Uint8Array<ArrayBuffer>, type: string): Response {
  return new Response(body, { headers: { "Content-Type": type, "Content-Length": String(body.byteLength), "Cache-Control": "public, max-age=3600" } });
}

/** `PUT|POST /oss/upload/:name`: needs the `X-Oss-Security-Token` from getUploadToken, like an STS credential. */
export function uploadRoutes(uploads: UploadStore): Hono {
  const app = new Hono();
  app.use("*", cors({ origin: (o) => o, allowMethods: ["PUT", "POST"], allowHeaders: ["Content-Type", "Authorization", "X-Oss-Security-Token"] }));
  app.on(["PUT", "POST"], "/upload/:name", bodyLimit({ maxSize: UPLOAD_MAX_BYTES, onError: (c) => c.text("EntityTooLarge", 413) }), async (c) => {
    const body = new Uint8Array(await c.req.arrayBuffer());
    const type = c.req.header("Content-Type") ?? "application/octet-stream";
    switch (uploads.put(c.req.header("X-Oss-Security-Token"), c.req.param("name"), body, type)) {
      case "ok":
        return c.body(null, 200, { ETag: `"${Bun.hash(body).toString(16)}"` });
      case "denied":
        return c.text("AccessDenied", 403);
      case "bad_name":
        return c.text("InvalidObjectName", 400);
    }
  });
  return app;
}

/**
 * `GET /media/…`: uploaded images by name; any `.mp4` / `.jpg` path is the sample (escaped `%2F` or not),
 * except a video's own path before it is rendered (`rendering`: a URL given ahead, as with `[sim:status10]`).
 */
export function mediaRoutes(uploads: UploadStore, assets: MediaAssets, rendering: (path: string) => boolean = () => false): Hono {
  const app = new Hono();
  app.get("/upload/:name", (c) => {
    const stored = uploads.object(c.req.param("name"));
    return stored ? bytes(stored.bytes, stored.contentType) : c.notFound();
  });
  app.get("/*", (c) => {
    const path = c.req.path;
    if (rendering(path)) return c.notFound();
    if (path.endsWith(".mp4")) return bytes(assets.mp4, "video/mp4");
    if (path.endsWith(".jpg")) return bytes(assets.jpg, "image/jpeg");
    return c.notFound();
  });
  return app;
}
