// The creation page: text or image mode; in image mode a chosen file is uploaded at once (upload token,
// the bytes to the storage stand-in, media record), then Create posts video/t2v or video/i2v with a body
// shaped like the real web app's (docs/PIXVERSE.md "Creating a video").
(function () {
  "use strict";
  var sim = window.sim;
  var tabs = Array.prototype.slice.call(document.querySelectorAll("[role=tab]"));
  var widget = document.getElementById("upload-widget");
  var input = document.getElementById("upload-input");
  var uploadStatus = document.getElementById("upload-status");
  var prompt = document.getElementById("prompt");
  var createButton = document.getElementById("create-button");
  var toast = document.getElementById("create-toast");
  var result = document.getElementById("create-result");
  // What the page sends besides the prompt; the simulator's stand-in for the real page's settings widgets.
  var SETTINGS = { model: "v5", duration: 5, quality: "360p", motion_mode: "normal" };
  var mode = "t2v";
  var image = null;
  var uploads = 0;
  var uploading = false;
  var submitting = false;

  function refresh() {
    tabs.forEach(function (tab) { tab.setAttribute("aria-selected", String(tab.getAttribute("data-mode") === mode)); });
    widget.hidden = mode !== "i2v";
    createButton.disabled = submitting || uploading || (mode === "i2v" && !image);
  }

  function fail(message) {
    sim.show(toast, message);
  }

  function upload(file) {
    var mine = ++uploads;
    image = null;
    uploading = true;
    sim.hide(toast);
    uploadStatus.textContent = sim.t("uploading");
    refresh();
    sim.uploadImage(file)
      .then(function (media) {
        if (mine !== uploads) return;
        image = { path: media.path, url: media.url };
        uploadStatus.textContent = sim.t("uploaded");
      })
      .catch(function (err) {
        if (mine !== uploads) return;
        uploadStatus.textContent = sim.t("uploadFailed");
        fail(err && err.message ? err.message : sim.t("uploadFailed"));
      })
      .finally(function () {
        if (mine !== uploads) return;
        uploading = false;
        refresh();
      });
  }

  function create() {
    var body = {
      prompt: prompt.value,
      model: SETTINGS.model,
      duration: SETTINGS.duration,
      quality: SETTINGS.quality,
      motion_mode: SETTINGS.motion_mode,
      seed: Math.floor(Math.random() * 2147483647),
      create_count: 1,
      credit_change: 20,
    };
    if (mode === "t2v") body.aspect_ratio = "16:9";
    else {
      body.customer_img_path = image.path;
      body.customer_img_url = image.url;
    }
    submitting = true;
    sim.hide(toast);
    sim.hide(result);
    refresh();
    sim.api("/video/" + mode, body)
      .then(function (res) {
        if (res.ErrCode !== 0) return fail(res.ErrMsg);
        var id = res.Resp.video_id !== undefined ? res.Resp.video_id : (res.Resp.video_ids || [])[0];
        sim.show(result, sim.t("submitted") + " " + id);
      })
      .catch(function () { fail(sim.t("networkError")); })
      .finally(function () {
        submitting = false;
        refresh();
      });
  }

  tabs.forEach(function (tab) {
    tab.addEventListener("click", function () {
      mode = tab.getAttribute("data-mode");
      refresh();
    });
  });
  input.addEventListener("change", function () {
    if (input.files && input.files[0]) upload(input.files[0]);
  });
  createButton.addEventListener("click", create);
  refresh();
})();
