// The sign-in form: posts /creative_platform/login, keeps the token in the `_ai_token` cookie, goes to /home.
// With the simulator's human check on, a Login waits until the box is ticked (by a person, or by the
// control API, which this page polls for).
(function () {
  "use strict";
  var sim = window.sim;
  var form = document.getElementById("login-form");
  var errorBox = document.getElementById("login-error");
  var humanBox = document.getElementById("human-check-box");
  var hint = document.getElementById("human-hint");
  var loginPending = false;
  var pollTimer = null;
  var busy = false;

  function login() {
    if (busy) return;
    busy = true;
    loginPending = false;
    sim.hide(errorBox);
    var body = { Username: document.getElementById("Username").value, Password: document.getElementById("Password").value };
    sim.api("/login", body)
      .then(function (res) {
        if (res.ErrCode === 0) {
          // About 30 days, like the real token's lifetime.
          document.cookie = "_ai_token=" + encodeURIComponent(res.Resp.Result.Token) + "; path=/; max-age=2592000; SameSite=Lax";
          if (pollTimer) clearInterval(pollTimer);
          sim.softNavigate("/home");
          return;
        }
        sim.show(errorBox, res.ErrMsg);
      })
      .catch(function () { sim.show(errorBox, sim.t("networkError")); })
      .finally(function () { busy = false; });
  }

  function humanVerified() {
    if (hint) hint.hidden = true;
    if (loginPending) login();
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (humanBox && !humanBox.checked) {
      loginPending = true;
      hint.hidden = false;
      return;
    }
    login();
  });

  if (humanBox) {
    humanBox.addEventListener("change", function () {
      if (!humanBox.checked) return;
      fetch("/__sim/solve-human-check", { method: "POST", headers: { "Content-Type": "application/json" }, body: "{}" })
        .then(humanVerified, humanVerified);
    });
    pollTimer = setInterval(function () {
      if (humanBox.checked) return clearInterval(pollTimer);
      fetch("/__sim/human-check")
        .then(function (res) { return res.json(); })
        .then(function (check) {
          if (humanBox.checked || !(check.solved || !check.on)) return;
          clearInterval(pollTimer);
          humanBox.checked = true;
          humanVerified();
        })
        .catch(function () {});
    }, 500);
  }
})();
