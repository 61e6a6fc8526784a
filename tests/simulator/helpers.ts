// Shared by the simulator tests: a controllable clock, JSON calls to the simulator, and small fixtures.
import { expect } from "bun:test";
import type { Simulator } from "../../src/simulator/server.ts";

export interface Envelope<T = any> {
  ErrCode: number;
  ErrMsg: string;
  Resp: T;
}

/** A clock the test moves by hand, so video lifecycles need no waiting. */
export function manualClock(start = Date.parse("2026-03-01T12:00:00Z")) {
  const clock = {
    t: start,
    now: () => clock.t,
    advance(ms: number) {
      clock.t += ms;
    },
  };
  return clock;
}

/** POST (or GET with `body === undefined`) to /creative_platform/<path>; asserts HTTP 200 as Pixverse answers. */
export async function api<T = any>(sim: Simulator, path: string, body?: unknown, token?: string): Promise<Envelope<T>> {
  const headers: Record<string, string> = { "Content-Type": "application/json", "X-Platform": "Web", "Ai-Trace-Id": crypto.randomUUID() };
  if (token !== undefined) headers.Token = token;
  const res = await fetch(`${sim.url}/creative_platform${path}`, {
    method: body === undefined ? "GET" : "POST",
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  expect(res.status, text).toBe(200);
  return JSON.parse(text) as Envelope<T>;
}

export async function control(sim: Simulator, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(`${sim.url}/__sim${path}`, {
    method: body === undefined ? "GET" : "POST",
    headers: { "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: await res.json() };
}

export async function reset(sim: Simulator, body: { ui?: "2026" | "2025" } = {}): Promise<void> {
  const res = await control(sim, "/reset", body);
  expect(res.status).toBe(200);
}

export async function addAccount(
  sim: Simulator,
  account: { email: string; password: string; credits?: number; concurrency?: number; oauthOnly?: boolean; ui?: "2026" | "2025" },
): Promise<void> {
  const res = await control(sim, "/accounts", account);
  expect(res.status, JSON.stringify(res.json)).toBe(201);
}

/** Sign in through the API; returns the token. */
export async function login(sim: Simulator, username: string, password: string): Promise<string> {
  const res = await api(sim, "/login", { Username: username, Password: password });
  expect(res.ErrCode, res.ErrMsg).toBe(0);
  return res.Resp.Result.Token as string;
}

/** A t2v body as the web app composes it (docs/PIXVERSE.md "Creating a video"). */
export function t2vBody(prompt: string, extra: Record<string, unknown> = {}) {
  return { prompt, model: "v5", duration: 5, quality: "360p", aspect_ratio: "16:9", create_count: 1, seed: 7, ...extra };
}

export async function submitT2v(sim: Simulator, token: string, prompt: string): Promise<Envelope> {
  return api(sim, "/video/t2v", t2vBody(prompt), token);
}

export async function detail(sim: Simulator, token: string, videoId: number): Promise<Envelope> {
  return api(sim, "/video/list/detail", { video_id: videoId }, token);
}

export const LIST_BODY = { offset: 0, limit: 50, filter: { off_peak: 0 }, web_offset: 0, app_offset: 0, polling: true };

/** A real 1×1 PNG. */
export const TINY_PNG = Uint8Array.from(
  atob("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="),
  (ch) => ch.charCodeAt(0),
);

/** The first bytes of a PNG of the given size: enough for the size check, which reads only the header. */
export function pngHeader(width: number, height: number): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(33);
  bytes.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);
  const view = new DataView(bytes.buffer);
  view.setUint32(16, width);
  view.setUint32(20, height);
  bytes.set([8, 2, 0, 0, 0], 24);
  return bytes;
}

/** Poll `probe` until it returns a value, at most `timeoutMs`; each wait is short and the whole is bounded. */
export async function eventually<T>(probe: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await Bun.sleep(20);
  }
}
