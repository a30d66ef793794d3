// The reviewer's page: signs in with a reviewer key, lists the review queue, shows one item and
// records a decision through the JSON API (/v1/reviews, /v1/gate). Every string from the server
// goes into the page as text (textContent), never as markup.
import { $, el, fill, when } from "./dom.js";
import { gateLines } from "./gate.js";
import { renderItem } from "./item.js";

const KEY_STORAGE = "threadline.reviewKey";

const state = {
  key: null,
  items: [],
  cursor: null,
  current: null,
  mode: "view", // view | edit | reject
  busy: false,
  openSeq: 0,
};

class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

function notice(message, kind) {
  const box = $("notice");
  box.textContent = message || "";
  box.className = kind || "";
  box.setAttribute("role", kind === "error" ? "alert" : "status");
  box.hidden = !message;
}

// --- the API --------------------------------------------------------------------------------

async function api(method, path, body) {
  const headers = { Authorization: `Bearer ${state.key}`, Accept: "application/json" };
  const init = { method, headers };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch {
    throw new ApiError(0, "network", "The server could not be reached; try again.");
  }
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  const error = (data && data.error) || {};
  if (response.status === 401 || response.status === 403) {
    const why =
      response.status === 401
        ? "That key is unknown or revoked."
        : "That key may not review: it needs the reviewer or admin role.";
    signOut(`${why} ${error.message ? `(${error.message})` : ""}`.trim());
    throw new ApiError(response.status, error.code || "unauthorized", why);
  }
  if (!response.ok) {
    throw new ApiError(response.status, error.code || "error", error.message || `HTTP ${response.status}`);
  }
  return data;
}

function isAuthError(err) {
  return err instanceof ApiError && (err.status === 401 || err.status === 403);
}

function report(err) {
  if (isAuthError(err)) return; // signOut already said why
  notice(err.message || String(err), "error");
}

// --- signing in and out ---------------------------------------------------------------------

function signOut(message) {
  state.key = null;
  state.current = null;
  state.items = [];
  sessionStorage.removeItem(KEY_STORAGE);
  $("app").hidden = true;
  $("sign-out").hidden = true;
  $("sign-in").hidden = false;
  notice("");
  const error = $("sign-in-error");
  error.textContent = message || "";
  error.hidden = !message;
  $("key").value = "";
  $("key").focus();
}

async function start() {
  $("sign-in").hidden = true;
  $("sign-in-error").hidden = true;
  $("app").hidden = false;
  $("sign-out").hidden = false;
  $("key").blur();
  try {
    await Promise.all([loadGate(), loadQueue()]);
    await openAt(0);
  } catch (err) {
    report(err);
  }
}

// --- the gate -------------------------------------------------------------------------------

async function loadGate() {
  const gate = await api("GET", "/v1/gate");
  const intents = new Set();
  fill($("gate-list"), ...gateLines(gate.channels, intents));
  addIntents(intents);
}

function addIntents(names) {
  const list = $("intents");
  const known = new Set([...list.options].map((o) => o.value));
  for (const name of names) {
    if (name && !known.has(name)) {
      list.append(el("option", { value: name }));
      known.add(name);
    }
  }
}

// --- the queue ------------------------------------------------------------------------------

function filters() {
  const form = $("filters");
  const query = new URLSearchParams();
  for (const name of ["status", "channel", "kind", "risk", "intent"]) {
    const value = form.elements[name].value.trim();
    if (value) query.set(name, value);
  }
  return query;
}

function pendingView() {
  return $("filters").elements.status.value === "pending";
}

async function loadQueue(append) {
  const query = filters();
  query.set("limit", "50");
  if (append && state.cursor) query.set("cursor", state.cursor);
  const page = await api("GET", `/v1/reviews?${query}`);
  state.items = append ? state.items.concat(page.items) : page.items;
  state.cursor = page.next_cursor;
  addIntents(page.items.map((item) => item.intent));
  renderQueue();
}

