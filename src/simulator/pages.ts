// The web pages: server-rendered HTML with a little plain JavaScript (static/*.js), no framework.
// Element ids and labels follow docs/PIXVERSE.md ("Signing in", "Creating a video"); the layout and
// everything the spec is silent on are kept plain.
import { Hono, type Context } from "hono";
import { getCookie } from "hono/cookie";
import { html, raw } from "hono/html";
import type { HtmlEscapedString } from "hono/utils/html";
import { DICTIONARIES, pickLang, t, type I18nKey, type Lang } from "./i18n.ts";
import type { SimState } from "./state.ts";

/** The cookie the real web app keeps its token in (spec "Signing in"). */
export const TOKEN_COOKIE = "_ai_token";

type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

const STYLE = `
body{font-family:system-ui,sans-serif;margin:0;background:#111;color:#eee}
.banner{background:#b8860b;color:#000;padding:4px 12px;font-size:13px}
main{max-width:640px;margin:32px auto;padding:0 16px}
main,.stack{display:flex;flex-direction:column;gap:12px}
input,textarea,button{font:inherit;padding:8px;border-radius:6px;border:1px solid #555;background:#222;color:#eee}
textarea{min-height:120px}
button{cursor:pointer;background:#3b5bdb;border-color:#3b5bdb}
button:disabled{opacity:.5;cursor:not-allowed}
[role=tab]{background:#222}[role=tab][aria-selected=true]{background:#3b5bdb}
[role=alert]{background:#c92a2a;padding:8px;border-radius:6px}
[hidden]{display:none!important}
a{color:#91a7ff}
`;

/** The label in the server's guess of the language; the page's script re-labels from navigator.language. */
function label(lang: Lang, key: I18nKey): Html {
  return html`<span data-i18n="${key}">${t(lang, key)}</span>`;
}

function layout(lang: Lang, body: Html, scripts: string[]): Html {
  // Both dictionaries ride along so the page can follow navigator.language; `<` escaped for the script tag.
  const dictionaries = JSON.stringify(DICTIONARIES).replace(/</g, "\\u003c");
  return html`<!doctype html>
<html lang="${lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title data-i18n="title">${t(lang, "title")}</title>
<style>${raw(STYLE)}</style>
</head>
<body>
<div class="banner" data-i18n="banner">${t(lang, "banner")}</div>
<main>${body}</main>
<script type="application/json" id="sim-i18n">${raw(dictionaries)}</script>
<script src="/static/common.js"></script>
${scripts.map((s) => html`<script src="/static/${s}.js"></script>`)}
</body>
</html>`;
}

function onboardPage(lang: Lang): Html {
  return layout(
    lang,
    html`<h1>${label(lang, "onboardTitle")}</h1>
<p>${label(lang, "onboardText")}</p>
<button type="button" data-href="/login" data-i18n="login">${t(lang, "login")}</button>`,
    [],
  );
}

function loginPage(lang: Lang, humanCheck: boolean): Html {
  const check = humanCheck
    ? html`<label id="human-check"><input type="checkbox" id="human-check-box"> ${label(lang, "verifyHuman")}</label>
<p role="status" id="human-hint" data-i18n="humanHint" hidden>${t(lang, "humanHint")}</p>`
    : "";
  return layout(
    lang,
    html`<h1>${label(lang, "loginTitle")}</h1>
<form id="login-form" class="stack" novalidate>
<label for="Username">${label(lang, "username")}</label>
<input id="Username" name="Username" type="text" autocomplete="username">
<label for="Password">${label(lang, "password")}</label>
<input id="Password" name="Password" type="password" autocomplete="current-password">
${check}
<button type="submit" id="login-button" data-i18n="login">${t(lang, "login")}</button>
<div role="alert" id="login-error" hidden></div>
</form>`,
    ["login"],
  );
}

function homePage(lang: Lang, username: string): Html {
  return layout(
    lang,
    html`<h1>${label(lang, "homeTitle")}</h1>
<p>${label(lang, "signedInAs")} <b>${username}</b></p>
<nav><a href="/create" data-i18n="create">${t(lang, "create")}</a></nav>`,
    [],
  );
}

function createPage(lang: Lang): Html {
  const placeholder = t(lang, "promptPlaceholder");
  return layout(
    lang,
    html`<div role="tablist" aria-label="${t(lang, "modeLabel")}" data-i18n-label="modeLabel">
<button type="button" role="tab" id="tab-t2v" data-mode="t2v" aria-selected="true" data-i18n="textToVideo">${t(lang, "textToVideo")}</button>
<button type="button" role="tab" id="tab-i2v" data-mode="i2v" aria-selected="false" data-i18n="imageToVideo">${t(lang, "imageToVideo")}</button>
</div>
<div id="upload-widget" hidden>
<label>${label(lang, "uploadImage")} <input type="file" id="upload-input" accept="image/png,image/jpeg,image/webp"></label>
<p role="status" id="upload-status"></p>
</div>
<textarea id="prompt" placeholder="${placeholder}" aria-label="${placeholder}" data-i18n-placeholder="promptPlaceholder" data-i18n-label="promptPlaceholder"></textarea>
<button type="button" id="create-button" data-i18n="create">${t(lang, "create")}</button>
<div role="alert" id="create-toast" hidden></div>
<p role="status" id="create-result" hidden></p>`,
    ["create"],
  );
}

/** The page routes: signed out, everything but /login and /onboard redirects to /login. */
export function pageRoutes(state: SimState): Hono {
  const app = new Hono();
  // Server side, the first Accept-Language entry decides; the page's script then follows navigator.language.
  const langOf = (c: Context) => pickLang(c.req.header("accept-language"));
  const signedIn = (c: Context) => {
    const auth = state.accounts.authenticate(getCookie(c, TOKEN_COOKIE));
    return auth.ok ? auth.account : undefined;
  };
  const noStore = (c: Context) => c.header("Cache-Control", "no-store");

  app.get("/onboard", (c) => (noStore(c), c.html(onboardPage(langOf(c)))));
  // Our choice: /login always shows the form, even to a signed-in visitor (the spec does not say).
  app.get("/login", (c) => {
    noStore(c);
    const check = state.accounts.humanCheck();
    return c.html(loginPage(langOf(c), check.on && !check.solved));
  });
  app.get("/", (c) => c.redirect(signedIn(c) ? "/home" : "/login"));
  app.get("/home", (c) => {
    const account = signedIn(c);
    if (!account) return c.redirect("/login");
    noStore(c);
    return c.html(homePage(langOf(c), account.username));
  });
  app.get("/create", (c) => {
    if (!signedIn(c)) return c.redirect("/login");
    noStore(c);
    return c.html(createPage(langOf(c)));
  });
  return app;
}
