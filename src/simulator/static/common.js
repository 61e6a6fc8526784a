// Shared by every simulator page: language, the API helper (headers as the real web app sends them,
// docs/PIXVERSE.md "Signing in"), and small UI helpers. Plain browser JavaScript, no build step.
(function () {
  "use strict";
  var dictionaries = JSON.parse(document.getElementById("sim-i18n").textContent);
  // navigator.language decides; without one, keep the server's choice from Accept-Language.
  var navLang = (navigator.language || "").toLowerCase();
  var lang = navLang ? (navLang.indexOf("ru") === 0 ? "ru" : "en") : document.documentElement.lang || "en";
  var dict = dictionaries[lang] || dictionaries.en;

  function t(key) {
    return dict[key] || dictionaries.en[key] || key;
  }

  function applyLanguage() {
    document.documentElement.lang = lang;
    document.querySelectorAll("[data-i18n]").forEach(function (el) {
      el.textContent = t(el.getAttribute("data-i18n"));
    });
    document.querySelectorAll("[data-i18n-placeholder]").forEach(function (el) {
      el.setAttribute("placeholder", t(el.getAttribute("data-i18n-placeholder")));
    });
    document.querySelectorAll("[data-i18n-label]").forEach(function (el) {
      el.setAttribute("aria-label", t(el.getAttribute("data-i18n-label")));
    });
    document.querySelectorAll("[data-i18n-alt]").forEach(function (el) {
      el.setAttribute("alt", t(el.getAttribute("data-i18n-alt")));
    });
  }

  function readCookie(name) {
    var parts = document.cookie ? document.cookie.split("; ") : [];
    for (var i = 0; i < parts.length; i++) {
      var eq = parts[i].indexOf("=");
      if (parts[i].slice(0, eq) === name) return decodeURIComponent(parts[i].slice(eq + 1));
    }
    return null;
  }

  // crypto.randomUUID needs a secure context; the simulator may be opened over plain http on a LAN address.
  function uuid() {
    if (window.crypto && typeof crypto.randomUUID === "function" && window.isSecureContext) return crypto.randomUUID();
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  /**
   * POST (or GET without a body) to /creative_platform/<path> with the Token from the `_ai_token` cookie.
   * X-Sim-Origin is the simulator's own marker (not Pixverse's): it tells the stats this was the page itself.
   */
  function api(path, body) {
    var headers = { "X-Platform": "Web", "Ai-Trace-Id": uuid(), "Content-Type": "application/json", "X-Sim-Origin": "ui" };
    var token = readCookie("_ai_token");
    if (token) headers.Token = token;
    var init = { method: body === undefined ? "GET" : "POST", headers: headers };
    if (body !== undefined) init.body = JSON.stringify(body);
    return fetch("/creative_platform" + path, init).then(function (res) { return res.json(); });
  }

  var EXT = { "image/png": "png", "image/jpeg": "jpg", "image/webp": "webp" };

  /**
   * The web app's upload steps: an upload token, the bytes to the storage host, then the media record.
   * Resolves with `batch_upload_media`'s first result ({id, path, url, …}); rejects with the page's message.
   */
  function uploadImage(file) {
    var ext = EXT[file.type] || (file.name.split(".").pop() || "png").toLowerCase();
    var path = "upload/" + uuid() + "." + ext;
    return api("/getUploadToken", {})
      .then(function (res) {
        if (res.ErrCode !== 0) throw new Error(res.ErrMsg);
        return fetch("/oss/" + path, {
          method: "PUT",
          headers: { "Content-Type": file.type || "application/octet-stream", "X-Oss-Security-Token": res.Resp.Token, Authorization: "OSS " + res.Resp.Ak },
          body: file,
        });
      })
      .then(function (put) {
        if (!put.ok) throw new Error(t("uploadFailed"));
        return api("/media/batch_upload_media", { images: [{ name: file.name, size: file.size, path: path }] });
      })
      .then(function (res) {
        if (res.ErrCode !== 0) throw new Error(res.ErrMsg);
        return res.Resp.result[0];
      });
  }

  function show(el, text) {
    el.textContent = text;
    el.hidden = false;
  }

  function hide(el) {
    el.hidden = true;
    el.textContent = "";
  }

  function init() {
    applyLanguage();
    document.querySelectorAll("[data-href]").forEach(function (el) {
      el.addEventListener("click", function () { location.href = el.getAttribute("data-href"); });
    });
  }

  // Like the real single-page app, move on without a document navigation: a full one would discard the
  // response bodies that automation reads after arming waitForResponse (e.g. the login answer).
  function softNavigate(path) {
    return fetch(path, { credentials: "same-origin" })
      .then(function (res) {
        if (!res.ok || res.redirected) throw new Error("needs a full navigation");
        return res.text();
      })
      .then(function (text) {
        var doc = new DOMParser().parseFromString(text, "text/html");
        document.title = doc.title;
        document.body.replaceWith(document.adoptNode(doc.body));
        history.pushState(null, "", path);
        init();
      })
      .catch(function () { location.href = path; });
  }

  window.addEventListener("popstate", function () { location.reload(); });
  init();

  window.sim = { t: t, lang: lang, api: api, uploadImage: uploadImage, uuid: uuid, readCookie: readCookie, show: show, hide: hide, softNavigate: softNavigate };
})();