function renderQueue() {
  const status = $("filters").elements.status.value;
  $("queue-count").textContent =
    `${state.items.length}${state.cursor ? "+" : ""} ${status} item${state.items.length === 1 ? "" : "s"}`;
  fill(
    $("queue"),
    ...state.items.map((item) =>
      el(
        "li",
        {},
        el(
          "button",
          {
            type: "button",
            "data-id": item.id,
            "aria-current": state.current && state.current.id === item.id ? "true" : "false",
            onclick: () => openItem(item.id),
          },
          el("span", { className: "who", text: item.customer_name || item.customer_id || "unknown" }),
          ` · ${item.channel} · ${item.kind}${item.intent ? ` · ${item.intent}` : ""} · `,
          el("span", { className: "muted", title: item.created_at, text: when(item.created_at) }),
          (item.risks || []).length
            ? el("span", { className: "chips" }, " ", ...item.risks.map((r) => el("span", { text: r })))
            : null,
          el("span", { className: "preview", text: item.preview }),
        ),
      ),
    ),
  );
  $("more").hidden = !state.cursor;
}

function markCurrent() {
  for (const button of $("queue").querySelectorAll("button[data-id]")) {
    const current = state.current && button.dataset.id === state.current.id;
    button.setAttribute("aria-current", current ? "true" : "false");
    if (current) button.scrollIntoView({ block: "nearest" });
  }
}

function currentIndex() {
  if (!state.current) return -1;
  return state.items.findIndex((item) => item.id === state.current.id);
}

async function openAt(index) {
  if (!state.items.length) {
    showEmpty();
    return;
  }
  const bounded = Math.max(0, Math.min(index, state.items.length - 1));
  await openItem(state.items[bounded].id);
}

async function move(step) {
  let index = currentIndex() + step;
  if (index >= state.items.length && state.cursor) {
    await loadQueue(true);
  }
  index = Math.max(0, Math.min(index, state.items.length - 1));
  if (state.items[index] && (!state.current || state.items[index].id !== state.current.id)) {
    await openItem(state.items[index].id);
  }
}

// --- one item -------------------------------------------------------------------------------

function showEmpty() {
  state.current = null;
  setMode("view");
  $("item").hidden = true;
  $("item").removeAttribute("data-review-id");
  $("detail-empty").hidden = false;
  $("detail-empty").textContent = pendingView()
    ? "The queue is empty: nothing is waiting for a decision."
    : "No items match these filters.";
  markCurrent();
}

async function openItem(id) {
  const seq = ++state.openSeq;
  const detail = await api("GET", `/v1/reviews/${encodeURIComponent(id)}`);
  if (seq !== state.openSeq) return; // a later click won
  state.current = detail;
  renderItem(detail);
  setMode("view");
  markCurrent();
}

// --- decisions ------------------------------------------------------------------------------

function setMode(mode) {
  state.mode = mode;
  const focused = document.activeElement;
  if (mode === "view" && focused instanceof HTMLElement && focused.closest("#edit-form, #reject-form")) {
    focused.blur(); // a hidden field must not keep the keys (shortcuts are off while typing)
  }
  const pending = state.current && state.current.status === "pending";
  $("edit-form").hidden = mode !== "edit";
  $("reject-form").hidden = mode !== "reject";
  $("reply-text").hidden = mode === "edit";
  $("actions").hidden = mode !== "view" || !pending;
}

function canDecide() {
  return state.current && state.current.status === "pending" && !state.busy;
}

function startEdit() {
  if (!canDecide()) return;
  setMode("edit");
  const box = $("edit-text");
  box.value = (state.current.reply && state.current.reply.text) || "";
  box.focus();
}

function startReject() {
  if (!canDecide()) return;
  setMode("reject");
  $("reject-category").value = "";
  $("reject-note").value = "";
  $("reject-category").focus();
}

function cancelMode() {
  setMode("view");
}

async function approve() {
  if (!canDecide()) return;
  await decide("approve", {}, "Approved and sent.");
}

