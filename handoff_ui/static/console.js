// Handoff console: connection status, notification sound, toasts and relative times, all in the browser.

// NiceGUI's page hides everything after its "no ES modules" notice with the rule `#esm-fallback ~ *`. Chromium
// checks that rule on every element and from then on restyles all later siblings, with everything inside them,
// whenever an element is inserted among them: a card moving to the front of its service restyled the whole grid
// (181 elements and 6.9 ms of style per message on each page, against 31 elements and 3.2 ms without the rule;
// issue 17). The notice is for browsers the console does not run in, and NiceGUI removes it as soon as modules
// load; the rule is taken out as its stylesheet arrives, before anything is styled.
(function () {
  const RULE = "#esm-fallback ~ *";
  function dropRule() {
    for (const style of document.querySelectorAll("style")) {
      const sheet = style.sheet;
      if (!sheet || !sheet.cssRules.length || style.dataset.handoffChecked !== undefined) continue;
      style.dataset.handoffChecked = "";
      for (let i = sheet.cssRules.length - 1; i >= 0; i--) {
        if (sheet.cssRules[i].selectorText === RULE) sheet.deleteRule(i);
      }
    }
  }
  const watcher = new MutationObserver(dropRule);
  watcher.observe(document.documentElement, { childList: true, subtree: true });
  document.addEventListener("DOMContentLoaded", () => { dropRule(); watcher.disconnect(); });
})();
(function () {
  const WORDS = { connected: "Connected", connecting: "Connecting", disconnected: "Disconnected" };
  let state = "connecting";

  function showState() {
    document.querySelectorAll("[data-testid=connection-status]").forEach((el) => {
      if (el.dataset.state !== state) el.dataset.state = state;
      const label = el.querySelector(".hf-status-label");
      if (label && label.textContent !== WORDS[state]) label.textContent = WORDS[state];
    });
  }
  function setState(next) { state = next; showState(); }

  function watchSocket() {
    const socket = window.socket;
    if (!socket) { setTimeout(watchSocket, 50); return; }
    if (socket.__handoffWatched) return;
    socket.__handoffWatched = true;
    socket.on("connect", () => setState("connected"));
    socket.on("disconnect", () => setState("disconnected"));
    socket.on("connect_error", () => setState("disconnected"));
    socket.io.on("reconnect_attempt", () => setState("connecting"));
    socket.io.on("reconnect_error", () => setState("disconnected"));
    socket.io.on("reconnect", () => setState("connected"));
    setState(socket.connected ? "connected" : "connecting");
  }
  // The status element is drawn by Vue after this script runs: keep it in step with the socket.
  setInterval(showState, 500);
  document.addEventListener("DOMContentLoaded", watchSocket);

  const SOUND_KEY = "handoff-sound";
  window.handoffSound = {
    enabled: () => localStorage.getItem(SOUND_KEY) !== "off",
    toggle: () => {
      const on = !window.handoffSound.enabled();
      localStorage.setItem(SOUND_KEY, on ? "on" : "off");
      return on;
    },
    play: () => {
      if (!window.handoffSound.enabled()) return;
      const audio = document.getElementById("handoff-chime");
      if (!audio) return;
      audio.currentTime = 0;
      // Browsers refuse to play before the first click on the page; from then on it plays.
      const playing = audio.play();
      if (playing && playing.catch) playing.catch(() => {});
    },
  };

  window.handoffNotify = function (note) {
    window.handoffSound.play();
    Quasar.Notify.create({
      message: note.title,
      caption: note.caption,
      position: "bottom-right",
      color: "negative",
      icon: "priority_high",
      timeout: 8000,
      html: false,
      classes: "hf-toast",
      attrs: { "data-testid": "attention-toast", "data-conversation-id": note.id },
      actions: [{ label: "Open", color: "white", handler: () => emitEvent("handoff_open", note.id) }],
    });
  };

  function relative(iso) {
    const seconds = Math.max(0, (Date.now() - Date.parse(iso)) / 1000);
    if (seconds < 45) return "just now";
    const minutes = Math.round(seconds / 60);
    if (minutes < 60) return minutes + " min ago";
    const hours = Math.round(minutes / 60);
    if (hours < 24) return hours + " h ago";
    return Math.round(hours / 24) + " d ago";
  }
  window.handoffRelative = relative;
  function refreshTimes() {
    document.querySelectorAll("[data-ts]").forEach((el) => {
      const text = relative(el.dataset.ts);
      if (el.textContent !== text) el.textContent = text;
    });
  }
  setInterval(refreshTimes, 30000);

  // Cards outside the window are marked data-offscreen (console.css: their halo does not pulse). Vue draws and
  // redraws cards at any time: new ones are picked up within a second, and until then they pulse as before.
  const onScreen = new IntersectionObserver((entries) => {
    for (const entry of entries) {
      if (entry.isIntersecting) entry.target.removeAttribute("data-offscreen");
      else entry.target.setAttribute("data-offscreen", "");
    }
  });
  const watched = new Set();
  function watchCards() {
    for (const card of watched) {
      if (!card.isConnected) { onScreen.unobserve(card); watched.delete(card); }  // Vue removed it
    }
    document.querySelectorAll(".hf-card:not([data-watched])").forEach((card) => {
      card.setAttribute("data-watched", "");
      onScreen.observe(card);
      watched.add(card);
    });
  }
  setInterval(watchCards, 1000);
})();

// The unsaved-changes guard of the settings pages. The server sets `dirty` as edits come and go; while it is
// set, a link asks the page first (its "You have unsaved changes" dialog) and a reload, Back or closing the
// tab gets the browser's own prompt.
(function () {
  window.handoffGuard = { dirty: false, set(dirty) { this.dirty = Boolean(dirty); } };
  window.addEventListener("beforeunload", (event) => {
    if (!window.handoffGuard.dirty) return;
    event.preventDefault();
    event.returnValue = "";
  });
  document.addEventListener("click", (event) => {
    if (!window.handoffGuard.dirty || event.defaultPrevented) return;
    const link = event.target.closest && event.target.closest("a[href]");
    if (!link || link.target === "_blank" || event.ctrlKey || event.metaKey || event.shiftKey) return;
    event.preventDefault();
    event.stopPropagation();
    emitEvent("handoff_leave", link.getAttribute("href"));
  }, true);
})();
