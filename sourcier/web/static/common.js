// Shared by every page: interface strings, the API client (session cookie + CSRF header), DOM helpers.
// Everything that comes from the API is put in the page with textContent, never as HTML.
"use strict";

(function () {
  const T = JSON.parse(document.getElementById("i18n").textContent);

  function cookie(name) {
    for (const part of document.cookie.split(";")) {
      const [key, ...rest] = part.trim().split("=");
      if (key === name) return decodeURIComponent(rest.join("="));
    }
    return "";
  }

  class ApiError extends Error {
    constructor(status, code, message) {
      super(message);
      this.status = status;
      this.code = code;
    }
  }

  function toLogin() {
    const next = window.location.pathname + window.location.search;
    window.location.assign("/login?next=" + encodeURIComponent(next));
  }

  // Sends one request to the JSON API. Non-GET requests carry the CSRF token (double submit cookie).
  // Returns the fetch Response when `raw` is set (streams), else the decoded JSON body (or null).
  async function api(method, path, body, { raw = false, redirectOn401 = true } = {}) {
    const headers = { Accept: raw ? "text/event-stream" : "application/json" };
    if (method !== "GET" && method !== "HEAD") headers["X-CSRF-Token"] = cookie("sourcier_csrf");
    if (body !== undefined) headers["Content-Type"] = "application/json";
    let response;
    try {
      response = await fetch(path, {
        method, headers, credentials: "same-origin",
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (err) {
      throw new ApiError(0, "network", T.network_error);
    }
    if (response.status === 401 && redirectOn401) {
      toLogin();
      throw new ApiError(401, "unauthenticated", T.login_failed);
    }
    if (!response.ok) {
      let code = "http_" + response.status, message = T.error + " " + response.status;
      try {
        const data = await response.json();
        if (data && data.error) { code = data.error.code || code; message = data.error.message || message; }
        else if (data && typeof data.detail === "string") message = data.detail;
      } catch (err) { /* not JSON: keep the status line */ }
      throw new ApiError(response.status, code, message);
    }
    if (raw) return response;
    if (response.status === 204) return null;
    const text = await response.text();
    return text ? JSON.parse(text) : null;
  }

  // el("li", {class: "x", onclick: fn}, "text", childNode): text children become text nodes.
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key.startsWith("on") && typeof value === "function") node.addEventListener(key.slice(2), value);
      else if (key === "class") node.className = value;
      else if (key === "text") node.textContent = value;
      else node.setAttribute(key, value === true ? "" : String(value));
    }
    for (const child of children) {
      if (child === null || child === undefined) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function formatDate(value) {
    if (!value) return "";
    const date = new Date(value);
    if (Number.isNaN(date.getTime())) return String(value);
    return date.toLocaleString(document.documentElement.lang, { dateStyle: "short", timeStyle: "short" });
  }

  async function loadMe() {
    const me = await api("GET", "/api/v1/me");
    const who = document.getElementById("whoami");
    if (who) who.textContent = me.name;
    const adminLink = document.getElementById("admin-link");
    if (adminLink && me.is_admin) adminLink.hidden = false;
    return me;
  }

  document.addEventListener("DOMContentLoaded", () => {
    const logout = document.getElementById("logout");
    if (logout) {
      logout.addEventListener("click", async () => {
        try { await api("POST", "/api/v1/auth/logout", undefined, { redirectOn401: false }); } catch (err) { /* gone already */ }
        window.location.assign("/login");
      });
    }
  });

  window.sourcier = { T, api, el, cookie, formatDate, loadMe, ApiError };
})();
