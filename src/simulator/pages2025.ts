// The 2025 layout: the pages as first specified (docs/SIMULATOR.md "Pages"): ids `Username`/`Password`,
// `/create` with `Text to Video`/`Image to Video` tabs, errors in `role="alert"`, soft navigation after login.
import { html } from "hono/html";
import { htmlDocument, label, type Html, type Words } from "./html.ts";

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

function layout(w: Words, body: Html, scripts: string[]): Html {
  return htmlDocument(w, { style: STYLE, body: html`<main>${body}</main>`, scripts });
}

export function onboardPage(w: Words): Html {
  return layout(
    w,
    html`<h1>${label(w, "onboardTitle")}</h1>
<p>${label(w, "onboardText")}</p>
<button type="button" data-href="/login" data-i18n="login">${w.t("login")}</button>`,
    [],
  );
}

export function loginPage(w: Words, humanCheck: boolean): Html {
  const check = humanCheck
    ? html`<label id="human-check"><input type="checkbox" id="human-check-box"> ${label(w, "verifyHuman")}</label>
<p role="status" id="human-hint" data-i18n="humanHint" hidden>${w.t("humanHint")}</p>`
    : "";
  return layout(
    w,
    html`<h1>${label(w, "loginTitle")}</h1>
<form id="login-form" class="stack" novalidate>
<label for="Username">${label(w, "username")}</label>
<input id="Username" name="Username" type="text" autocomplete="username">
<label for="Password">${label(w, "password")}</label>
<input id="Password" name="Password" type="password" autocomplete="current-password">
${check}
<button type="submit" id="login-button" data-i18n="login">${w.t("login")}</button>
<div role="alert" id="login-error" hidden></div>
</form>`,
    ["login"],
  );
}

export function homePage(w: Words, username: string): Html {
  return layout(
    w,
    html`<h1>${label(w, "homeTitle")}</h1>
<p>${label(w, "signedInAs")} <b>${username}</b></p>
<nav><a href="/create" data-i18n="create">${w.t("create")}</a></nav>`,
    [],
  );
}

export function createPage(w: Words): Html {
  const placeholder = w.t("promptPlaceholder");
  return layout(
    w,
    html`<div role="tablist" aria-label="${w.t("modeLabel")}" data-i18n-label="modeLabel">
<button type="button" role="tab" id="tab-t2v" data-mode="t2v" aria-selected="true" data-i18n="textToVideo">${w.t("textToVideo")}</button>
<button type="button" role="tab" id="tab-i2v" data-mode="i2v" aria-selected="false" data-i18n="imageToVideo">${w.t("imageToVideo")}</button>
</div>
<div id="upload-widget" hidden>
<label>${label(w, "uploadImage")} <input type="file" id="upload-input" accept="image/png,image/jpeg,image/webp"></label>
<p role="status" id="upload-status"></p>
</div>
<textarea id="prompt" placeholder="${placeholder}" aria-label="${placeholder}" data-i18n-placeholder="promptPlaceholder" data-i18n-label="promptPlaceholder"></textarea>
<button type="button" id="create-button" data-i18n="create">${w.t("create")}</button>
<div role="alert" id="create-toast" hidden></div>
<p role="status" id="create-result" hidden></p>`,
    ["create"],
  );
}
