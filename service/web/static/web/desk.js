/* Claimdesk desk: what every page's script shares (the CSRF header, JSON calls, problem+json field errors). */
"use strict";

window.Desk = (function () {
  const csrf = document.querySelector('meta[name="csrf-token"]').content;

  /* One JSON call to the API with the session cookie; cookie-authenticated writes must carry the CSRF header. */
  async function api(method, path, body, headers) {
    const init = { method, credentials: "same-origin", headers: { Accept: "application/json", ...(headers || {}) } };
    if (method !== "GET") init.headers["X-CSRF-Token"] = csrf;
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(path, init);
    } catch (err) {
      return { ok: false, status: 0, data: { detail: "The server could not be reached. Check the connection and try again." } };
    }
    let data = null;
    if (response.status !== 204) {
      try { data = await response.json(); } catch (err) { data = null; }
    }
    return { ok: response.ok, status: response.status, data: data || {}, etag: response.headers.get("ETag") };
  }

  /* problem+json `errors` as {"field.sub.0": "message"}; webargs nests them under the location ("json"). */
  function fieldErrors(problem) {
    const out = {};
    let errors = (problem && problem.errors) || {};
    if (errors.json && typeof errors.json === "object") errors = errors.json;
    (function walk(value, path) {
      if (Array.isArray(value) && value.every((v) => typeof v === "string")) {
        out[path] = value.join(" ");
      } else if (Array.isArray(value)) {
        value.forEach((v, i) => walk(v, path ? path + "." + i : String(i)));
      } else if (value && typeof value === "object") {
        Object.keys(value).forEach((k) => walk(value[k], k === "_schema" ? path : (path ? path + "." + k : k)));
      } else if (value !== undefined && value !== null) {
        out[path] = String(value);
      }
    })(errors, "");
    return out;
  }

  /* Show (or clear, with an empty message) an error paragraph and mark its input invalid. */
  function setError(errorEl, message, input) {
    if (!errorEl) return;
    errorEl.textContent = message || "";
    errorEl.hidden = !message;
    if (input) {
      if (message) input.setAttribute("aria-invalid", "true");
      else input.removeAttribute("aria-invalid");
    }
  }

  /* Bidirectional controls, which would let an article or a note reorder what the reviewer reads. */
  const CONTROLS = {
    "\u202a": "LRE", "\u202b": "RLE", "\u202c": "PDF", "\u202d": "LRO", "\u202e": "RLO",
    "\u2066": "LRI", "\u2067": "RLI", "\u2068": "FSI", "\u2069": "PDI",
    "\u200e": "LRM", "\u200f": "RLM", "\u061c": "ALM",
  };
  const CONTROL = /[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]/g;

  /* User text as the server renders it (service/web/bidi.py): in a <bdi>, each control a visible mark. */
  function shown(text) {
    const value = String(text ?? "");
    const bdi = document.createElement("bdi");
    let last = 0;
    for (const match of value.matchAll(CONTROL)) {
      const mark = document.createElement("span");
      mark.className = "bidi-control";
      mark.title = "U+" + match[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, "0");
      mark.textContent = CONTROLS[match[0]];
      bdi.append(value.slice(last, match.index), mark);
      last = match.index + 1;
    }
    bdi.append(value.slice(last));
    return bdi;
  }

  return { api, fieldErrors, setError, shown };
})();
