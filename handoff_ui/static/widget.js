/* Handoff's chat widget, for any website: one script tag.

     <script src="https://handoff.example.com/widget.js" data-service="shop" async></script>

   A chat bubble at the bottom right (data-position="left" for the left) opens the service's chat in a panel:
   an iframe of Handoff's chat page in its embedded mode. Everything the widget draws lives in a shadow root,
   so the site's styles never reach it and its own never reach the site. The conversation (its id and token)
   is kept in this site's localStorage, so the customer continues it on every page of the site; the frame,
   on Handoff's origin, gets it by postMessage (a cross-site frame has no cookies and often no storage).

   Options (data attributes): data-service (the service's slug, required), data-position ("right", "left"),
   data-open ("true": open at once). JS: Handoff.open(), Handoff.close(), Handoff.toggle(),
   Handoff.identify({name, external_id, signature}) -> Promise (rejected when the service requires a signature
   and it is missing or wrong), Handoff.unread() -> count.

   Plain JavaScript, no build step, for the last two versions of Chromium, Firefox and Safari. */
(function () {
  "use strict";
  var script =
    document.currentScript || document.querySelector("script[data-service][src*='/widget.js']");
  if (!script || (window.Handoff && window.Handoff.version)) return; // one widget per page
  var base = new URL(script.src, location.href).origin;
  var slug = script.getAttribute("data-service") || "";
  var left = script.getAttribute("data-position") === "left";
  var key = "handoff:" + base + ":" + slug;
  var memory = {};

  function load() {
    try {
      var value = window.localStorage.getItem(key);
      return value ? JSON.parse(value) : null;
    } catch (error) {
      return memory[key] || null; // storage blocked: this page load only
    }
  }

  function save(conversation) {
    memory[key] = conversation;
    try {
      if (conversation) window.localStorage.setItem(key, JSON.stringify(conversation));
      else window.localStorage.removeItem(key);
    } catch (error) {
      /* kept in memory */
    }
  }

  var CSS =
    ":host{all:initial}" +
    "*{box-sizing:border-box;font-family:-apple-system,BlinkMacSystemFont,'Segoe UI',Roboto,sans-serif}" +
    ".bubble{position:fixed;bottom:20px;" + (left ? "left" : "right") + ":20px;width:60px;height:60px;" +
    "border-radius:50%;border:0;cursor:pointer;background:var(--hf-color);color:#fff;display:flex;" +
    "align-items:center;justify-content:center;box-shadow:0 4px 14px rgba(0,0,0,.25);z-index:2147483000;" +
    "padding:0}" +
    ".bubble:focus-visible{outline:3px solid #000;outline-offset:2px}" +
    ".bubble svg{width:30px;height:30px;fill:currentColor}" +
    ".unread{position:absolute;top:-4px;right:-4px;min-width:22px;height:22px;padding:0 6px;" +
    "border-radius:11px;background:#c10015;color:#fff;font-size:12px;font-weight:700;line-height:22px;" +
    "text-align:center}" +
    "[hidden]{display:none!important}" +
    ".panel{position:fixed;bottom:92px;" + (left ? "left" : "right") + ":20px;width:400px;" +
    "max-width:calc(100vw - 40px);height:620px;max-height:calc(100vh - 120px);background:#fff;" +
    "border-radius:12px;overflow:hidden;box-shadow:0 8px 32px rgba(0,0,0,.3);display:flex;" +
    "flex-direction:column;z-index:2147483000}" +
    ".head{display:flex;align-items:center;gap:8px;padding:10px 12px;background:var(--hf-color);color:#fff;" +
    "font-size:16px;font-weight:600}" +
    ".title{flex:1;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}" +
    ".close{border:0;background:transparent;color:#fff;font-size:24px;line-height:1;cursor:pointer;" +
    "padding:0 4px}" +
    "iframe{flex:1;width:100%;border:0;background:#fff}" +
    "@media (max-width:480px){.panel{inset:0;width:100%;max-width:none;height:100%;max-height:none;" +
    "border-radius:0}.panel:not([hidden])~.bubble{display:none}}";
  var ICON =
    '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M12 3C6.5 3 2 6.6 2 11c0 2.4 1.3 4.5 3.4 6L4.6 ' +
    '21l4.3-2.3c1 .3 2 .4 3.1.4 5.5 0 10-3.6 10-8s-4.5-8-10-8z"/></svg>';

  var root = document.createElement("div");
  root.id = "handoff-widget";
  var shadow = root.attachShadow({ mode: "open" });
  // Fixed markup only: every word from the server goes in with textContent.
  shadow.innerHTML =
    "<style>" + CSS + "</style>" +
    '<div class="panel" data-testid="handoff-panel" role="dialog" aria-label="Chat" hidden>' +
    '<div class="head"><span class="title" data-testid="handoff-title"></span>' +
    '<button class="close" type="button" data-testid="handoff-close" aria-label="Close chat">&times;</button>' +
    "</div></div>" +
    '<button class="bubble" type="button" data-testid="handoff-bubble" aria-label="Chat with us" ' +
    'aria-expanded="false" hidden>' + ICON +
    '<span class="unread" data-testid="handoff-unread" aria-live="polite" hidden></span></button>';
  var panel = shadow.querySelector(".panel");
  var bubble = shadow.querySelector(".bubble");
  var badge = shadow.querySelector(".unread");
  var title = shadow.querySelector(".title");
  root.style.setProperty("--hf-color", "#1976d2");

  var frame = null;
  var ready = false;
  var isOpen = false;
  var unread = 0;
  var chatPath = "/chat/" + encodeURIComponent(slug) + "?embed=1";
  var identity = null; // the latest Handoff.identify, handed to every frame that says it is ready
  var asked = {}; // request number -> {resolve, reject}
  var requests = 0;

  function showUnread() {
    badge.hidden = unread === 0;
    badge.textContent = unread > 99 ? "99+" : String(unread);
    bubble.setAttribute("aria-label", unread ? "Chat with us (" + unread + " new)" : "Chat with us");
  }

  function post(message) {
    if (frame && ready) frame.contentWindow.postMessage(message, base);
  }

  function ensureFrame() {
    if (frame) return;
    frame = document.createElement("iframe");
    frame.title = "Chat";
    frame.setAttribute("data-testid", "handoff-frame");
    frame.src = base + chatPath + "&host=" + encodeURIComponent(location.origin);
    panel.appendChild(frame);
  }

  function open() {
    ensureFrame();
    isOpen = true;
    panel.hidden = false;
    bubble.setAttribute("aria-expanded", "true");
    unread = 0;
    showUnread();
    post({ type: "handoff:open" });
  }

  function close() {
    isOpen = false;
    panel.hidden = true;
    bubble.setAttribute("aria-expanded", "false");
  }

  function settle(data) {
    var waiting = asked[data.request];
    if (!waiting) return;
    delete asked[data.request];
    if (data.ok) waiting.resolve();
    else waiting.reject(new Error(String(data.error || "identity refused")));
  }

  window.addEventListener("message", function (event) {
    if (!frame || event.source !== frame.contentWindow || event.origin !== base) return;
    var data = event.data;
    if (!data || typeof data !== "object") return;
    if (data.type === "handoff:ready") {
      ready = true;
      post({
        type: "handoff:hello",
        conversation: load(),
        identity: identity && identity.fields,
        request: identity && identity.request,
      });
      if (isOpen) post({ type: "handoff:open" });
    } else if (data.type === "handoff:conversation") {
      save(data.conversation && { id: String(data.conversation.id), token: String(data.conversation.token) });
    } else if (data.type === "handoff:message") {
      if (!isOpen || document.hidden) {
        unread += 1;
        showUnread();
      }
    } else if (data.type === "handoff:identified") {
      settle(data);
    }
  });

  function toggle() {
    if (isOpen) close();
    else open();
  }

  bubble.addEventListener("click", toggle);
  shadow.querySelector(".close").addEventListener("click", close);
  document.addEventListener("visibilitychange", function () {
    if (!document.hidden && isOpen) {
      unread = 0;
      showUnread();
    }
  });

  window.Handoff = {
    version: 1,
    open: open,
    close: close,
    toggle: toggle,
    unread: function () {
      return unread;
    },
    identify: function (fields) {
      fields = fields || {};
      requests += 1;
      identity = {
        request: requests,
        fields: {
          name: fields.name == null ? null : String(fields.name),
          external_id: fields.external_id == null ? null : String(fields.external_id),
          signature: fields.signature == null ? null : String(fields.signature),
        },
      };
      var request = requests;
      var promise = new Promise(function (resolve, reject) {
        asked[request] = { resolve: resolve, reject: reject };
      });
      if (ready) post({ type: "handoff:identify", identity: identity.fields, request: request });
      else ensureFrame(); // its hello carries the identity
      return promise;
    },
  };

  function start() {
    document.body.appendChild(root);
    fetch(base + "/api/v1/services/" + encodeURIComponent(slug) + "/widget", { credentials: "omit" })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (settings) {
        if (/^#[0-9a-f]{6}$/i.test(settings.color)) root.style.setProperty("--hf-color", settings.color);
        title.textContent = settings.name;
        if (settings.chat_path) chatPath = settings.chat_path;
        bubble.hidden = false;
        if (load()) ensureFrame(); // a conversation under way: its answers count on the bubble while closed
        if (script.getAttribute("data-open") === "true") open();
      })
      .catch(function (error) {
        console.warn(
          "Handoff: the chat of service '" + slug + "' can't be shown on " + location.origin +
            " (is it among the service's allowed origins?)",
          error
        );
      });
  }

  if (document.body) start();
  else document.addEventListener("DOMContentLoaded", start);
})();
