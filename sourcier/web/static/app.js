// The chat page: ask, read the answer as it streams (SSE over fetch), citations as chips opening the
// passage, conversation history, feedback, regenerate, copy. Data from the API goes in with textContent.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const { T, api, el, formatDate, loadMe } = window.sourcier;
  const $ = (id) => document.getElementById(id);
  const messages = $("messages"), form = $("ask-form"), question = $("question"), askButton = $("ask");
  const template = $("message-template");
  const panel = $("passage-panel");
  let conversationId = null;
  let busy = false;

  // ---- server-sent events read from a fetch body (EventSource cannot POST) ----
  async function readEvents(response, onEvent) {
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    const flush = (block) => {
      let name = "message";
      const data = [];
      for (const line of block.split(/\r?\n/)) {
        if (!line || line.startsWith(":")) continue;
        const colon = line.indexOf(":");
        const field = colon < 0 ? line : line.slice(0, colon);
        let value = colon < 0 ? "" : line.slice(colon + 1);
        if (value.startsWith(" ")) value = value.slice(1);
        if (field === "event") name = value;
        else if (field === "data") data.push(value);
      }
      if (data.length) onEvent(name, JSON.parse(data.join("\n")));
    };
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      const blocks = buffer.split(/\r?\n\r?\n/);
      buffer = blocks.pop();
      blocks.forEach(flush);
    }
    buffer += decoder.decode();
    if (buffer.trim()) flush(buffer);
  }

  // ---- one exchange (question + answer) on the page ----
  function newExchange(text) {
    $("welcome")?.remove();
    const node = template.content.firstElementChild.cloneNode(true);
    node.querySelector(".q").textContent = text;
    messages.append(node);
    const view = {
      node,
      answer: node.querySelector(".answer"),
      body: node.querySelector(".answer-text"),
      streamed: "",
      data: null,
    };
    view.body.append(el("span", { class: "thinking muted", text: T.thinking }));
    node.scrollIntoView({ block: "end" });
    return view;
  }

  // `restart`: the model that was writing failed and the next one starts over, so the text so far goes.
  function appendToken(view, text, restart) {
    if (restart) view.streamed = "";
    if (!view.streamed) view.body.textContent = "";
    view.streamed += text;
    view.body.append(document.createTextNode(text));
    view.node.scrollIntoView({ block: "end" });
  }

  function chip(citation, view) {
    return el("button", {
      type: "button", class: "chip", "data-passage": citation.passage_id,
      "aria-label": `${T.sources} ${citation.number} : ${citation.title || ""}`,
      title: citation.title || "",
      onclick: (event) => openPassage(citation, event.currentTarget),
    }, String(citation.number));
  }

  // The answer text with its [n] markers turned into citation chips.
  function renderText(view, text, citations) {
    const byNumber = new Map(citations.map((c) => [c.number, c]));
    view.body.textContent = "";
    let last = 0;
    for (const match of text.matchAll(/\[(\d+)\]/g)) {
      const citation = byNumber.get(Number(match[1]));
      if (!citation) continue;
      view.body.append(document.createTextNode(text.slice(last, match.index)));
      view.body.append(chip(citation, view));
      last = match.index + match[0].length;
    }
    view.body.append(document.createTextNode(text.slice(last)));
  }

  function renderCitations(view, citations) {
    const box = view.node.querySelector(".citations"), list = box.querySelector(".chips");
    list.textContent = "";
    for (const c of citations) {
      const label = [c.title, c.page ? `${T.page} ${c.page}` : null].filter(Boolean).join(", ");
      const item = el("li", {}, chip(c, view), el("span", { class: "chip-label", text: label }));
      list.append(item);
    }
    box.hidden = citations.length === 0;
  }

  function renderTable(view, table) {
    const thead = view.node.querySelector(".result-table thead"), tbody = view.node.querySelector(".result-table tbody");
    thead.textContent = "";
    tbody.textContent = "";
    thead.append(el("tr", {}, ...table.columns.map((c) => el("th", { scope: "col", text: c }))));
    // Numbers come as JSON numbers, decimals as exact strings ("1601626.92"): both shown right-aligned, localised.
    const numeric = (v) => typeof v === "number" || (typeof v === "string" && /^-?\d+(\.\d+)?$/.test(v));
    const lang = document.documentElement.lang || "fr";
    const cell = (v) => el("td", numeric(v)
      ? { class: "num", text: Number(v).toLocaleString(lang, { maximumFractionDigits: 2 }) }
      : { text: v === null ? "" : String(v) });
    for (const row of table.rows) tbody.append(el("tr", {}, ...row.map(cell)));
  }

  // A bar chart where it fits: one label column and one numeric column, 2 to 40 rows (else the table alone).
  function chartable(table) {
    if (!table || table.columns.length !== 2 || table.rows.length < 2 || table.rows.length > 40) return null;
    const values = table.rows.map((r) => (typeof r[1] === "number" ? r[1] : Number(r[1])));
    if (values.some((v) => !Number.isFinite(v) || v < 0)) return null;
    return { labels: table.rows.map((r) => (r[0] === null ? "" : String(r[0]))), values };
  }

  function renderChart(view, table) {
    const box = view.node.querySelector(".result-chart");
    box.textContent = "";
    const data = chartable(table);
    box.hidden = data === null;
    if (data === null) return;
    const NS = "http://www.w3.org/2000/svg", bar = 22, gap = 6, labelW = 160, width = 560;
    const max = Math.max(...data.values) || 1;
    const svg = document.createElementNS(NS, "svg");
    svg.setAttribute("viewBox", `0 0 ${width} ${data.values.length * (bar + gap)}`);
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", `${table.columns[1]} / ${table.columns[0]}`);
    data.values.forEach((v, i) => {
      const y = i * (bar + gap), w = Math.max(1, ((width - labelW - 90) * v) / max);
      const add = (tag, attrs, text) => {
        const n = document.createElementNS(NS, tag);
        for (const [k, val] of Object.entries(attrs)) n.setAttribute(k, String(val));
        if (text !== undefined) n.textContent = text;
        svg.append(n);
      };
      add("text", { x: labelW - 6, y: y + bar * 0.7, "text-anchor": "end", class: "chart-label" }, data.labels[i].length > 26 ? `${data.labels[i].slice(0, 25)}…` : data.labels[i]);
      add("rect", { x: labelW, y, width: w, height: bar, rx: 3, class: "chart-bar" });
      add("text", { x: labelW + w + 6, y: y + bar * 0.7, class: "chart-value" }, v.toLocaleString(document.documentElement.lang || "fr"));
    });
    box.append(svg);
  }

  function finish(view, answer) {
    view.data = answer;
    view.answer.setAttribute("aria-busy", "false");
    view.answer.classList.toggle("not-found", answer.found === false);
    const citations = answer.citations || [];
    renderText(view, answer.text || "", citations);
    renderCitations(view, citations);
    const notice = view.node.querySelector(".notice");
    notice.hidden = !answer.notice;
    notice.textContent = answer.notice || "";
    const sql = view.node.querySelector(".sql");
    if (answer.sql) {
      view.node.querySelector(".sql-code").textContent = answer.sql;
      if (answer.table) { renderTable(view, answer.table); renderChart(view, answer.table); }
      sql.hidden = false;
    }
    if (answer.answer_id !== undefined && answer.answer_id !== null) {
      view.node.dataset.answerId = answer.answer_id;
      view.node.querySelector(".actions").hidden = false;
      wireActions(view);
    }
  }

  function fail(view, message) {
    view.answer.setAttribute("aria-busy", "false");
    view.body.textContent = "";
    view.body.append(el("p", { class: "error", role: "alert", text: message }));
  }

  // Streams one answer (ask or regenerate) into `view`; resolves with the final AnswerOut or null.
  async function stream(view, path, body) {
    let final = null;
    try {
      const response = await api("POST", path, body, { raw: true });
      if (!(response.headers.get("content-type") || "").includes("text/event-stream")) {
        final = await response.json();
        finish(view, final);
        return final;
      }
      await readEvents(response, (name, data) => {
        if (name === "token") appendToken(view, data.text, data.restart);
        else if (name === "citations") renderCitations(view, data.citations || []);
        else if (name === "done") { final = data; finish(view, data); }
        else if (name === "error") fail(view, data.message || T.error);
      });
      if (!final && view.answer.getAttribute("aria-busy") === "true") fail(view, T.network_error);
    } catch (err) {
      fail(view, err.message);
    }
    return final;
  }

  async function ask(text) {
    if (busy) return;
    busy = true;
    askButton.disabled = true;
    const mode = form.querySelector("input[name=mode]:checked").value;
    const view = newExchange(text);
    const answer = await stream(view, "/api/v1/ask", { question: text, conversation_id: conversationId, mode, stream: true });
    if (answer && answer.conversation_id !== undefined) {
      const isNew = conversationId !== answer.conversation_id;
      conversationId = answer.conversation_id;
      if (isNew) loadConversations();
    }
    busy = false;
    askButton.disabled = false;
    question.focus();
  }

  // ---- actions under an answer: feedback, regenerate, copy ----
  function wireActions(view) {
    if (view.wired) return;
    view.wired = true;
    const node = view.node, status = node.querySelector(".action-status");
    const feedback = node.querySelector(".feedback-form");
    const up = node.querySelector(".thumb-up"), down = node.querySelector(".thumb-down");
    let rating = null;
    const choose = (value) => {
      rating = value;
      up.setAttribute("aria-pressed", String(value === "up"));
      down.setAttribute("aria-pressed", String(value === "down"));
      feedback.hidden = false;
      feedback.comment.focus();
    };
    up.addEventListener("click", () => choose("up"));
    down.addEventListener("click", () => choose("down"));
    node.querySelector(".feedback-cancel").addEventListener("click", () => { feedback.hidden = true; });
    feedback.addEventListener("submit", async (event) => {
      event.preventDefault();
      const comment = feedback.comment.value.trim();
      try {
        await api("POST", `/api/v1/answers/${node.dataset.answerId}/feedback`, { rating, comment: comment || null });
        feedback.hidden = true;
        status.textContent = T.feedback_thanks;
      } catch (err) {
        status.textContent = err.message;
      }
    });
    node.querySelector(".regenerate").addEventListener("click", async () => {
      if (busy) return;
      busy = true;
      const again = newExchange(view.data.question);
      await stream(again, `/api/v1/answers/${node.dataset.answerId}/regenerate`, { stream: true });
      busy = false;
    });
    node.querySelector(".copy").addEventListener("click", async () => {
      const text = view.data.text || "";
      try {
        await navigator.clipboard.writeText(text);
      } catch (err) {
        const area = el("textarea", { class: "visually-hidden" });
        area.value = text;
        document.body.append(area);
        area.select();
        document.execCommand("copy");
        area.remove();
      }
      status.textContent = T.copied;
    });
  }

  // ---- the passage panel ----
  function highlighted(text, highlights) {
    const spans = (highlights || []).map(([s, e]) => [Math.max(0, s), Math.min(text.length, e)])
      .filter(([s, e]) => e > s).sort((a, b) => a[0] - b[0]);
    const nodes = [];
    let last = 0;
    for (const [s, e] of spans) {
      if (e <= last) continue;
      const start = Math.max(s, last);
      nodes.push(document.createTextNode(text.slice(last, start)), el("mark", { text: text.slice(start, e) }));
      last = e;
    }
    nodes.push(document.createTextNode(text.slice(last)));
    return nodes;
  }

  let returnFocus = null;
  async function openPassage(citation, opener) {
    returnFocus = opener;
    const title = $("passage-title"), meta = $("passage-meta"), body = $("passage-text"), link = $("passage-link");
    title.textContent = `[${citation.number}] ${citation.title || T.passage}`;
    meta.textContent = "";
    body.textContent = T.thinking;
    link.hidden = true;
    panel.hidden = false;
    document.body.classList.add("panel-open");
    try {
      const passage = await api("GET", `/api/v1/passages/${citation.passage_id}`);
      const doc = passage.document || {};
      title.textContent = `[${citation.number}] ${doc.title || passage.title || T.passage}`;
      meta.textContent = [
        passage.section ? `${T.section} : ${passage.section}` : null,
        passage.page ? `${T.page} ${passage.page}` : null,
        passage.path || doc.path || null,
      ].filter(Boolean).join(" · ");
      body.textContent = "";
      body.append(...highlighted(passage.text || "", citation.highlights));
      const documentId = passage.document_id ?? citation.document_id;
      link.href = `/api/v1/documents/${documentId}/file` + (passage.page ? `#page=${passage.page}` : "");
      link.hidden = false;
      body.querySelector("mark")?.scrollIntoView({ block: "center" });
    } catch (err) {
      body.textContent = err.status === 404 ? T.not_found : err.message;
    }
    body.focus();
  }

  function closePassage() {
    panel.hidden = true;
    document.body.classList.remove("panel-open");
    if (returnFocus) returnFocus.focus();
  }
  $("close-passage").addEventListener("click", closePassage);
  document.addEventListener("keydown", (event) => { if (event.key === "Escape" && !panel.hidden) closePassage(); });

  // ---- conversation history ----
  async function loadConversations() {
    const list = $("conversations");
    let items = [];
    try { items = await api("GET", "/api/v1/conversations"); } catch (err) { return; }
    list.textContent = "";
    for (const c of items) {
      const open = el("button", {
        type: "button", class: "conversation-open", "aria-current": c.id === conversationId ? "true" : null,
        onclick: () => openConversation(c.id),
      }, el("span", { class: "conversation-title", text: c.title || "…" }),
      el("span", { class: "conversation-date muted", text: formatDate(c.updated_at) }));
      const remove = el("button", {
        type: "button", class: "icon conversation-delete", "aria-label": `${T.delete} : ${c.title || ""}`, title: T.delete,
        onclick: async () => {
          if (!window.confirm(T.delete_conversation_confirm)) return;
          try { await api("DELETE", `/api/v1/conversations/${c.id}`); } catch (err) { return; }
          if (conversationId === c.id) startNew();
          loadConversations();
        },
      }, "×");
      list.append(el("li", { "data-id": c.id }, open, remove));
    }
    $("no-conversations").hidden = items.length > 0;
  }

  async function openConversation(id) {
    if (busy) return;
    let conversation;
    try { conversation = await api("GET", `/api/v1/conversations/${id}`); } catch (err) { return; }
    conversationId = conversation.id;
    messages.textContent = "";
    for (const message of conversation.messages || []) finish(newExchange(message.question), message);
    loadConversations();
    question.focus();
  }

  function startNew() {
    conversationId = null;
    messages.textContent = "";
    messages.append(el("p", { id: "welcome", class: "welcome muted", text: T.welcome }));
    loadConversations();
    question.focus();
  }

  $("new-conversation").addEventListener("click", startNew);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = question.value.trim();
    if (!text) return;
    question.value = "";
    ask(text);
  });
  question.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });

  loadMe().then(loadConversations).catch(() => {});
  question.focus();
});
