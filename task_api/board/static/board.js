// The live board: asks for the API key once (kept in sessionStorage, sent only as the X-API-Key header),
// then polls /board/state every second with If-None-Match. An unchanged store answers 304 with no body.
"use strict";

(() => {
  const KEY_STORAGE = "task-api-board-key";
  const THEME_STORAGE = "task-api-board-theme";
  const POLL_MS = 1000;
  const HIDDEN_POLL_MS = 5000; // a tab nobody looks at costs the server less
  const HIGHLIGHT_MS = 8000;
  const RECENT_CHANGES = 6;
  const TASK_COLUMNS = ["todo", "in_progress", "done", "cancelled"];
  const STATUS_WORDS = {
    todo: "to do", in_progress: "in progress", done: "done", cancelled: "cancelled",
    scheduled: "scheduled", completed: "completed", rescheduled: "rescheduled",
  };

  const $ = (id) => document.getElementById(id);
  let key = sessionStorage.getItem(KEY_STORAGE);
  let etag = null;
  let seen = null; // Map "kind:id" -> updated_at of the last drawn state; null before the first
  const changedAt = new Map(); // "kind:id" -> when the board saw it change
  const recent = []; // [{text, at}]
  let timer = null;
  let session = 0; // bumped when the key changes, so a late answer for an old key is ignored

  function setStatus(text, kind) {
    const status = $("status");
    status.textContent = text;
    status.className = "status" + (kind ? " " + kind : "");
  }

  function clock(date) {
    return date.toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit", second: "2-digit" });
  }

  function when(iso) {
    if (!iso) return "";
    const date = new Date(iso);
    return date.toLocaleString("en-GB", {
      weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit", timeZone: "UTC",
    }) + " UTC";
  }

  async function fetchState(withKey, tag) {
    const headers = { "X-API-Key": withKey, Accept: "application/json" };
    if (tag) headers["If-None-Match"] = tag;
    return fetch("/board/state", { headers, cache: "no-store", credentials: "omit" });
  }

  async function refusal(response) {
    try {
      const body = await response.json();
      if (body && typeof body.message === "string") return body.message;
    } catch (_) { /* not JSON */ }
    return "HTTP " + response.status;
  }

  function showKeyForm(message) {
    $("board").hidden = true;
    $("forget").hidden = true;
    $("key-form").hidden = false;
    const error = $("key-error");
    error.hidden = !message;
    error.textContent = message || "";
    setStatus("Waiting for the API key");
    $("key").focus();
  }

  function showBoard() {
    $("key-form").hidden = true;
    $("board").hidden = false;
    $("forget").hidden = false;
  }

  function stopPolling() {
    if (timer !== null) clearTimeout(timer);
    timer = null;
  }

  function schedule() {
    stopPolling();
    timer = setTimeout(poll, document.hidden ? HIDDEN_POLL_MS : POLL_MS);
  }

  async function poll() {
    const mine = session;
    let response;
    try {
      response = await fetchState(key, etag);
    } catch (_) {
      if (mine !== session) return;
      setStatus("Server unreachable: retrying every second…", "problem");
      schedule();
      return;
    }
    if (mine !== session) return;
    if (response.status === 304) {
      setStatus("Live · checked " + clock(new Date()), "live");
    } else if (response.status === 403) {
      forgetKey("The server no longer accepts this key (" + (await refusal(response)) + "). Enter the current one.");
      return;
    } else if (response.ok) {
      etag = response.headers.get("ETag");
      draw(await response.json());
      setStatus("Live · updated " + clock(new Date()), "live");
    } else {
      setStatus("The server answered " + response.status + " (" + (await refusal(response)) + "): retrying…", "problem");
    }
    schedule();
  }

  function forgetKey(message) {
    session += 1;
    stopPolling();
    key = null;
    etag = null;
    seen = null;
    sessionStorage.removeItem(KEY_STORAGE);
    showKeyForm(message);
  }

  async function submitKey(event) {
    event.preventDefault();
    const candidate = $("key").value.trim();
    if (!candidate) return;
    setStatus("Checking the key…");
    let response;
    try {
      response = await fetchState(candidate, null);
    } catch (_) {
      showKeyForm("The server cannot be reached. Is it running?");
      return;
    }
    if (response.status === 403) {
      showKeyForm("Wrong API key: the server refused it (" + (await refusal(response)) + "). " +
        "Use the TASK_API_KEY the server was started with.");
      $("key").select();
      return;
    }
    if (!response.ok) {
      showKeyForm("The server answered " + response.status + ": " + (await refusal(response)));
      return;
    }
    session += 1;
    key = candidate;
    sessionStorage.setItem(KEY_STORAGE, key);
    $("key").value = "";
    etag = response.headers.get("ETag");
    showBoard();
    draw(await response.json());
    setStatus("Live · updated " + clock(new Date()), "live");
    schedule();
  }

  // Drawing. Every text goes in with textContent: names and titles are data, never markup.

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function card(id, status, title, meta, badge) {
    const item = element("li", "card" + (status ? " status-" + status : ""));
    item.dataset.id = id;
    item.append(element("div", "title", title));
    if (meta) item.append(element("div", "meta", meta));
    if (badge) item.append(element("span", "badge", badge));
    const at = changedAt.get(id);
    if (at !== undefined) {
      const age = Date.now() - at;
      if (age < HIGHLIGHT_MS) {
        item.classList.add("changed");
        item.style.animationDelay = "-" + age + "ms"; // a redraw continues the fade rather than restart it
      }
    }
    return item;
  }

  function noteChanges(state, users) {
    const now = Date.now();
    const next = new Map();
    const fresh = [];
    const visit = (kind, entity, describe) => {
      const id = kind + ":" + entity.id;
      next.set(id, entity.updated_at);
      if (seen === null) return;
      const before = seen.get(id);
      if (before === entity.updated_at) return;
      changedAt.set(id, now);
      fresh.push(describe(before === undefined));
    };
    for (const user of state.users) {
      visit("user", user, (isNew) => (isNew ? "New user: " : "Updated user: ") + user.name);
    }
    for (const call of state.calls) {
      const who = users.get(call.user_id);
      const label = "“" + call.title + "”" + (who ? " with " + who.name : "");
      visit("call", call, (isNew) => (isNew ? "New call: " + label : "Call " + label + " → " + STATUS_WORDS[call.status]));
    }
    for (const task of state.tasks) {
      const label = "“" + task.title + "”";
      visit("task", task, (isNew) => (isNew ? "New task: " + label : "Task " + label + " → " + STATUS_WORDS[task.status]));
    }
    seen = next;
    for (const text of fresh.reverse()) recent.unshift({ text, at: now });
    recent.splice(RECENT_CHANGES);
    for (const [id, at] of changedAt) if (now - at > HIGHLIGHT_MS) changedAt.delete(id);
  }

  function fill(listId, items, countId) {
    $(listId).replaceChildren(...items);
    if (countId) $(countId).textContent = "(" + items.length + ")";
  }

  function draw(state) {
    const users = new Map(state.users.map((user) => [user.id, user]));
    noteChanges(state, users);
    const newestFirst = (a, b) => (a.updated_at < b.updated_at ? 1 : a.updated_at > b.updated_at ? -1 : 0);

    const changes = recent.map((change) => {
      const item = element("li", Date.now() - change.at < HIGHLIGHT_MS ? "fresh" : "", clock(new Date(change.at)) + " " + change.text);
      return item;
    });
    if (changes.length === 0) changes.push(element("li", "empty", "Nothing yet: changes appear here as they land."));
    $("changes").replaceChildren(...changes);

    fill("users", [...state.users].sort(newestFirst).map((user) =>
      card("user:" + user.id, "", user.name, user.company + " · " + user.user_type)), "users-count");

    fill("calls", state.calls.map((call) => {
      const who = users.get(call.user_id);
      const meta = when(call.scheduled_for) + " · " + call.duration_minutes + " min" + (who ? " · " + who.name : "");
      return card("call:" + call.id, call.status, call.title, meta, STATUS_WORDS[call.status]);
    }), "calls-count");

    for (const column of TASK_COLUMNS) {
      const tasks = state.tasks.filter((task) => task.status === column).sort(newestFirst);
      fill(column, tasks.map((task) => {
        const who = task.user_id ? users.get(task.user_id) : null;
        const parts = [];
        if (who) parts.push(who.name);
        if (task.due_date) parts.push("due " + when(task.due_date));
        return card("task:" + task.id, task.status, task.title, parts.join(" · "));
      }), column + "-count");
    }
  }

  const systemDark = matchMedia("(prefers-color-scheme: dark)");

  // The saved choice of the Light / dark button if any, else the system's setting (followed as it changes).
  function applyTheme() {
    const saved = localStorage.getItem(THEME_STORAGE);
    const theme = saved === "light" || saved === "dark" ? saved : systemDark.matches ? "dark" : "light";
    document.documentElement.dataset.theme = theme;
  }

  function toggleTheme() {
    const dark = document.documentElement.dataset.theme === "dark";
    localStorage.setItem(THEME_STORAGE, dark ? "light" : "dark");
    applyTheme();
  }

  function start() {
    applyTheme();
    systemDark.addEventListener("change", applyTheme);
    $("theme").addEventListener("click", toggleTheme);
    $("forget").addEventListener("click", () => forgetKey(""));
    $("key-form").addEventListener("submit", submitKey);
    document.addEventListener("visibilitychange", () => { if (key && !document.hidden) poll(); });
    if (key) {
      showBoard();
      setStatus("Connecting…");
      poll();
    } else {
      showKeyForm("");
    }
  }

  start();
})();
