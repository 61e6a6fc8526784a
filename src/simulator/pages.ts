// The page routes of both layouts (pages2026.ts, pages2025.ts). Pages nobody is signed in to (/onboard,
// /login) take the simulator's layout; signed-in pages take the account's. Signed out, every page but
// /login and /onboard redirects to /login.
import { Hono, type Context } from "hono";
import { getCookie } from "hono/cookie";
import { words, type Words } from "./html.ts";
import { pickLang, withEnglishOverrides } from "./i18n.ts";
import type { Ui } from "./layouts.ts";
import * as v2025 from "./pages2025.ts";
import * as v2026 from "./pages2026.ts";
import type { SimState } from "./state.ts";

/** The cookie the real web app keeps its token in (spec "Signing in"). */
export const TOKEN_COOKIE = "_ai_token";

/** Where each layout's creation page lives; the other path redirects to it. */
export const CREATION_PATH: Record<Ui, string> = { "2026": "/creation/video", "2025": "/create" };

/**
 * The human check's frame URL: the other loopback name than the page's (127.0.0.1 ↔ localhost, same port),
 * so that the frame is cross-origin like Cloudflare's.
 */
export function challengeUrl(pageUrl: string): string {
  const url = new URL("/__sim/challenge", pageUrl);
  url.hostname = url.hostname === "localhost" ? "127.0.0.1" : "localhost";
  return url.href;
}

export function pageRoutes(state: SimState): Hono {
  const app = new Hono();
  // Server side, the first Accept-Language entry decides; the page's script then follows navigator.language.
  // The 2026 pages carry the label overrides of POST /__sim/labels; the 2025 pages never do.
  const wordsFor = (c: Context, ui: Ui): Words => {
    const lang = pickLang(c.req.header("accept-language"));
    return ui === "2026" ? words(lang, withEnglishOverrides(state.labels())) : words(lang);
  };
  const signedIn = (c: Context) => {
    const auth = state.accounts.authenticate(getCookie(c, TOKEN_COOKIE));
    return auth.ok ? auth.account : undefined;
  };
  const noStore = (c: Context) => c.header("Cache-Control", "no-store");

  app.get("/onboard", (c) => {
    noStore(c);
    const ui = state.ui();
    return c.html(ui === "2026" ? v2026.onboardPage(wordsFor(c, ui)) : v2025.onboardPage(wordsFor(c, ui)));
  });
  // Our choice: /login always shows the form, even to a signed-in visitor (the spec does not say).
  app.get("/login", (c) => {
    noStore(c);
    const check = state.accounts.humanCheck();
    const pending = check.on && !check.solved;
    const ui = state.ui();
    if (ui === "2025") return c.html(v2025.loginPage(wordsFor(c, ui), pending));
    return c.html(v2026.loginPage(wordsFor(c, ui), pending ? challengeUrl(c.req.url) : null));
  });
  app.get("/", (c) => c.redirect(signedIn(c) ? "/home" : "/login"));
  app.get("/home", (c) => {
    const account = signedIn(c);
    if (!account) return c.redirect("/login");
    noStore(c);
    const ui = state.uiOf(account);
    const w = wordsFor(c, ui);
    return c.html(ui === "2026" ? v2026.homePage(w, account.username) : v2025.homePage(w, account.username));
  });
  for (const path of Object.values(CREATION_PATH)) {
    app.get(path, (c) => {
      const account = signedIn(c);
      if (!account) return c.redirect("/login");
      const ui = state.uiOf(account);
      if (path !== CREATION_PATH[ui]) return c.redirect(CREATION_PATH[ui]);
      noStore(c);
      return c.html(ui === "2026" ? v2026.creationPage(wordsFor(c, ui)) : v2025.createPage(wordsFor(c, ui)));
    });
  }
  // The 2026 human check's document, loaded by the login page's cross-origin frame.
  app.get("/__sim/challenge", (c) => {
    noStore(c);
    return c.html(v2026.challengePage(wordsFor(c, "2026")));
  });
  return app;
}
