// Bun hands over a request whose Host header is missing, empty or not a host name (`Host: a/b`) with a
// relative URL (`/get_status?…`), which Hono cannot route: it answered a plain-text 500 outside the app's
// error handling, or routed a mangled path. Such a request is served as if sent to `localhost` (HTTP/1.0
// clients, some health checkers among them, send no Host at all).
export function withAbsoluteUrl(req: Request): Request {
  return req.url.charCodeAt(0) === 47 /* "/" */ ? new Request(`http://localhost${req.url}`, req) : req;
}
