// The 2026 human check's frame (served on the other loopback name, so cross-origin to the login page):
// ticking the box solves the simulator's check, then tells the parent page.
(function () {
  "use strict";
  var box = document.querySelector("input[type=checkbox]");
  box.addEventListener("change", function () {
    if (!box.checked) return;
    box.disabled = true;
    fetch("/__sim/solve-human-check", { method: "POST", headers: { "Content-Type": "application/json" }, body: "{}" })
      .then(function () { parent.postMessage({ simHumanCheck: "solved" }, "*"); })
      .catch(function () { box.disabled = false; box.checked = false; });
  });
})();
