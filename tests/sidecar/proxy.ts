// A pass-through proxy in front of the simulator that can hold one request: either it reaches the
// simulator and its answer is swallowed ("answer": the video exists, the browser never hears back), or it
// never reaches the simulator at all ("request"). That pins a crash "between the click and the answer"
// without any timing luck.
import type { Server } from "bun";

export interface HoldingProxy {
  url: string;
  /** Resolves once the first request matching `hold` is held: with the simulator's answer, or "" if not forwarded. */
  held: Promise<string>;
  stop(): Promise<void>;
}

export function holdingProxy(
  target: string,
  hold: (method: string, path: string, body: string) => boolean,
  swallow: "answer" | "request" = "answer",
): HoldingProxy {
  let resolveHeld!: (answer: string) => void;
  const held = new Promise<string>((resolve) => {
    resolveHeld = resolve;
  });
  let holding = false;
  const server: Server<undefined> = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    async fetch(req) {
      const url = new URL(req.url);
      const body = req.method === "GET" || req.method === "HEAD" ? undefined : await req.text();
      const holdThis = !holding && hold(req.method, url.pathname, body ?? "");
      // Never answered: the connection stays open until the proxy stops.
      const never = () => new Promise<Response>(() => undefined);
      if (holdThis && swallow === "request") {
        holding = true;
        resolveHeld("");
        return never();
      }
      const headers = new Headers(req.headers);
      headers.delete("host");
      const res = await fetch(new URL(url.pathname + url.search, target), { method: req.method, headers, body, redirect: "manual" });
      const answer = await res.arrayBuffer();
      if (holdThis) {
        holding = true;
        resolveHeld(new TextDecoder().decode(answer));
        return never();
      }
      const out = new Headers(res.headers);
      // fetch() already decoded the body.
      out.delete("content-encoding");
      out.delete("content-length");
      return new Response(answer, { status: res.status, headers: out });
    },
  });
  return {
    url: `http://127.0.0.1:${server.port}`,
    held,
    async stop() {
      await server.stop(true);
    },
  };
}
