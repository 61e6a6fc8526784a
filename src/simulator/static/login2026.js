// The 2026 sign-in form: inputs known by placeholder (no ids), posts /creative_platform/login, keeps the token
// in the `_ai_token` cookie, then a full document navigation to /home at once, as the 2026 site does (which
// is why automation must not count on reading the login answer's body late). Errors as Ant Design messages.
// With the human check on, Login waits until the cross-origin frame's box is ticked; this page learns it by
// polling the simulator (a frame of another origin cannot be read).
(function () {
  "use strict";
  var sim = window.sim;
  var form = document.querySelector("form.login-form");
  var username = form.querySelector("input[type=text]");
  var password = form.querySelector("input[type=password]");
  var frame = form.querySelector(".human-check iframe");
  var hint = form.querySelector('[data-sim="human-hint"]');
  var verified = !frame;
  var loginPending = false;
  var busy = false;
  var pollTimer = null;

  function login() {
    if (busy) return;
    busy = true;
    loginPending = false;
    sim.api("/login", { Username: username.value, Password: password.value })
      .then(function (res) {
        if (res.ErrCode === 0) {
          // About 30 days, like the real token's lifetime.
          document.cookie = "_ai_token=" + encodeURIComponent(res.Resp.Result.Token) + "; path=/; max-age=2592000; SameSite=Lax";
          location.href = "/home";
          return;
        }
        sim.message(res.ErrMsg);
      })
      .catch(function () { sim.message(sim.t("networkError")); })
      .finally(function () { busy = false; });
  }

  function onVerified() {
    if (verified) return;
    verified = true;
    if (pollTimer) clearInterval(pollTimer);
    if (hint) hint.hidden = true;
    if (loginPending) login();
  }

  function poll() {
    fetch("/__sim/human-check", { cache: "no-store" })
      .then(function (res) { return res.json(); })
      .then(function (check) {
        if (!check.on || check.solved) onVerified();
      })
      .catch(function () {});
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (!verified) {
      loginPending = true;
      hint.hidden = false;
      return;
    }
    login();
  });

  if (frame) {
    pollTimer = setInterval(poll, 500);
    // The frame says when its box is ticked; the simulator's answer stays the judge.
    window.addEventListener("message", function (event) {
      if (event.data && event.data.simHumanCheck === "solved") poll();
    });
  }
})();
