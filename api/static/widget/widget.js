/*
 * Threadline chat widget: paste into any page of the store.
 *
 *   <script src="https://THREADLINE/widget/widget.js" data-threadline-url="https://THREADLINE"
 *           data-title="Your store" defer></script>
 *
 * Optional attributes: data-title (the panel's heading), data-greeting (its first line),
 * data-accent (a CSS colour). Elements of the page with `data-threadline-ask="question"` open
 * the chat and send their question when clicked; `window.Threadline.open()`, `.close()` and
 * `.send(text)` do the same from a script.
 *
 * No dependencies and nothing from elsewhere: its style sheet comes from the same Threadline
 * server, inside a shadow root so the store's CSS and the widget's never meet. Text from the
 * server is only ever inserted as text. The conversation, the visitor's random id and an email
 * they typed are kept in localStorage, so they survive reloads; a message is sent with its own
 * random id, and retried with that same id until it is answered (the server answers it once).
 */
(() => {
  "use strict";

  const script = document.currentScript;
  if (!script || window.Threadline) return;

  const base = (script.dataset.threadlineUrl || new URL("..", script.src).href).replace(/\/+$/, "");
  const API = `${base}/widget/messages`;
  const TITLE = script.dataset.title || "Chat with us";
  const GREETING =
    script.dataset.greeting || "Hi! Ask us anything about orders, shipping or returns.";
  const POLL_MS = 8000;
  const MAX_ATTEMPTS = 8;
  const MAX_ENTRIES = 200;
  const SVG = "http://www.w3.org/2000/svg";
  const ICONS = {
    chat: "M4 5.5A2.5 2.5 0 0 1 6.5 3h11A2.5 2.5 0 0 1 20 5.5v8a2.5 2.5 0 0 1-2.5 2.5H10l-4.2 3.6c-.5.4-1.3.1-1.3-.6V16A2.5 2.5 0 0 1 4 13.5z",
    close: "M6.7 5.3 12 10.6l5.3-5.3 1.4 1.4-5.3 5.3 5.3 5.3-1.4 1.4-5.3-5.3-5.3 5.3-1.4-1.4 5.3-5.3-5.3-5.3z",
    send: "M3.4 20.4 21 12 3.4 3.6 3.4 10l12.6 2-12.6 2z",
  };

  // --- storage: localStorage when the browser allows it, else this page's memory -------------
  const memory = {};
  const prefix = `threadline:${base}:`;
  const storage = {
    get(name) {
      try {
        return window.localStorage.getItem(prefix + name);
      } catch (_) {
        return memory[name] ?? null;
      }
    },
    set(name, value) {
      try {
        if (value === null) window.localStorage.removeItem(prefix + name);
        else window.localStorage.setItem(prefix + name, value);
      } catch (_) {
        memory[name] = value;
      }
    },
  };

  function randomId(bytes) {
    const raw = crypto.getRandomValues(new Uint8Array(bytes));
    return btoa(String.fromCharCode(...raw))
      .replace(/\+/g, "-")
      .replace(/\//g, "_")
      .replace(/=+$/, "");
  }

  function loadLog() {
    try {
      const entries = JSON.parse(storage.get("log") || "[]");
      return Array.isArray(entries) ? entries.filter((e) => e && e.id && e.who) : [];
    } catch (_) {
      return [];
    }
  }

  const visitor = storage.get("visitor") || randomId(24);
  storage.set("visitor", visitor);
  const state = {
    log: loadLog(),
    cursor: storage.get("cursor"),
    open: storage.get("open") === "1",
    unread: 0,
    offline: false,
  };

  function save() {
    state.log = state.log.slice(-MAX_ENTRIES);
    storage.set("log", JSON.stringify(state.log));
    storage.set("cursor", state.cursor);
  }

  // --- the DOM, built node by node -------------------------------------------------------------
  function h(tag, attributes, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) {
      if (value === false || value === null || value === undefined) continue;
      node.setAttribute(name, value === true ? "" : String(value));
    }
    for (const child of children) {
      node.append(typeof child === "string" ? document.createTextNode(child) : child);
    }
    return node;
  }

  function icon(name, className) {
    const svg = document.createElementNS(SVG, "svg");
    if (className) svg.setAttribute("class", className);
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    const path = document.createElementNS(SVG, "path");
    path.setAttribute("d", ICONS[name]);
    svg.append(path);
    return svg;
  }

  /** The text as nodes: plain text, with http(s) links made clickable (and nothing else). */
  function withLinks(text) {
    const nodes = [];
    let last = 0;
    for (const match of text.matchAll(/https?:\/\/[^\s<>"']+/g)) {
      let url = match[0].replace(/[.,;:!?)\]]+$/, "");
      if (match.index > last) nodes.push(document.createTextNode(text.slice(last, match.index)));
      const link = h("a", { href: url, target: "_blank", rel: "noopener noreferrer" });
      link.textContent = url;
      nodes.push(link);
      last = match.index + url.length;
    }
    if (last < text.length) nodes.push(document.createTextNode(text.slice(last)));
    return nodes;
  }

  const host = h("div", { id: "threadline-chat" });
  if (script.dataset.accent) host.style.setProperty("--tl-accent", script.dataset.accent);
  const root = host.attachShadow({ mode: "open" });
  const frame = h("div", { class: "tl", hidden: true });
  const sheet = h("link", { rel: "stylesheet", href: `${base}/widget/widget.css` });
  const reveal = () => frame.removeAttribute("hidden");
  sheet.addEventListener("load", reveal);
  sheet.addEventListener("error", reveal);

  const launcherBadge = h("span", { class: "badge", hidden: true });
  const launcher = h(
    "button",
    {
      type: "button",
      class: "launcher",
      "aria-label": `Open chat: ${TITLE}`,
      "aria-expanded": "false",
      "aria-controls": "tl-panel",
    },
    icon("chat", "when-closed"),
    icon("close", "when-open"),
    launcherBadge,
  );
  const closeButton = h(
    "button",
    { type: "button", class: "icon-button", "aria-label": "Close chat" },
    icon("close"),
  );
  const connection = h("p", { class: "connection", role: "status", hidden: true });
  const log = h("ol", {
    class: "log",
    id: "tl-log",
    role: "log",
    "aria-live": "polite",
    "aria-label": "Conversation",
    tabindex: "0",
  });
  const greeting = h("li", { class: "entry agent greeting" }, h("p", { class: "bubble" }, GREETING));
  const typing = h(
    "div",
    { class: "typing", role: "status", hidden: true },
    h("span", { class: "visually-hidden" }, "Support is typing"),
    h("i", { "aria-hidden": "true" }),
    h("i", { "aria-hidden": "true" }),
    h("i", { "aria-hidden": "true" }),
  );
  const email = h("input", {
    id: "tl-email",
    type: "email",
    name: "email",
    autocomplete: "email",
    maxlength: "320",
    placeholder: "you@example.com",
  });
  email.value = storage.get("email") || "";
  const identity = h(
    "details",
    { class: "identity" },
    h("summary", {}, "Add your email (optional)"),
    h("label", { for: "tl-email" }, "Email, so we can recognise you"),
    email,
    h(
      "p",
      { class: "hint" },
      "With an order number, it lets us look that order up. It is only a claim: we never " +
        "change an order on it alone.",
    ),
  );
  if (email.value) identity.open = true;
  const input = h("textarea", {
    id: "tl-input",
    name: "message",
    rows: "1",
    maxlength: "4000",
    placeholder: "Write a message…",
    enterkeyhint: "send",
    autocomplete: "off",
  });
  const sendButton = h(
    "button",
    { type: "submit", class: "send", "aria-label": "Send message" },
    icon("send"),
  );
  const form = h(
    "form",
    { class: "composer" },
    identity,
    h(
      "div",
      { class: "compose-row" },
      h("label", { for: "tl-input", class: "visually-hidden" }, "Message"),
      input,
      sendButton,
    ),
  );
  const panel = h(
    "section",
    { class: "panel", id: "tl-panel", role: "dialog", "aria-labelledby": "tl-title", hidden: true },
    h(
      "header",
      { class: "head" },
      h("span", { class: "avatar", "aria-hidden": "true" }, TITLE.trim().charAt(0).toUpperCase()),
      h(
        "div",
        { class: "heading" },
        h("h2", { id: "tl-title" }, TITLE),
        h("p", { class: "subtitle" }, h("span", { class: "dot" }), "Replies in seconds"),
      ),
      closeButton,
    ),
    connection,
    log,
    typing,
    form,
    h("p", { class: "brand" }, "Powered by Threadline"),
  );
  frame.append(panel, launcher);
  root.append(sheet, frame);

  // --- rendering ---------------------------------------------------------------------------
  const rendered = new Map();
  const LABELS = { person: "Teammate" };

  function entryNode(entry) {
    const bubble = h("p", { class: "bubble" }, ...withLinks(entry.text));
    const node = h("li", { class: `entry ${entry.who}`, "data-id": entry.id });
    if (LABELS[entry.who]) node.append(h("span", { class: "author" }, LABELS[entry.who]));
    node.append(bubble);
    if (entry.who === "you") {
      const status = h("span", { class: "status" });
      node.append(status);
    }
    return node;
  }

  function renderStatus(node, entry) {
    const status = node.querySelector(".status");
    if (!status) return;
    node.classList.toggle("failed", entry.state === "failed");
    node.classList.toggle("pending", entry.state === "sending");
    status.replaceChildren();
    if (entry.state === "sending") status.textContent = "Sending…";
    if (entry.state === "failed") {
      const retry = h("button", { type: "button", class: "retry" }, "Retry");
      retry.addEventListener("click", () => resend(entry));
      status.append(`${entry.error || "Not sent."} `, retry);
    }
  }

  function render() {
    if (!greeting.isConnected) log.prepend(greeting);
    for (const entry of state.log) {
      let node = rendered.get(entry.id);
      if (!node) {
        node = entryNode(entry);
        rendered.set(entry.id, node);
        log.append(node);
      }
      renderStatus(node, entry);
    }
    typing.hidden = !state.log.some((e) => e.who === "you" && e.state === "sending");
    connection.hidden = !state.offline;
    connection.textContent = state.offline ? "Reconnecting…" : "";
    launcherBadge.hidden = state.unread === 0 || state.open;
    launcherBadge.textContent = state.unread > 9 ? "9+" : String(state.unread);
    log.scrollTop = log.scrollHeight;
  }

  function setOpen(open, focus = true) {
    state.open = open;
    storage.set("open", open ? "1" : null);
    panel.hidden = !open;
    frame.classList.toggle("is-open", open);
    launcher.setAttribute("aria-expanded", String(open));
    launcher.setAttribute("aria-label", open ? "Close chat" : `Open chat: ${TITLE}`);
    if (open) {
      state.unread = 0;
      if (focus) input.focus();
    } else if (focus) {
      launcher.focus();
    }
    render();
  }

  // --- sending, retried with the same id -----------------------------------------------------
  let queue = Promise.resolve();
  const sleepers = new Set();

  function sleep(ms) {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        sleepers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      sleepers.add(wake);
    });
  }
  window.addEventListener("online", () => [...sleepers].forEach((wake) => wake()));

  function add(entry) {
    if (state.log.some((e) => e.id === entry.id)) return false;
    state.log.push(entry);
    if (!state.open && entry.who !== "you") state.unread += 1;
    return true;
  }

  async function problem(response) {
    try {
      const body = await response.json();
      if (body.error && body.error.code === "invalid_sender") {
        return "That email doesn't look right.";
      }
    } catch (_) {
      /* not our error body */
    }
    return response.status === 404 ? "Chat is unavailable right now." : "Not sent.";
  }

  function answered(entry, body) {
    entry.state = "sent";
    if (body.reply && body.reply.text) {
      add({ id: `reply:${entry.id}`, who: "agent", text: body.reply.text });
    }
    if (body.note) add({ id: `note:${entry.id}`, who: "note", text: body.note });
  }

  async function deliver(entry) {
    for (let attempt = 1; ; attempt += 1) {
      let wait;
      try {
        const payload = { visitor_id: visitor, message_id: entry.id, text: entry.text };
        if (entry.email) payload.email = entry.email;
        const response = await fetch(API, {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify(payload),
          credentials: "omit",
        });
        state.offline = false;
        if (response.ok) {
          answered(entry, await response.json());
          break;
        }
        if (![409, 429].includes(response.status) && response.status < 500) {
          entry.state = "failed";
          entry.error = await problem(response);
          break;
        }
        wait = 1000 * Number(response.headers.get("Retry-After") || 0);
      } catch (_) {
        state.offline = true; // the network, not the server: try again shortly
      }
      if (attempt >= MAX_ATTEMPTS) {
        entry.state = "failed";
        entry.error = "Couldn't reach us.";
        break;
      }
      render();
      await sleep(wait || Math.min(30000, 1000 * 2 ** (attempt - 1)));
    }
    state.offline = false;
    save();
    render();
    poll();
  }

  function enqueue(entry) {
    queue = queue.then(() => deliver(entry));
  }

  function resend(entry) {
    entry.state = "sending";
    entry.error = undefined;
    save();
    render();
    enqueue(entry);
  }

  function send(text) {
    const trimmed = String(text || "").trim().slice(0, 4000);
    if (!trimmed) return;
    const address = email.value.trim();
    storage.set("email", address || null);
    const entry = { id: randomId(16), who: "you", text: trimmed, state: "sending" };
    if (address) entry.email = address;
    add(entry);
    save();
    render();
    enqueue(entry);
  }

  // --- replies that come later: a teammate's, or one a reviewer approved --------------------
  let polling = false;

  async function poll() {
    if (polling || document.hidden || !state.log.some((e) => e.who === "you")) return;
    polling = true;
    try {
      const url = state.cursor ? `${API}?after=${encodeURIComponent(state.cursor)}` : API;
      const response = await fetch(url, {
        headers: { "X-Threadline-Visitor": visitor },
        credentials: "omit",
      });
      if (response.status === 400) {
        state.cursor = null; // the cursor is unknown: start over (entries are kept by id)
      } else if (response.ok) {
        const body = await response.json();
        for (const reply of body.replies || []) {
          add({ id: reply.id, who: reply.author === "human" ? "person" : "agent", text: reply.text });
          state.cursor = reply.id;
        }
      }
      save();
      render();
    } catch (_) {
      /* offline: the next poll tries again */
    } finally {
      polling = false;
    }
  }

  // --- events --------------------------------------------------------------------------------
  launcher.addEventListener("click", () => setOpen(!state.open));
  closeButton.addEventListener("click", () => setOpen(false));
  panel.addEventListener("keydown", (event) => {
    if (event.key === "Escape") setOpen(false);
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    send(input.value);
    input.value = "";
    input.style.height = "";
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  input.addEventListener("input", () => {
    input.style.height = "";
    input.style.height = `${Math.min(input.scrollHeight, 120)}px`;
  });
  document.addEventListener("click", (event) => {
    const asker = event.target instanceof Element && event.target.closest("[data-threadline-ask]");
    if (!asker) return;
    event.preventDefault();
    setOpen(true, false);
    send(asker.getAttribute("data-threadline-ask"));
  });
  document.addEventListener("visibilitychange", poll);
  setInterval(poll, POLL_MS);

  if (document.body) document.body.append(host);
  else document.addEventListener("DOMContentLoaded", () => document.body.append(host));
  for (const entry of state.log) {
    if (entry.who === "you" && entry.state !== "sent" && entry.state !== "failed") {
      resend(entry); // interrupted by a reload: sent again with its id, answered once
    }
  }
  setOpen(state.open, false);
  poll();

  window.Threadline = {
    open: () => setOpen(true),
    close: () => setOpen(false),
    send: (text) => {
      setOpen(true, false);
      send(text);
    },
  };
})();
