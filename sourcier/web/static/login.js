// Sign-in: posts the form to the API as JSON; the API sets the session and CSRF cookies.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const { T, api } = window.sourcier;
  const form = document.getElementById("login-form");
  const error = document.getElementById("login-error");
  const button = form.querySelector("button[type=submit]");
  document.getElementById("username").focus();

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.hidden = true;
    const username = form.username.value.trim(), password = form.password.value;
    if (!username || !password) { error.textContent = T.login_failed; error.hidden = false; return; }
    button.disabled = true;
    button.textContent = T.signing_in;
    try {
      await api("POST", "/api/v1/auth/login", { username, password }, { redirectOn401: false });
      window.location.assign(form.dataset.next || "/");
    } catch (err) {
      error.textContent = err.status === 429 ? T.login_rate_limited : (err.status === 401 ? T.login_failed : err.message);
      error.hidden = false;
      form.password.value = "";
      form.password.focus();
    } finally {
      button.disabled = false;
      button.textContent = T.sign_in;
    }
  });
});