async function saveEdit() {
  if (!canDecide() || state.mode !== "edit") return;
  const text = $("edit-text").value;
  if (!text.trim()) {
    notice("The edited reply is empty: write the reply, or reject the item.", "error");
    return;
  }
  if (text === ((state.current.reply && state.current.reply.text) || "")) {
    await decide("approve", {}, "Unchanged, so approved and sent.");
    return;
  }
  await decide("edit", { text }, "Edited reply sent.");
}

async function confirmReject() {
  if (!canDecide() || state.mode !== "reject") return;
  const category = $("reject-category").value;
  if (!category) {
    notice("Choose why the reply is wrong.", "error");
    $("reject-category").focus();
    return;
  }
  const body = { category };
  const note = $("reject-note").value.trim();
  if (note) body.note = note;
  await decide("reject", body, "Rejected: not sent, handed to a person.");
}

async function decide(action, body, done) {
  const id = state.current.id;
  const position = currentIndex();
  state.busy = true;
  try {
    await api("POST", `/v1/reviews/${encodeURIComponent(id)}/${action}`, body);
    notice(done);
  } catch (err) {
    if (err instanceof ApiError && err.status === 409) {
      notice("Someone else decided this item; the queue is refreshed.", "warn");
    } else {
      report(err);
      state.busy = false;
      return;
    }
  }
  try {
    await Promise.all([loadQueue(), loadGate()]);
    // The next pending item sits where the decided one was (it left the pending queue).
    const next = state.items.findIndex((item) => item.id === id);
    await openAt(next >= 0 ? next + 1 : position);
  } catch (err) {
    report(err);
  } finally {
    state.busy = false;
  }
}

// --- keys -----------------------------------------------------------------------------------

function onKey(event) {
  if ($("app").hidden) return;
  const typing = event.target instanceof Element && event.target.closest("input, textarea, select, [contenteditable]");
  if (event.key === "Escape") {
    if (state.mode !== "view") {
      event.preventDefault();
      cancelMode();
    }
    return;
  }
  if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
    if (state.mode === "edit") saveEdit().catch(report);
    else if (state.mode === "reject") confirmReject().catch(report);
    else return;
    event.preventDefault();
    return;
  }
  if (typing || event.ctrlKey || event.metaKey || event.altKey || event.repeat) return;
  const actions = {
    a: approve,
    e: startEdit,
    r: startReject,
    j: () => move(1),
    n: () => move(1),
    k: () => move(-1),
  };
  const run = actions[event.key];
  if (!run) return;
  event.preventDefault(); // the key must not type into the field it focuses
  Promise.resolve(run()).catch(report);
}

// --- wiring ---------------------------------------------------------------------------------

function wire() {
  $("sign-in-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const key = $("key").value.trim();
    if (!key) return;
    state.key = key;
    sessionStorage.setItem(KEY_STORAGE, key);
    start();
  });
  $("sign-out").addEventListener("click", () => signOut(""));
  $("filters").addEventListener("submit", (event) => event.preventDefault());
  $("filters").addEventListener("change", () => {
    setMode("view");
    notice("");
    loadQueue()
      .then(() => openAt(0))
      .catch(report);
  });
  $("more").addEventListener("click", () => loadQueue(true).catch(report));
  $("approve").addEventListener("click", () => approve().catch(report));
  $("edit").addEventListener("click", startEdit);
  $("reject").addEventListener("click", startReject);
  $("edit-form").addEventListener("submit", (event) => {
    event.preventDefault();
    saveEdit().catch(report);
  });
  $("reject-form").addEventListener("submit", (event) => {
    event.preventDefault();
    confirmReject().catch(report);
  });
  for (const button of document.querySelectorAll("form .cancel")) {
    button.addEventListener("click", cancelMode);
  }
  document.addEventListener("keydown", onKey);

  state.key = sessionStorage.getItem(KEY_STORAGE);
  if (state.key) start();
  else signOut("");
}

document.addEventListener("DOMContentLoaded", wire);
