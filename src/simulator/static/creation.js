// The 2026 creation page (/creation/video): one composer. An image set on the visible slot's file input is
// uploaded at once (upload token, the bytes to the storage stand-in, media record); with an image Create
// posts video/i2v, without one video/t2v (docs/PIXVERSE.md "Creating a video"). Audio and Multi-Shot start
// on at every load; model, quality and duration are remembered in localStorage (our choice: where the real
// page keeps them is unknown). At the plan's limit the page shows a modal and sends nothing.
(function () {
  "use strict";
  var sim = window.sim;
  var config = JSON.parse(document.querySelector('[data-sim="creation-config"]').textContent);
  var STORE_KEY = "sim:creation:settings";
  // Pixverse's own "still generating" statuses (spec "Polling"): queued, waiting, processing.
  var IN_FLIGHT = [5, 9, 10];

  var panel = document.querySelector('[data-panel="video"]');
  var slot = panel.querySelector(".image-slot .ant-upload-drag");
  var input = slot.querySelector("input[type=file]");
  var pick = slot.querySelector(".ant-upload-btn");
  var preview = slot.querySelector(".upload-preview");
  var previewImage = preview.querySelector("img");
  var removeButton = preview.querySelector("button");
  var progress = slot.querySelector(".upload-progress");
  var prompt = panel.querySelector("textarea");
  var switches = {
    audio: panel.querySelector('[data-switch="audio"]'),
    multiShot: panel.querySelector('[data-switch="multiShot"]'),
  };
  var selects = {
    model: panel.querySelector('[data-setting="model"]'),
    quality: panel.querySelector('[data-setting="quality"]'),
    duration: panel.querySelector('[data-setting="duration"]'),
  };
  var createButton = panel.querySelector('[data-sim="create"]');
  var costLabel = createButton.querySelector('[data-sim="cost"]');
  var result = panel.querySelector('[data-sim="create-result"]');
  var limitModal = document.querySelector('[data-sim-modal="limit"]');
  var videoTool = document.querySelector('[data-sim="upload-video"]');

  var image = null; // {id, path, url} once batch_upload_media answered
  var uploads = 0;
  var uploading = false;
  var busy = false;

  function isOn(name) {
    return switches[name].getAttribute("aria-checked") === "true";
  }

  function settings() {
    return { model: selects.model.value, quality: selects.quality.value, duration: Number(selects.duration.value) };
  }

  /** The simulator's cost rule (videos.ts creditCost): per second by quality, plus the switches' surcharges. */
  function cost() {
    var s = settings();
    return (config.perSecond[s.quality] || 4) * s.duration + (isOn("audio") ? config.surcharge.audio : 0) + (isOn("multiShot") ? config.surcharge.multiShot : 0);
  }

  function refresh() {
    costLabel.textContent = String(cost());
    createButton.disabled = busy || uploading || prompt.value.trim() === "";
    pick.hidden = image !== null || uploading;
    preview.hidden = image === null;
    progress.hidden = !uploading;
  }

  function remember() {
    try {
      localStorage.setItem(STORE_KEY, JSON.stringify(settings()));
    } catch (e) {
      // Storage may be off (private mode): the page then starts from its defaults each time.
    }
  }

  function restore() {
    var saved = null;
    try {
      saved = JSON.parse(localStorage.getItem(STORE_KEY) || "null");
    } catch (e) {
      saved = null;
    }
    if (!saved) return;
    ["model", "quality", "duration"].forEach(function (key) {
      var value = saved[key] === undefined ? "" : String(saved[key]);
      var known = Array.prototype.some.call(selects[key].options, function (o) { return o.value === value; });
      if (known) selects[key].value = value;
    });
  }

  function clearImage() {
    uploads++;
    image = null;
    uploading = false;
    input.value = "";
    previewImage.removeAttribute("src");
    refresh();
  }

  function upload(file) {
    var mine = ++uploads;
    image = null;
    uploading = true;
    refresh();
    sim.uploadImage(file)
      .then(function (media) {
        if (mine !== uploads) return;
        image = { id: media.id, path: media.path, url: media.url };
        previewImage.src = media.url;
      })
      .catch(function (err) {
        if (mine !== uploads) return;
        input.value = "";
        sim.message(err && err.message ? err.message : sim.t("uploadFailed"));
      })
      .finally(function () {
        if (mine !== uploads) return;
        uploading = false;
        refresh();
      });
  }

  /** How many generations the account may run, and runs now, as the page's own API calls tell. */
  function capacity() {
    var list = { offset: 0, limit: 100, filter: {}, web_offset: 0, app_offset: 0, polling: true };
    return Promise.all([sim.api("/toc/members/plan_details", {}), sim.api("/video/list/personal", list)]).then(function (answers) {
      var plan = answers[0];
      var videos = answers[1];
      if (plan.ErrCode !== 0) throw new Error(plan.ErrMsg);
      if (videos.ErrCode !== 0) throw new Error(videos.ErrMsg);
      var running = videos.Resp.data.filter(function (v) { return IN_FLIGHT.indexOf(v.video_status) !== -1; }).length;
      return { limit: plan.Resp.gen_simultaneously, running: running };
    });
  }

  function submit() {
    var s = settings();
    var kind = image ? "i2v" : "t2v";
    var body = { prompt: prompt.value, model: s.model, duration: s.duration, quality: s.quality };
    if (kind === "t2v") body.aspect_ratio = "16:9";
    body.seed = Math.floor(Math.random() * 2147483647);
    body.audio = isOn("audio") ? 1 : 0;
    body.multi_shot = isOn("multiShot") ? 1 : 0;
    body.create_count = 1;
    body.credit_change = cost();
    if (kind === "i2v") {
      body.img_id = image.id;
      body.customer_img_path = image.path;
      body.customer_img_url = image.url;
    }
    return sim.api("/video/" + kind, body).then(function (res) {
      if (res.ErrCode !== 0) return sim.message(res.ErrMsg);
      var id = res.Resp.video_id !== undefined ? res.Resp.video_id : (res.Resp.video_ids || [])[0];
      sim.show(result, sim.t("submitted") + " " + id);
    });
  }

  function create() {
    if (createButton.disabled) return;
    busy = true;
    sim.hide(result);
    refresh();
    capacity()
      .then(function (c) {
        if (c.running >= c.limit) return sim.openModal(limitModal);
        return submit();
      })
      .catch(function (err) { sim.message(err && err.message ? err.message : sim.t("networkError")); })
      .finally(function () {
        busy = false;
        refresh();
      });
  }

  Object.keys(switches).forEach(function (name) {
    var el = switches[name];
    el.addEventListener("click", function () {
      var on = !isOn(name);
      el.setAttribute("aria-checked", String(on));
      el.classList.toggle("ant-switch-checked", on);
      refresh();
    });
  });
  Object.keys(selects).forEach(function (key) {
    selects[key].addEventListener("change", function () {
      remember();
      refresh();
    });
  });
  pick.addEventListener("click", function () { input.click(); });
  input.addEventListener("click", function (event) { event.stopPropagation(); });
  input.addEventListener("change", function () {
    if (input.files && input.files[0]) upload(input.files[0]);
  });
  removeButton.addEventListener("click", clearImage);
  if (videoTool) videoTool.addEventListener("click", function () { videoTool.parentElement.querySelector("input[type=file]").click(); });
  prompt.addEventListener("input", refresh);
  createButton.addEventListener("click", create);
  restore();
  refresh();
})();
