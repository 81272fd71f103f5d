// The admin page: overview, sources and their syncs (polled every 2 s while one runs), users, groups.
// Everything from the API is shown with textContent. The API refuses non-admins (403); the page says so.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const { T, api, el, formatDate, loadMe } = window.sourcier;
  const $ = (id) => document.getElementById(id);
  const A = "/api/v1/admin";
  const POLL_MS = 2000;
  const runs = new Map();       // source name -> its runs, newest first
  let sources = [];
  let pollTimer = null;

  const status = (text) => { $("admin-status").textContent = text || ""; };
  const latest = (name) => (runs.get(name) || [])[0] || null;
  const isRunning = (run) => run && (run.status === "running" || run.status === "queued");

  function formError(form, err) {
    const box = form.querySelector(".form-error");
    box.textContent = err ? err.message : "";
    box.hidden = !err;
  }

  function handle(form, action) {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      formError(form, null);
      const button = form.querySelector("button[type=submit]");
      button.disabled = true;
      try {
        await action(form);
        form.reset();
        status(T.saved);
      } catch (err) {
        formError(form, err);
      } finally {
        button.disabled = false;
      }
    });
  }

  // ---- overview ----
  async function loadOverview() {
    const o = await api("GET", `${A}/overview`);
    $("stat-documents").textContent = o.documents ?? "–";
    $("stat-chunks").textContent = o.chunks ?? "–";
    $("stat-failed").textContent = o.failed ?? "–";
    const up = o.thumbs_up || 0, down = o.thumbs_down || 0;
    $("stat-thumbs").textContent = up + down ? `${Math.round((100 * up) / (up + down))} % (+${up} / −${down})` : T.no_feedback;
    const body = $("per-day"), days = o.questions_per_day || [];
    const most = Math.max(1, ...days.map((d) => d.count));
    body.textContent = "";
    for (const d of days) {
      const bar = el("meter", { min: 0, max: most, value: d.count, "aria-hidden": "true" });
      body.append(el("tr", {}, el("td", { text: d.day }), el("td", { class: "num", text: d.count }), el("td", {}, bar)));
    }
  }

  // ---- sources and their runs ----
  function runStatusText(run) {
    if (!run) return T.never;
    return T[run.status] || run.status;
  }

  function runErrors(run) {
    if (!run) return [];
    const list = [];
    if (run.error) list.push({ uri: "", reason: run.error });
    for (const e of run.errors || []) list.push(typeof e === "string" ? { uri: "", reason: e } : e);
    return list;
  }

  function sourceRow(source) {
    const run = latest(source.name);
    const state = el("td", { class: "run-status" });
    state.append(el("span", { class: `badge status-${run ? run.status : "never"}`, text: runStatusText(run) }));
    if (isRunning(run)) {
      const total = run.progress_total || 0, done = run.progress_done || 0;
      const bar = el("progress", { max: total || 1, value: total ? done : null, "aria-label": T.progress });
      state.append(bar, el("span", { class: "muted progress-text", text: total ? ` ${done} / ${total}` : "" }));
    } else if (run && run.counts && Object.keys(run.counts).length) {
      const counts = Object.entries(run.counts).filter(([, v]) => v).map(([k, v]) => `${k} ${v}`).join(", ");
      state.append(el("div", { class: "muted small", text: counts }));
    }
    const errors = runErrors(run);
    const errorCell = el("td", { class: "run-errors" });
    if (errors.length) {
      const list = el("ul", { class: "errors" });
      for (const e of errors.slice(0, 20)) {
        list.append(el("li", {}, e.uri ? el("code", { text: e.uri }) : null, e.uri ? " : " : null, e.reason || ""));
      }
      if (errors.length > 20) list.append(el("li", { class: "muted", text: `… +${errors.length - 20}` }));
      errorCell.append(el("details", {}, el("summary", { text: `${T.errors} (${errors.length})` }), list));
    }
    const syncButton = el("button", {
      type: "button", class: "sync-now", disabled: isRunning(run),
      onclick: () => syncNow(source.name),
    }, T.sync_now);
    const every = source.every || (source.every_s ? `${source.every_s}s` : "");
    const read = (source.read || source.default_acl || []).join(", ");
    return el("tr", { "data-source": source.name },
      el("th", { scope: "row" }, source.name, el("div", { class: "muted small", text: [source.kind, every, read].filter(Boolean).join(" · ") })),
      el("td", {}, el("code", { text: source.location || "" })),
      state,
      el("td", { text: run ? formatDate(run.finished_at || run.started_at) : T.never }),
      errorCell,
      el("td", {}, syncButton));
  }

  function renderSources() {
    const body = $("sources");
    body.textContent = "";
    for (const s of sources) body.append(sourceRow(s));
    $("no-sources").hidden = sources.length > 0;
  }

  async function loadRuns(name) {
    const data = await api("GET", `${A}/sources/${encodeURIComponent(name)}/runs`);
    runs.set(name, Array.isArray(data) ? data : data.runs || []);
  }

  async function loadSources() {
    const data = await api("GET", `${A}/sources`);
    sources = Array.isArray(data) ? data : data.sources || [];
    await Promise.all(sources.map((s) => loadRuns(s.name).catch(() => runs.set(s.name, []))));
    renderSources();
    schedulePoll();
  }

  // While any source syncs, its runs are re-read every 2 s; when the last one finishes, the overview too.
  function schedulePoll() {
    if (pollTimer) return;
    if (!sources.some((s) => isRunning(latest(s.name)))) return;
    pollTimer = window.setTimeout(async () => {
      pollTimer = null;
      const running = sources.filter((s) => isRunning(latest(s.name)));
      await Promise.all(running.map((s) => loadRuns(s.name).catch(() => {})));
      renderSources();
      if (!sources.some((s) => isRunning(latest(s.name)))) loadOverview().catch(() => {});
      schedulePoll();
    }, POLL_MS);
  }

  async function syncNow(name) {
    await loadRuns(name).catch(() => {});
    const before = latest(name);
    try {
      await api("POST", `${A}/sources/${encodeURIComponent(name)}/sync`);
    } catch (err) {
      if (err.status !== 409) { status(err.message); return; }
    }
    runs.set(name, [{ status: "queued", progress_total: 0, progress_done: 0 }, ...(runs.get(name) || [])]);
    renderSources();
    pollUntilStarted(name, before ? before.id : null);
  }

  // Between the 202 and the run's first record, keep polling; give up on "queued" after 30 s.
  function pollUntilStarted(name, previousId, tries = 0) {
    window.setTimeout(async () => {
      await loadRuns(name).catch(() => {});
      const run = latest(name);
      if (run && run.id !== previousId) {
        renderSources();
        if (!isRunning(run)) loadOverview().catch(() => {}); // a small sync may be over before the first poll
        schedulePoll();
        return;
      }
      if (tries < 15) {
        runs.set(name, [{ status: "queued", progress_total: 0, progress_done: 0 }, ...(runs.get(name) || [])]);
        renderSources();
        pollUntilStarted(name, previousId, tries + 1);
      } else { renderSources(); }
    }, POLL_MS / 2);
  }

  handle($("source-form"), async (form) => {
    const name = form.name.value.trim();
    const read = form.read.value.split(",").map((s) => s.trim()).filter(Boolean);
    const body = { name, kind: "filesystem", location: form.location.value.trim(), every: form.every.value.trim() || null };
    if (read.length) body.read = read;
    await api("POST", `${A}/sources`, body);
    await loadSources();
    await syncNow(name);
  });

  // ---- users ----
  let users = [];
  function renderUsers() {
    const body = $("users");
    body.textContent = "";
    for (const u of users) {
      const toggle = el("button", {
        type: "button", class: "toggle-disabled",
        onclick: async () => {
          try { await api("PATCH", `${A}/users/${encodeURIComponent(u.name)}`, { disabled: !u.disabled }); await loadUsers(); }
          catch (err) { status(err.message); }
        },
      }, u.disabled ? T.enable : T.disable);
      body.append(el("tr", { "data-user": u.name, class: u.disabled ? "disabled" : null },
        el("th", { scope: "row", text: u.name }),
        el("td", { text: u.is_admin ? T.yes : T.no }),
        el("td", { text: u.disabled ? T.yes : T.no }),
        el("td", { text: (u.groups || []).join(", ") }),
        el("td", {}, toggle)));
    }
    const select = document.querySelector("#member-form select[name=user]");
    select.textContent = "";
    for (const u of users) select.append(el("option", { value: u.name, text: u.name }));
  }
  async function loadUsers() {
    const data = await api("GET", `${A}/users`);
    users = Array.isArray(data) ? data : data.users || [];
    renderUsers();
  }
  handle($("user-form"), async (form) => {
    const body = { name: form.name.value.trim(), is_admin: form.is_admin.checked };
    if (form.password.value) body.password = form.password.value;
    await api("POST", `${A}/users`, body);
    await loadUsers();
  });

  // ---- groups ----
  async function loadGroups() {
    const data = await api("GET", `${A}/groups`);
    const groups = Array.isArray(data) ? data : data.groups || [];
    const body = $("groups");
    body.textContent = "";
    for (const g of groups) {
      const members = el("ul", { class: "members" });
      for (const m of g.members || []) {
        const name = typeof m === "string" ? m : m.name;
        members.append(el("li", {}, name, " ", el("button", {
          type: "button", class: "icon", "aria-label": `${T.remove} ${name}`, title: T.remove,
          onclick: async () => {
            try {
              await api("DELETE", `${A}/groups/${encodeURIComponent(g.name)}/members/${encodeURIComponent(name)}`);
              await Promise.all([loadGroups(), loadUsers()]);
            } catch (err) { status(err.message); }
          },
        }, "×")));
      }
      body.append(el("tr", { "data-group": g.name }, el("th", { scope: "row", text: g.name }), el("td", {}, members)));
    }
    const select = document.querySelector("#member-form select[name=group]");
    select.textContent = "";
    for (const g of groups) select.append(el("option", { value: g.name, text: g.name }));
  }
  handle($("group-form"), async (form) => {
    await api("POST", `${A}/groups`, { name: form.name.value.trim() });
    await loadGroups();
  });
  handle($("member-form"), async (form) => {
    await api("POST", `${A}/groups/${encodeURIComponent(form.group.value)}/members/${encodeURIComponent(form.user.value)}`);
    await Promise.all([loadGroups(), loadUsers()]);
  });

  // ---- start ----
  loadMe().then(async (me) => {
    if (!me.is_admin) { $("admin-denied").hidden = false; return; }
    $("admin-content").hidden = false;
    const results = await Promise.allSettled([loadOverview(), loadSources(), loadUsers(), loadGroups()]);
    const failed = results.find((r) => r.status === "rejected");
    if (failed) status(failed.reason.message);
  }).catch((err) => status(err.message));
});
