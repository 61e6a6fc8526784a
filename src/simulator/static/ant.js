// The 2026 pages' Ant Design-like pieces: modals (closed by their round close button or an OK button, never
// by a click on the mask) and messages (`.ant-message` > `.ant-message-notice`, gone after 3 s, like antd's
// default). Plain browser JavaScript, loaded after common.js.
(function () {
  "use strict";
  var sim = window.sim;
  var MESSAGE_MS = 3000;

  function closeModal(root) {
    root.hidden = true;
  }

  function openModal(root) {
    root.hidden = false;
    var close = root.querySelector(".ant-modal-close");
    if (close) close.focus();
  }

  // Our choice: a closed promo comes back on the next page load (nothing remembers it).
  document.addEventListener("click", function (event) {
    var target = event.target instanceof Element ? event.target : null;
    var button = target && target.closest(".ant-modal-close, [data-modal-close]");
    var root = button && button.closest(".ant-modal-root");
    if (root) closeModal(root);
  });

  /** Show `text` as an Ant Design message; `type` is error (default), success, info or warning. */
  function message(text, type) {
    var container = document.querySelector(".ant-message");
    if (!container) {
      container = document.createElement("div");
      container.className = "ant-message";
      document.body.appendChild(container);
    }
    var kind = type || "error";
    var notice = document.createElement("div");
    notice.className = "ant-message-notice ant-message-notice-" + kind;
    var content = document.createElement("div");
    content.className = "ant-message-notice-content";
    var custom = document.createElement("div");
    custom.className = "ant-message-custom-content ant-message-" + kind;
    var span = document.createElement("span");
    span.textContent = text;
    custom.appendChild(span);
    content.appendChild(custom);
    notice.appendChild(content);
    container.appendChild(notice);
    setTimeout(function () { notice.remove(); }, MESSAGE_MS);
  }

  sim.message = message;
  sim.openModal = openModal;
  sim.closeModal = closeModal;
})();
