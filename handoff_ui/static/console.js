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

  // NiceGUI opens its socket once the page is mounted, after this script and the page's components start.
  function withSocket(use) {
    if (window.socket) use(window.socket);
    else setTimeout(() => withSocket(use), 20);
  }
  window.handoffWithSocket = withSocket; // for the components too (card_grid.js)

  function watchSocket(socket) {
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
  document.addEventListener("DOMContentLoaded", () => withSocket(watchSocket));

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

  // Cards outside the window are marked data-offscreen (their halo does not pulse; the alerts' tick leaves
  // their waiting time until they come into view). Each card is watched from the moment Vue draws it (below).
  const onScreen = new IntersectionObserver((entries) => {
    for (const entry of entries) {
      if (entry.isIntersecting) {
        entry.target.removeAttribute("data-offscreen");
        window.handoffShowWaits(entry.target); // its waiting time rested too (the alerts' tick)
      } else entry.target.setAttribute("data-offscreen", "");
      pulse(entry.target); // its halo rests off screen
    }
  });

  // A red card's halo (card_face.js, console.css) pulses, in step with every other, on the page's own clock.
  // The pulse is an animation of the halo element made here, not a CSS animation: the browser starts a CSS
  // animation again whenever its element is put back into the page, which is how Vue moves a card to the front
  // of its service. Each such card then pulsed at a moment of its own, and the browser drew a frame for every
  // step of every card (after 20 messages spread over the board and 20 entering it, 15-16 different moments
  // per page; 25 idle pages took 422-565 ms of CPU a second, 215-292 ms once in step); setting it back in step
  // when it started cost each page a second frame for every such message (one page: 2.0 frames a message
  // against 1.3 for a card that keeps its place; issue 17). This animation lives on as its element moves.
  // In four steps each way (about 4 changes a second) rather than a smooth fade: without a GPU, the browser
  // redraws every red card on screen at each change (25 console pages with 16 red cards in view each took
  // 155% of a core when smooth, 31% in steps, 13-19% with no pulse at all). Nobody sees a halo off screen, but
  // the browser would still draw it (25 pages with 32 red cards each, all below the window: a message reached
  // the pages in 76-83 ms with those halos drawn, 48-59 ms without): it rests there, and with motion off.
  const STEPS = "steps(4, jump-none)";
  const PULSE = [{ opacity: 0, easing: STEPS }, { opacity: 1, easing: STEPS }, { opacity: 0 }];
  const still = window.matchMedia("(prefers-reduced-motion: reduce)");
  function pulse(card) {
    const halo = card.querySelector(":scope > .hf-halo");
    if (halo === null) return;
    const on = card.classList.contains("hf-attention") && !card.hasAttribute("data-offscreen") && !still.matches;
    if (on && !halo.handoffPulse) {
      halo.handoffPulse = halo.animate(PULSE, { duration: 1600, iterations: Infinity, id: "hf-pulse" });
      halo.handoffPulse.startTime = 0; // the page timeline's origin: in step with every other halo
    } else if (!on) rest(halo);
  }
  function rest(halo) {
    if (halo.handoffPulse) { halo.handoffPulse.cancel(); halo.handoffPulse = null; }
  }
  function pulseAll() { document.querySelectorAll(".hf-card").forEach(pulse); }

  // One watcher follows the cards as Vue draws them: a card drawn is watched for the window (onScreen) and
  // pulses if red; one turning red or back (its class) starts or stops; one whose face is drawn anew has a new
  // halo. A card moved is taken out and put back in one go, and is back by the time this runs; one taken out
  // for good is no longer watched, and its pulse, which would run on unseen, stops.
  function follow(card) {
    if (!card.hasAttribute("data-watched")) {
      card.setAttribute("data-watched", "");
      onScreen.observe(card);
    }
    pulse(card);
  }
  function forget(node) {
    const cards = node.classList.contains("hf-card") ? [node] : node.querySelectorAll(".hf-card");
    for (const card of cards) {
      onScreen.unobserve(card);
      card.removeAttribute("data-watched");
    }
    const halos = node.classList.contains("hf-halo") ? [node] : node.querySelectorAll(".hf-halo");
    halos.forEach(rest);
  }
  const cardWatcher = new MutationObserver((records) => {
    const cards = new Set();
    for (const record of records) {
      if (record.type === "attributes") {
        if (record.target.classList.contains("hf-card")) cards.add(record.target);
        continue;
      }
      for (const node of record.removedNodes) {
        if (node.nodeType === Node.ELEMENT_NODE && !node.isConnected) forget(node);
      }
      for (const node of record.addedNodes) {
        if (node.nodeType !== Node.ELEMENT_NODE) continue;
        if (node.classList.contains("hf-card")) cards.add(node);
        else if (node.classList.contains("hf-halo")) cards.add(node.parentElement);
        else node.querySelectorAll(".hf-card").forEach((card) => cards.add(card));
      }
    }
    cards.forEach((card) => { if (card !== null && card.isConnected) follow(card); });
  });
  cardWatcher.observe(document.documentElement, {
    subtree: true, childList: true, attributes: true, attributeFilter: ["class"],
  });
  document.addEventListener("DOMContentLoaded", () => document.querySelectorAll(".hf-card").forEach(follow));
  still.addEventListener("change", pulseAll);

  // Where the conversation panel is, as a class of the body, for the toasts' place (console.css): beside the
  // cards on a wide window (hf-panel-beside), over them below Quasar's breakpoint (hf-panel-over). Read from
  // the drawer's own classes as Quasar changes them. A `body:has(.q-drawer--right...)` rule did this in CSS,
  // and made every change anywhere on the page cost more style work: one page, a card's new count 0.47 ->
  // 0.29 ms, a card moved to the front 0.86 -> 0.60 ms of style and layout (issue 17).
  let drawer = null;
  function showPanel() {
    if (drawer === null || !drawer.isConnected) findPanel();
    const open = drawer !== null && !drawer.classList.contains("q-layout--prevent-focus");
    const over = open && drawer.classList.contains("q-drawer--mobile");
    document.body.classList.toggle("hf-panel-beside", open && !over);
    document.body.classList.toggle("hf-panel-over", over);
  }
  const panelWatcher = new MutationObserver(showPanel);
  function findPanel() {
    drawer = document.querySelector("aside.q-drawer--right");
    panelWatcher.disconnect();
    if (drawer === null) return;
    panelWatcher.observe(drawer, { attributes: true, attributeFilter: ["class"] });
    // Quasar draws a new drawer in the same container as the window crosses its breakpoint.
    if (drawer.parentElement !== null) panelWatcher.observe(drawer.parentElement, { childList: true });
  }
  const drawerFinder = new MutationObserver(watchPanel);
  function watchPanel() {
    if (drawer !== null && drawer.isConnected) return;
    if (document.querySelector(".q-layout") !== null) drawerFinder.disconnect(); // drawn, with its drawer if any
    showPanel();
  }
  // The drawer is drawn with the page's layout, once its Vue app is: watched for until then (the page's own
  // timers may be held, as in the tests), and looked for again every second should the app draw it anew.
  document.addEventListener("DOMContentLoaded", () => {
    drawerFinder.observe(document.body, { childList: true, subtree: true });
    watchPanel();
  });
  setInterval(watchPanel, 1000);
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

// Alerts (components/alerts.py): the conversations that wait for a human, as the server last said, and all
// that is timed about them, on this browser's clock. A new flag rings after HOLD_MS unless somebody takes it
// over, dismisses it or it ends first; it is reminded "Remind after" seconds after it started waiting and then
// at doubling intervals of at most MAX_INTERVAL_S, until it stops waiting. At most MAX_TOASTS toasts are
// shown (Quasar's stack at the bottom right, newest nearest the corner), the rest fold into one line; a toast
// leaves with its conversation's wait. Keeping the stack clear of the open panel is console.css's part.
(function () {
  const HOLD_MS = 2500; // as Chatwoot waits before alerting on a handoff (its PR #15763)
  const TOAST_MS = 10000;
  const MAX_TOASTS = 3;
  const MAX_INTERVAL_S = 600;
  const prefs = { sound: true, volume: 0.8, alert_kinds: [], desktop: false };
  const waiting = new Map(); // id -> {item, since (ms), due (ms), interval (ms), hold}
  const toasts = new Map(); // id -> {dismiss, timer}, oldest first
  const folded = new Map(); // id -> {item, waitedFor, timer}: alerted while MAX_TOASTS were shown
  let offset = 0; // the server's clock minus this browser's
  let synced = false;
  const now = () => Date.now() + offset;

  function waited(ms) {
    const seconds = Math.max(0, Math.floor(ms / 1000));
    if (seconds < 60) return seconds + " s";
    const minutes = Math.floor(seconds / 60);
    if (minutes < 60) return minutes + " min";
    return Math.floor(minutes / 60) + " h " + (minutes % 60) + " min";
  }
  window.handoffWaited = (iso) => "Waiting " + waited(now() - Date.parse(iso));
  function showWaits(card) {
    for (const el of card.querySelectorAll("[data-wait-since]")) {
      const text = window.handoffWaited(el.dataset.waitSince);
      if (el.textContent !== text) el.textContent = text;
    }
  }
  window.handoffShowWaits = showWaits;

  function advance(entry) {
    entry.interval = Math.min(entry.interval * 2, MAX_INTERVAL_S * 1000);
    entry.due += entry.interval;
  }

  function schedule(entry) {
    // The first reminder, or the next one still ahead: a page opened late does not replay those it missed.
    entry.interval = entry.item.remind_after * 1000;
    entry.due = entry.since + entry.interval;
    while (entry.due <= now()) advance(entry);
  }

  function add(item, ring) {
    if (waiting.has(item.id)) return;
    const entry = { item, since: Date.parse(item.since), hold: null };
    schedule(entry);
    waiting.set(item.id, entry);
    if (ring) entry.hold = setTimeout(() => { entry.hold = null; alert(entry, null); }, HOLD_MS);
  }

  function remove(id) {
    const entry = waiting.get(id);
    if (entry && entry.hold) clearTimeout(entry.hold);
    waiting.delete(id);
    if (folded.has(id)) { clearTimeout(folded.get(id).timer); folded.delete(id); }
    unToast(id);
    showFold();
  }

  function wanted(item) {
    return item.kinds.some((kind) => prefs.alert_kinds.includes(kind));
  }

  // Alerts that come at one moment go out together, once the timers due then have run: one sound, the newest
  // MAX_TOASTS as toasts and the rest straight into the fold. Reminders of customers who started waiting
  // together come due at the same tick, holds at the same moment after a page wakes up: each used to ring and
  // be drawn as a toast, to be folded at once (100 reminders cost every open console page 100 toasts and
  // sounds within one second; issue 17).
  const pending = []; // [entry, waitedFor], oldest first
  let flush = null;
  function alert(entry, waitedFor) {
    pending.push([entry, waitedFor]);
    if (flush === null) flush = setTimeout(() => { flush = null; alertAll(pending.splice(0)); }, 0);
  }

  function alertAll(pairs) {
    // Not one that stopped waiting meanwhile (taken over, ended), nor a kind this agent did not ask for.
    const chosen = pairs.filter(([entry]) => waiting.get(entry.item.id) === entry && wanted(entry.item));
    if (!chosen.length) return;
    play();
    for (const [entry, waitedFor] of chosen.slice(0, -MAX_TOASTS)) foldAway(entry.item, waitedFor);
    for (const [entry, waitedFor] of chosen.slice(-MAX_TOASTS)) {
      toast(entry.item, waitedFor);
      desktop(entry.item, waitedFor);
    }
    showFold();
  }

  function play() {
    if (!prefs.sound) return;
    const audio = document.getElementById("handoff-chime");
    if (!audio) return;
    audio.volume = prefs.volume;
    audio.currentTime = 0;
    // Browsers refuse to play before the first click on the page; from then on it plays.
    const playing = audio.play();
    if (playing && playing.catch) playing.catch(() => {});
  }

  function words(item, waitedFor) {
    return waitedFor ? item.title + " · waiting " + waitedFor : item.title;
  }

  function toast(item, waitedFor) {
    if (folded.has(item.id)) { clearTimeout(folded.get(item.id).timer); folded.delete(item.id); }
    unToast(item.id);
    const dismiss = Quasar.Notify.create({
      message: words(item, waitedFor),
      caption: item.caption,
      position: "bottom-right", // console.css moves the stack clear of the open panel
      color: "negative",
      icon: "priority_high",
      timeout: 0, // timed here, on the page's clock
      html: false,
      group: false,
      classes: "hf-toast",
      attrs: { "data-testid": "attention-toast", "data-conversation-id": item.id },
      actions: [
        { label: "Open", color: "white", handler: () => emitEvent("handoff_open", item.id) },
        { icon: "close", color: "white", round: true, "aria-label": "Close", handler: () => unToast(item.id) },
      ],
    });
    toasts.set(item.id, { item, waitedFor, dismiss, timer: setTimeout(() => unToast(item.id), TOAST_MS) });
    while (toasts.size > MAX_TOASTS) {
      const [oldest] = toasts.keys();
      const { item: old, waitedFor: oldWait } = toasts.get(oldest);
      unToast(oldest);
      foldAway(old, oldWait);
    }
    showFold();
  }

  // Into the fold for TOAST_MS, as if its toast had been pushed out (one that is shown as a toast stays so).
  function foldAway(item, waitedFor) {
    if (toasts.has(item.id)) return;
    if (folded.has(item.id)) clearTimeout(folded.get(item.id).timer);
    const timer = setTimeout(() => { folded.delete(item.id); showFold(); }, TOAST_MS);
    folded.set(item.id, { item, waitedFor, timer });
  }

  // A toast leaves (its time is up, it was closed, its conversation stopped waiting): the newest folded one,
  // if any, takes its place.
  function unToast(id) {
    const shown = toasts.get(id);
    if (!shown) return;
    clearTimeout(shown.timer);
    toasts.delete(id);
    shown.dismiss();
    if (toasts.size < MAX_TOASTS && folded.size) {
      const newest = [...folded.keys()].pop();
      const { item, waitedFor, timer } = folded.get(newest);
      clearTimeout(timer);
      folded.delete(newest);
      toast(item, waitedFor);
    }
  }

  function showFold() {
    let fold = document.querySelector("[data-testid=more-attention]");
    if (!folded.size) {
      if (fold) fold.remove();
      if (document.body.classList.contains("hf-folded")) document.body.classList.remove("hf-folded");
      return;
    }
    if (!fold) {
      fold = document.createElement("button");
      fold.type = "button";
      fold.className = "hf-fold";
      fold.dataset.testid = "more-attention";
      fold.addEventListener("click", () => {
        for (const { timer } of folded.values()) clearTimeout(timer);
        folded.clear();
        showFold();
        if (location.pathname !== "/handoff") location.href = "/handoff";
      });
      document.body.appendChild(fold);
    }
    // Written only when it changes: a class set again on the body restyles the whole page.
    const text = folded.size + " more need attention";
    if (fold.textContent !== text) fold.textContent = text;
    if (!document.body.classList.contains("hf-folded")) document.body.classList.add("hf-folded");
  }

  function desktop(item, waitedFor) {
    if (!prefs.desktop || !document.hidden || !("Notification" in window)) return;
    if (Notification.permission !== "granted") return;
    const note = new Notification(words(item, waitedFor), { body: item.caption, tag: "handoff-" + item.id });
    note.onclick = () => {
      window.focus();
      emitEvent("handoff_open", item.id);
      note.close();
    };
  }

  function showTitle() {
    const base = document.title.replace(/^\(\d+\) /, "");
    const title = waiting.size ? "(" + waiting.size + ") " + base : base;
    if (document.title !== title) document.title = title;
  }

  function showAsk() {
    const ask = prefs.desktop && "Notification" in window && Notification.permission === "default";
    document.body.classList.toggle("hf-ask", Boolean(ask));
  }

  let ticks = 0;
  function tick() {
    ticks += 1;
    const at = now();
    for (const entry of waiting.values()) {
      if (entry.due > at) continue;
      alert(entry, waited(at - entry.since));
      advance(entry);
    }
    // Only the cards in view: a waiting time ticking by the second costs its card a redraw each time (25
    // pages with 32 red cards each, half of them below the window: 617-713 ms of CPU a second with only
    // those in view ticking, 752-1032 with all of them, 370-395 with none). A card coming into view shows
    // its wait at once (showWaits, from the first part of this file).
    document.querySelectorAll(".hf-card:not([data-offscreen])").forEach(showWaits);
    showTitle();
    setTimeout(tick, 1000); // looked up each time, so a page whose clock is replaced (tests) follows it
  }
  setTimeout(tick, 1000);

  window.handoffAlerts = {
    // The whole list (on each connect): what was not known before rings, except on the page's first sync
    // (a page just opened shows what waits on its cards and title, and reminds it when due).
    sync(state) {
      offset = Date.parse(state.now) - Date.now();
      Object.assign(prefs, state.preferences);
      const ids = new Set(state.waiting.map((item) => item.id));
      for (const id of [...waiting.keys()]) if (!ids.has(id)) remove(id);
      for (const item of state.waiting) add(item, synced);
      synced = true;
      showTitle();
      showAsk();
    },
    raise(item) { add(item, true); showTitle(); },
    clear(id) { remove(id); showTitle(); },
    preferences(next) { Object.assign(prefs, next); showAsk(); },
    askPermission() {
      if (!("Notification" in window)) return;
      Notification.requestPermission().then(showAsk, showAsk);
    },
    waiting: () => [...waiting.keys()],
    ticks: () => ticks,
  };
})();
