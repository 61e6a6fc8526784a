// What both page layouts share: the document around a page (banner, the dictionaries the page's script
// re-labels from, the shared script) and labels in the server's guess of the language.
import { html, raw } from "hono/html";
import type { HtmlEscapedString } from "hono/utils/html";
import { DICTIONARIES, type I18nKey, type Lang } from "./i18n.ts";

export type Html = HtmlEscapedString | Promise<HtmlEscapedString>;
export type Dictionaries = Record<Lang, Record<I18nKey, string>>;

/** The words of one page: its language guess and the dictionaries it carries (2026: with overrides). */
export interface Words {
  lang: Lang;
  dictionaries: Dictionaries;
  t(key: I18nKey): string;
}

export function words(lang: Lang, dictionaries: Dictionaries = DICTIONARIES): Words {
  return { lang, dictionaries, t: (key) => dictionaries[lang][key] };
}

/** The label in the server's guess of the language; the page's script re-labels from navigator.language. */
export function label(w: Words, key: I18nKey): Html {
  return html`<span data-i18n="${key}">${w.t(key)}</span>`;
}

export function htmlDocument(w: Words, page: { style: string; body: Html; scripts: string[]; head?: Html }): Html {
  // Both dictionaries ride along so the page can follow navigator.language; `<` escaped for the script tag.
  const dictionaries = JSON.stringify(w.dictionaries).replace(/</g, "\\u003c");
  return html`<!doctype html>
<html lang="${w.lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title data-i18n="title">${w.t("title")}</title>
<style>${raw(page.style)}</style>
${page.head ?? ""}
</head>
<body>
<div class="banner" data-i18n="banner">${w.t("banner")}</div>
${page.body}
<script type="application/json" id="sim-i18n">${raw(dictionaries)}</script>
<script src="/static/common.js"></script>
${page.scripts.map((s) => html`<script src="/static/${s}.js"></script>`)}
</body>
</html>`;
}
