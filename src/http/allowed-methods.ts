// The paths the API serves and their methods, for the 405 with Allow (app.ts) and for labelling a request to
// a served path that matched no route (scope.ts): `/admin/jobs/7/requeue` is the route `/admin/jobs/:id/requeue`.
// A registered `:param` matches one non-empty segment, as Hono's router does.

export interface ServedPath {
  /** The path as registered (`/media/:dir/:file`): the metrics label, never the caller's text. */
  route: string;
  methods: string[];
}

interface Pattern extends ServedPath {
  segments: string[];
}

export class AllowedMethods {
  private readonly exact = new Map<string, ServedPath>();
  private readonly patterns: Pattern[] = [];

  /** A GET route serves HEAD too (Hono answers it with the GET's headers): Allow names both. */
  add(route: string, method: string): void {
    const methods = method === "GET" ? ["GET", "HEAD"] : [method];
    const known = this.exact.get(route) ?? this.patterns.find((p) => p.route === route);
    if (known) {
      for (const m of methods) if (!known.methods.includes(m)) known.methods.push(m);
      return;
    }
    const served = { route, methods };
    if (route.includes("/:")) this.patterns.push({ ...served, segments: route.split("/") });
    else this.exact.set(route, served);
  }

  match(path: string): ServedPath | undefined {
    const exact = this.exact.get(path);
    if (exact || this.patterns.length === 0) return exact;
    const segments = path.split("/");
    return this.patterns.find(
      (p) => p.segments.length === segments.length && p.segments.every((s, i) => (s.startsWith(":") ? segments[i] !== "" : s === segments[i])),
    );
  }
}
