// The chat page inside the chat widget's frame (/chat/<slug>?embed=1, pages/chat.py): its side of the talk
// with the host page's widget.js. Loaded before NiceGUI's own script, and only on that page.
//
// - A cross-site frame gets no cookies and, in browsers that block third-party storage (this machine's
//   Chromium), reading sessionStorage throws; NiceGUI's page script reads it as it loads (its tab id) and
//   would stop there. The frame then keeps the tab id in memory: what a frame that reloads loses is only
//   NiceGUI's reconnect to the same tab, and the widget hands the conversation in again anyway.
// - Messages go to the host page's origin only (`data-host`, one of the service's allowed origins, checked
//   by the server before this script was put on the page), and only the host page's own messages are heard.
//   What arrives is passed to the server as it is; the server checks every field.
(function () {
  "use strict";
  var host = document.currentScript.dataset.host;
  try {
    window.sessionStorage.getItem("x");
  } catch (error) {
    var memory = {};
    Object.defineProperty(window, "sessionStorage", { value: memory, configurable: true });
  }

  function post(message) {
    if (window.parent !== window) window.parent.postMessage(message, host);
  }

  function focusInput() {
    var input = document.querySelector("[data-testid=chat-input] input, input[data-testid=chat-input]");
    if (input) input.focus();
  }

  window.handoffEmbed = { post: post };
  window.addEventListener("message", function (event) {
    if (event.source !== window.parent || event.origin !== host) return;
    var data = event.data;
    if (!data || typeof data !== "object") return;
    if (data.type === "handoff:hello") {
      window.emitEvent("handoff_hello", {
        conversation: data.conversation || null,
        identity: data.identity || null,
        request: data.request || null,
      });
    } else if (data.type === "handoff:identify") {
      window.emitEvent("handoff_identify", { identity: data.identity || null, request: data.request || null });
    } else if (data.type === "handoff:open") {
      focusInput();
    }
  });
})();
