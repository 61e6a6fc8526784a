// The 2026 layout (docs/SIMULATOR.md "Two page layouts"; docs/PIXVERSE.md "Signing in", "Creating a video"):
// Ant Design-like markup without ids on the controls, a promo modal over every page until it is closed, the
// login inputs known by placeholder, the human check in a cross-origin frame, and one composer at
// /creation/video. Everything the pages' scripts need is found through classes and data-* attributes.
import { html, raw } from "hono/html";
import { htmlDocument, label, type Html, type Words } from "./html.ts";
import { creditCost, CREDITS_PER_SECOND, DURATIONS, MODELS, PAGE_DEFAULTS, PAGE_QUALITIES, SURCHARGE } from "./videos.ts";

/** Cloudflare Turnstile's frame title (spec "Signing in": the check lives in a cross-origin iframe). */
export const CHALLENGE_TITLE = "Widget containing a Cloudflare security challenge";

const STYLE = `
*{box-sizing:border-box}
body{font-family:system-ui,sans-serif;margin:0;background:#0d0d0d;color:#eee}
.banner{background:#b8860b;color:#000;padding:4px 12px;font-size:13px}
.top-bar{display:flex;align-items:center;gap:16px;padding:10px 16px;border-bottom:1px solid #262626}
.top-bar .logo{font-weight:600;color:#eee;text-decoration:none;margin-right:auto}
.page{max-width:720px;margin:32px auto;padding:0 16px;display:flex;flex-direction:column;gap:14px}
a{color:#69b1ff}
.ant-input,select{font:inherit;padding:8px 11px;border-radius:8px;border:1px solid #424242;background:#141414;color:#eee}
textarea.ant-input{min-height:120px;resize:vertical;width:100%}
.composer-panel{display:flex;flex-direction:column;gap:12px;align-items:flex-start}
.composer-panel>.image-slot,.composer-panel>.ant-upload-wrapper{align-self:stretch}
.ant-btn{font:inherit;padding:6px 15px;border-radius:8px;border:1px solid #424242;background:#1f1f1f;color:#eee;cursor:pointer}
.ant-btn-primary{background:#1677ff;border-color:#1677ff}
.ant-btn:disabled{opacity:.45;cursor:not-allowed}
.login-form{display:flex;flex-direction:column;gap:12px;max-width:360px;margin:0 auto;width:100%}
.human-check iframe{border:0;width:300px;height:65px;display:block}
.hint{color:#ffd666;margin:0}
.ant-upload-drag{border:1px dashed #424242;border-radius:8px;padding:18px;text-align:center;background:#141414}
.ant-upload-btn{display:block;cursor:pointer}
.upload-preview{display:flex;align-items:center;justify-content:center;gap:8px}
.upload-preview img{max-height:96px;max-width:160px;border-radius:6px}
.options{display:flex;flex-wrap:wrap;align-items:center;gap:12px}
.switch-field{display:inline-flex;align-items:center;gap:6px}
.ant-switch{position:relative;width:44px;height:22px;border-radius:11px;border:0;background:#424242;cursor:pointer;padding:0}
.ant-switch-handle{position:absolute;top:2px;left:2px;width:18px;height:18px;border-radius:50%;background:#fff;transition:left .1s}
.ant-switch[aria-checked=true]{background:#1677ff}
.ant-switch[aria-checked=true] .ant-switch-handle{left:24px}
.ant-modal-mask{position:fixed;inset:0;z-index:1000;background:rgba(0,0,0,.55)}
.ant-modal-wrap{position:fixed;inset:0;z-index:1000;overflow:auto;outline:0}
.ant-modal{position:relative;top:96px;width:440px;max-width:calc(100vw - 32px);margin:0 auto}
.ant-modal-content{position:relative;background:#1f1f1f;border-radius:10px;padding:22px 24px}
.ant-modal-close{position:absolute;top:10px;right:10px;width:30px;height:30px;border-radius:50%;border:0;background:#333;color:#eee;font-size:18px;line-height:30px;cursor:pointer;padding:0}
.ant-modal-title{font-weight:600;font-size:17px;margin-bottom:8px}
.ant-modal-footer{text-align:right;margin-top:14px}
.ant-message{position:fixed;top:10px;left:0;right:0;z-index:1010;display:flex;flex-direction:column;align-items:center;gap:8px;pointer-events:none}
.ant-message-notice{pointer-events:auto;background:#262626;border-radius:8px;padding:9px 12px;box-shadow:0 6px 16px rgba(0,0,0,.5)}
.ant-message-error::before{content:"\\2716";color:#ff4d4f;margin-right:8px}
[hidden]{display:none!important}
`;

