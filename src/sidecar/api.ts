// Pixverse's JSON API, called two ways from the signed-in browser context: from the context's request
// client (polling, plan, credits: cookies shared, no page needed), and from inside a page (`fetch` with
// the page's own origin, cookies and headers), which is how the web app itself creates videos.
import type { APIRequestContext, BrowserContext, Page } from "playwright-core";
import {
  API_PATHS,
  apiHeaders,
  genSimultaneously,
  listBody,
  parseCredits,
  parseEnvelope,
  parseVideoDetail,
  parseVideoList,
  PixverseApiError,
  PixverseFormatError,
  TOKEN_COOKIES,
  type Credits,
  type Envelope,
  type ListItem,
  type ListPage,
} from "./pixverse.ts";

/** The signed-in token: cookie `_ai_token` (or `ai_token`) of the web or API host. */
export async function readToken(context: BrowserContext, webUrl: string, apiUrl: string): Promise<string | null> {
  const cookies = await context.cookies([webUrl, apiUrl]);
  for (const name of TOKEN_COOKIES) {
    const cookie = cookies.find((c) => c.name === name && c.value !== "");
    if (cookie) return cookie.value;
  }
  return null;
}

/** Calls made with the context's request client: same cookies as the pages, no page involved. */
export class PixverseApi {
  constructor(
    private readonly request: APIRequestContext,
    private readonly apiUrl: string,
    private readonly token: () => Promise<string | null>,
  ) {}

  /** One call; throws PixverseApiError on a non-zero ErrCode (a missing token counts as `10003`). */
  async call(method: "GET" | "POST", path: string, body: unknown, timeoutMs: number): Promise<unknown> {
    return this.send(method, path, method === "POST" ? JSON.stringify(body ?? {}) : undefined, timeoutMs);
  }

  /** Polling: one page of the account's videos, newest first, starting at `webOffset`. */
  async listPersonal(webOffset: number, timeoutMs: number): Promise<ListPage> {
    return parseVideoList(await this.call("POST", API_PATHS.listPersonal, listBody(webOffset), timeoutMs), webOffset);
  }

  async videoDetail(videoId: string, timeoutMs: number): Promise<ListItem | null> {
    // The id goes back as the number Pixverse sent; spliced in as text so no digit is lost.
    const token = /^\d+$/.test(videoId) ? videoId : JSON.stringify(videoId);
    return parseVideoDetail(await this.send("POST", API_PATHS.listDetail, `{"video_id":${token}}`, timeoutMs));
  }

  async planDetails(timeoutMs: number): Promise<{ genSimultaneously: number | null; raw: unknown }> {
    const raw = await this.call("POST", API_PATHS.planDetails, {}, timeoutMs);
    return { genSimultaneously: genSimultaneously(raw), raw };
  }

  async credits(timeoutMs: number): Promise<Credits> {
    return parseCredits(await this.call("GET", API_PATHS.credits, undefined, timeoutMs));
  }

  private async send(method: "GET" | "POST", path: string, body: string | undefined, timeoutMs: number): Promise<unknown> {
    const token = await this.token();
    if (!token) throw new PixverseApiError(10003, "no token cookie: not signed in");
    const res = await this.request.fetch(new URL(path, this.apiUrl).href, {
      method,
      headers: apiHeaders(token),
      data: body,
      timeout: timeoutMs,
      failOnStatusCode: false,
    });
    // An APIResponse keeps its body in memory until disposed (or the context closes): read, then let go.
    const text = await res.text().finally(() => res.dispose());
    if (res.status() !== 200) throw new PixverseFormatError(`${path} answered HTTP ${res.status()}`);
    const envelope = parseEnvelope(text);
    if (envelope.code !== 0) throw new PixverseApiError(envelope.code, envelope.message || `ErrCode ${envelope.code}`);
    return envelope.resp;
  }
}

/**
 * POST from inside `page`, exactly like the web app's own calls: the page's origin and cookies, the `Token`,
 * `X-Platform` and `Ai-Trace-Id` headers. Resolves with Pixverse's answer; rejects when no answer could
 * be read (the request may or may not have reached Pixverse).
 */
export async function postFromPage(page: Page, url: string, token: string, body: string, timeoutMs: number): Promise<Envelope> {
  const answer = await page.evaluate(
    async ({ url, headers, body, timeoutMs }) => {
      const abort = new AbortController();
      const timer = setTimeout(() => abort.abort(), timeoutMs);
      try {
        const res = await fetch(url, { method: "POST", headers, body, signal: abort.signal });
        return { status: res.status, text: await res.text() };
      } finally {
        clearTimeout(timer);
      }
    },
    { url, headers: apiHeaders(token), body, timeoutMs },
  );
  if (answer.status !== 200) throw new PixverseFormatError(`${new URL(url).pathname} answered HTTP ${answer.status}`);
  return parseEnvelope(answer.text);
}
