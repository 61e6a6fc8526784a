// GET/HEAD /media/<name>: our copies of the videos and their first frames (MEDIA_STORE=local), registered only
// then. Public like Pixverse's own links (no API key: apps hand the URL to a player); a name is 128 random bits
// (media/keys.ts) and anything that is not exactly such a name is a 404 before the disk is touched, so no
// path can leave DATA_DIR/media. A file never changes once written: cached for a year as immutable, with an
// ETag. One byte range per request (206 with Content-Range; 416 outside the file); Bun sends the bytes from
// the file itself (a file slice, no copy in memory). HEAD is the GET answer without its body, with its length
// (src/http/bun-fetch.ts).
import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { AppEnv } from "../context.ts";
import { HttpError } from "../errors.ts";
import { answers, errorAnswer } from "../openapi.ts";
import { CONTENT_TYPES, parseMediaName } from "../../media/keys.ts";
import type { LocalStore } from "../../media/local.ts";
import { parseRange } from "../../media/range.ts";

/** The paths under the request scope (app.ts): the log line and the metrics, labelled with the route. */
export const MEDIA_PATHS = ["/media/*"];

/** The OpenAPI content of an answer carrying the file's bytes. */
const FILE_CONTENT = {
  "video/mp4": { schema: z.string().openapi({ format: "binary" }) },
  "image/jpeg": { schema: z.string().openapi({ format: "binary" }) },
};

const IMMUTABLE = "public, max-age=31536000, immutable";

const mediaNotFound = () => new HttpError({ kind: "not_found", message: "no such media file" });

/** Does If-None-Match (a list of ETags, or *) name this one? Weak comparison, as RFC 9110 wants for it. */
function matches(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  const bare = (t: string) => t.trim().replace(/^W\//, "");
  return header.split(",").some((t) => t.trim() === "*" || bare(t) === etag);
}

/** The path of a request URL as it arrived (`http://host/media/a%31/b?x` → `/media/a%31/b`). */
function rawPath(url: string): string {
  const start = url.indexOf("/", url.indexOf("//") + 2);
  const query = url.indexOf("?", start);
  return url.slice(start, query === -1 ? undefined : query);
}

export function registerMediaRoutes(app: OpenAPIHono<AppEnv>, store: LocalStore): void {
  app.openAPIRegistry.registerPath(
    createRoute({
      method: "get",
      path: "/media/{dir}/{file}",
      summary: "Our copy of a finished video or of its first frame (MEDIA_STORE=local)",
      description:
        "The URL get_status answers for a finished video (`…/media/ab/123-<32 hex>.mp4`); the same name with `.jpg` is its first frame. " +
        "One byte range per request (206, or 416 outside the file); cached for a year as immutable, with an ETag. No API key.",
      request: { params: z.object({ dir: z.string(), file: z.string() }) },
      responses: {
        200: { description: "The whole file (video/mp4 or image/jpeg).", content: FILE_CONTENT },
        206: { description: "The requested byte range, with Content-Range.", content: FILE_CONTENT },
        304: { description: "Not modified (If-None-Match)." },
        404: errorAnswer("No such media file.", [{ summary: "unknown name", error: { kind: "not_found", message: "no such media file" } }]),
        416: errorAnswer("The range starts past the end of the file; Content-Range says its length.", [
          { summary: "past the end", error: { kind: "range_not_satisfiable", message: "the range is outside the file", size: 0 } },
        ]),
        500: answers.internalError,
      },
    }),
  );

  app.get("/media/:dir/:file", async (c: Context<AppEnv>) => {
    // As sent, not as Hono decodes the params: a name is ASCII, so one file has one spelling and an escape
    // is a 404 (dot segments were already resolved by the URL parser, as any client resolves them).
    const name = rawPath(c.req.url).slice("/media/".length);
    const parsed = parseMediaName(name);
    const path = parsed ? store.pathOf(name) : null;
    if (!parsed || !path) throw mediaNotFound();
    const file = Bun.file(path);
    const stat = await file.stat().catch(() => null);
    if (!stat?.isFile()) throw mediaNotFound();
    const size = stat.size;
    // Size and write time: a name is written once, so this only changes if the file is replaced by hand.
    const etag = `"${size.toString(16)}-${Math.floor(stat.mtimeMs).toString(16)}"`;
    c.header("Accept-Ranges", "bytes");
    // The file's own headers: on 200, 206 and 304 only (a 416 is an error body, not to be cached for a year).
    const fileHeaders = () => {
      c.header("Cache-Control", IMMUTABLE);
      c.header("ETag", etag);
      c.header("Content-Type", CONTENT_TYPES[parsed.kind]);
      c.header("Last-Modified", stat.mtime.toUTCString());
    };
    if (matches(c.req.header("if-none-match"), etag)) {
      fileHeaders();
      return c.body(null, 304);
    }
    // If-Range with another validator: the file changed since the client's part, so it gets the whole file.
    const ifRange = c.req.header("if-range");
    const range = ifRange === undefined || ifRange.trim() === etag ? parseRange(c.req.header("range"), size) : ({ kind: "whole" } as const);
    if (range.kind === "unsatisfiable") throw new HttpError({ kind: "range_not_satisfiable", message: "the range is outside the file", size });
    fileHeaders();
    if (range.kind === "part") {
      c.header("Content-Range", `bytes ${range.start}-${range.end}/${size}`);
      c.header("Content-Length", String(range.end - range.start + 1));
      return c.body(file.slice(range.start, range.end + 1), 206);
    }
    c.header("Content-Length", String(size));
    return c.body(file, 200);
  });
}