function promoModal(w: Words): Html {
  return html`<div class="ant-modal-root" data-sim-modal="promo">
<div class="ant-modal-mask"></div>
<div class="ant-modal-wrap" tabindex="-1">
<div class="ant-modal" role="dialog" aria-modal="true" aria-labelledby="promo-modal-title">
<div class="ant-modal-content">
<button type="button" aria-label="${w.t("close")}" data-i18n-label="close" class="ant-modal-close"><span class="ant-modal-close-x">×</span></button>
<div class="ant-modal-header"><div class="ant-modal-title" id="promo-modal-title" data-i18n="promoTitle">${w.t("promoTitle")}</div></div>
<div class="ant-modal-body"><p data-i18n="promoText">${w.t("promoText")}</p></div>
</div>
</div>
</div>
</div>`;
}

/** Every 2026 page: a top bar, the page, and the promo modal over it (the page shows it again on each load). */
function layout(w: Words, main: Html, scripts: string[], extra: Html = html``): Html {
  const body = html`<header class="top-bar"><a class="logo" href="/home" data-i18n="title">${w.t("title")}</a></header>
<main class="page">${main}</main>
${extra}
${promoModal(w)}`;
  return htmlDocument(w, { style: STYLE, body, scripts: ["ant", ...scripts] });
}

export function onboardPage(w: Words): Html {
  return layout(
    w,
    html`<h1>${label(w, "onboardTitle")}</h1>
<p>${label(w, "onboardText")}</p>
<button type="button" class="ant-btn ant-btn-primary" data-href="/login"><span data-i18n="login">${w.t("login")}</span></button>`,
    [],
  );
}

/**
 * `challengeUrl`: the human check's frame, on the other loopback name than the page's so that it is
 * cross-origin like Cloudflare's; null when no check is pending.
 */
export function loginPage(w: Words, challengeUrl: string | null): Html {
  const check = challengeUrl
    ? html`<div class="human-check"><iframe src="${challengeUrl}" title="${CHALLENGE_TITLE}"></iframe></div>
<p class="hint" role="status" data-sim="human-hint" data-i18n="humanHint" hidden>${w.t("humanHint")}</p>`
    : "";
  return layout(
    w,
    html`<form class="login-form" novalidate>
<h1>${label(w, "loginTitle")}</h1>
<input class="ant-input" type="text" autocomplete="username" placeholder="${w.t("username")}" aria-label="${w.t("username")}" data-i18n-placeholder="username" data-i18n-label="username">
<input class="ant-input" type="password" autocomplete="current-password" placeholder="${w.t("password")}" aria-label="${w.t("password")}" data-i18n-placeholder="password" data-i18n-label="password">
${check}
<button type="submit" class="ant-btn ant-btn-primary"><span data-i18n="login">${w.t("login")}</span></button>
</form>`,
    ["login2026"],
  );
}

export function homePage(w: Words, username: string): Html {
  return layout(
    w,
    html`<h1>${label(w, "homeTitle")}</h1>
<p>${label(w, "signedInAs")} <b>${username}</b></p>
<nav><a class="ant-btn ant-btn-primary" href="/creation/video" data-i18n="create">${w.t("create")}</a></nav>`,
    [],
  );
}

function uploadSlot(w: Words, hint: Html): Html {
  return html`<div class="ant-upload-wrapper"><div class="ant-upload ant-upload-drag">
<span class="ant-upload ant-upload-btn" role="button" tabindex="0"><input type="file" accept="image/png,image/jpeg,image/webp" style="display:none">${hint}</span>
<div class="upload-preview" hidden><img alt="${w.t("uploadedImage")}" data-i18n-alt="uploadedImage"><button type="button" class="ant-btn" aria-label="${w.t("removeImage")}" data-i18n-label="removeImage">×</button></div>
<span class="upload-progress" role="status" data-i18n="uploading" hidden>${w.t("uploading")}</span>
</div></div>`;
}

function aSwitch(w: Words, key: "audio" | "multiShot"): Html {
  return html`<span class="switch-field"><button type="button" role="switch" aria-checked="true" aria-label="${w.t(key)}" data-i18n-label="${key}" data-switch="${key}" class="ant-switch ant-switch-checked"><span class="ant-switch-handle"></span></button>${label(w, key)}</span>`;
}

