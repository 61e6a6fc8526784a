// One webhook attempt: a POST of the signed body to the callback URL, answered by the receiver's status or
// a failure. Sent with node:http(s) rather than fetch for one reason: its `lookup` hook lets the address
// check run on the very addresses the connection uses, so a host name that resolves (or is re-pointed by
// DNS rebinding) to a loopback or private address is refused without a second, separate resolution that
// could answer differently. Redirects are not followed (a 3xx is a failed attempt, like any non-2xx).
import { lookup as dnsLookup } from "node:dns";
import http from "node:http";
import type { LookupFunction } from "node:net";
import https from "node:https";
import { callbackUrlProblem, nonPublicKind } from "./address.ts";

/** The receiver's status (any, 2xx or not), or no status and why. */
export type PostOutcome = { status: number } | { status: null; error: string; aborted?: boolean };

export interface PostRequest {
  url: string;
  body: string;
  headers: Record<string, string>;
  timeoutMs: number;
  /** WEBHOOK_ALLOW_PRIVATE: every address allowed. */
  allowPrivate: boolean;
  /** Aborts the attempt (shutdown); the outcome then says `aborted`. */
  signal?: AbortSignal;
}

/** The most of a receiver's answer that is read (and thrown away) before the connection is closed. */
const MAX_ANSWER_BYTES = 64 * 1024;

class RefusedAddress extends Error {
  constructor(host: string, kind: string) {
    super(`${host} resolves to a ${kind} address, which callbacks may not reach`);
    this.name = "RefusedAddress";
  }
}

/** A dns.lookup that refuses non-public answers, in whichever form (one address or all) the caller asked for. */
const checkedLookup: LookupFunction = (hostname, options, callback) => {
  dnsLookup(hostname, { family: options?.family ?? 0, hints: options?.hints, all: true }, (err, addresses) => {
    if (err) return callback(err, []);
    for (const a of addresses) {
      const kind = nonPublicKind(a.address);
      if (kind) return callback(new RefusedAddress(hostname, kind), []);
    }
    if (addresses.length === 0) return callback(Object.assign(new Error(`${hostname} has no address`), { code: "ENOTFOUND" }), []);
    if (options?.all) return callback(null, addresses);
    callback(null, addresses[0]!.address, addresses[0]!.family);
  });
};

/** POST `body` to `url` once; never throws. */
export function postWebhook(req: PostRequest): Promise<PostOutcome> {
  // The URL was checked when it was accepted; checked again here because the policy may have changed since.
  const problem = callbackUrlProblem(req.url, { enabled: true, allowPrivate: req.allowPrivate });
  if (problem) return Promise.resolve({ status: null, error: problem });
  const url = new URL(req.url);
  const client = url.protocol === "https:" ? https : http;
  return new Promise<PostOutcome>((resolve) => {
    let settled = false;
    const finish = (outcome: PostOutcome) => {
      if (settled) return;
      settled = true;
      resolve(outcome);
    };
    const request = client.request(url, {
      method: "POST",
      headers: { ...req.headers, "Content-Length": String(Buffer.byteLength(req.body)) },
      // A fresh connection per attempt: each one goes through the address check.
      agent: false,
      ...(req.allowPrivate ? {} : { lookup: checkedLookup }),
    });
    const timer = setTimeout(() => {
      finish({ status: null, error: `no answer within ${req.timeoutMs} ms` });
      request.destroy();
    }, req.timeoutMs);
    const onAbort = () => {
      finish({ status: null, error: "aborted (shutting down)", aborted: true });
      request.destroy();
    };
    if (req.signal?.aborted) onAbort();
    req.signal?.addEventListener("abort", onAbort, { once: true });
    const done = () => {
      clearTimeout(timer);
      req.signal?.removeEventListener("abort", onAbort);
    };
    request.on("response", (res) => {
      finish({ status: res.statusCode ?? 0 });
      // The answer's body means nothing to us: read a little of it so the receiver is not cut off, then close.
      let read = 0;
      res.on("data", (chunk: Buffer) => {
        read += chunk.length;
        if (read > MAX_ANSWER_BYTES) res.destroy();
      });
      res.on("close", done);
      res.on("error", () => {});
    });
    request.on("error", (e) => {
      done();
      finish({ status: null, error: e.message || e.name });
    });
    request.on("close", () => {
      if (!settled) done();
    });
    request.end(req.body);
  });
}