function aSelect(w: Words, key: "model" | "quality" | "duration", values: readonly (string | number)[], chosen: string | number): Html {
  return html`<select aria-label="${w.t(key)}" data-i18n-label="${key}" data-setting="${key}">${values.map(
    (v) => html`<option value="${v}"${v === chosen ? raw(" selected") : ""}>${v}</option>`,
  )}</select>`;
}

/** The maximum-concurrency modal, shown by the page's script instead of sending a request. */
function limitModal(w: Words): Html {
  return html`<div class="ant-modal-root" data-sim-modal="limit" hidden>
<div class="ant-modal-mask"></div>
<div class="ant-modal-wrap" tabindex="-1">
<div class="ant-modal" role="dialog" aria-modal="true" aria-labelledby="limit-modal-title">
<div class="ant-modal-content">
<button type="button" aria-label="${w.t("close")}" data-i18n-label="close" class="ant-modal-close"><span class="ant-modal-close-x">×</span></button>
<div class="ant-modal-header"><div class="ant-modal-title" id="limit-modal-title" data-i18n="concurrencyLimit">${w.t("concurrencyLimit")}</div></div>
<div class="ant-modal-body"><p data-i18n="concurrencyHint">${w.t("concurrencyHint")}</p></div>
<div class="ant-modal-footer"><button type="button" class="ant-btn ant-btn-primary" data-modal-close><span data-i18n="ok">${w.t("ok")}</span></button></div>
</div>
</div>
</div>
</div>`;
}

/**
 * One composer, no tabs. Before it in the document, on purpose: another file input (video upload) and a
 * hidden panel (start/end-frame mode) with a second prompt textarea and an end-frame slot, as on the real page.
 */
export function creationPage(w: Words): Html {
  const placeholder = w.t("promptPlaceholder");
  const prompt = html`<textarea class="ant-input" placeholder="${placeholder}" aria-label="${placeholder}" data-i18n-placeholder="promptPlaceholder" data-i18n-label="promptPlaceholder"></textarea>`;
  const d = PAGE_DEFAULTS;
  const config = JSON.stringify({ perSecond: CREDITS_PER_SECOND, surcharge: SURCHARGE, defaults: d });
  const cost = creditCost(d.quality, d.duration, { audio: true, multiShot: true });
  return layout(
    w,
    html`<div class="tools"><span class="ant-upload"><input type="file" accept="video/mp4,video/quicktime" style="display:none"></span><button type="button" class="ant-btn" data-sim="upload-video"><span data-i18n="uploadVideo">${w.t("uploadVideo")}</span></button></div>
<section class="composer-panel" data-panel="transition" style="display:none">
${prompt}
${uploadSlot(w, label(w, "endFrame"))}
</section>
<section class="composer-panel" data-panel="video">
<div class="image-slot">${uploadSlot(w, label(w, "uploadHint"))}</div>
${prompt}
<div class="options">
${aSwitch(w, "audio")}
${aSwitch(w, "multiShot")}
${aSelect(w, "model", MODELS, d.model)}
${aSelect(w, "quality", PAGE_QUALITIES, d.quality)}
${aSelect(w, "duration", DURATIONS, d.duration)}
</div>
<button type="button" class="ant-btn ant-btn-primary" data-sim="create" disabled><span data-i18n="create">${w.t("create")}</span> <span data-sim="cost">${cost}</span></button>
<p role="status" data-sim="create-result" hidden></p>
</section>
<script type="application/json" data-sim="creation-config">${raw(config)}</script>`,
    ["creation"],
    limitModal(w),
  );
}

/** The check's own document, served on the other host name; tiny, like Turnstile's widget. */
export function challengePage(w: Words): Html {
  const dictionaries = JSON.stringify(w.dictionaries).replace(/</g, "\\u003c");
  return html`<!doctype html>
<html lang="${w.lang}">
<head><meta charset="utf-8"><title>${CHALLENGE_TITLE}</title>
<style>body{margin:0;font-family:system-ui,sans-serif;background:#222;color:#eee}label{display:flex;align-items:center;gap:10px;padding:18px 14px;cursor:pointer}input{width:22px;height:22px}</style>
</head>
<body>
<label><input type="checkbox"> ${label(w, "verifyHuman")}</label>
<script type="application/json" id="sim-i18n">${raw(dictionaries)}</script>
<script src="/static/common.js"></script>
<script src="/static/challenge.js"></script>
</body>
</html>`;
}
