/* The queue's "new article" form: post it to the API, follow flagging, then open the article. */
"use strict";

(function () {
  const form = document.getElementById("new-article");
  if (!form) return;
  const status = document.getElementById("new-status");
  const progress = document.getElementById("new-progress");
  const submit = form.querySelector('button[type="submit"]');
  const STEPS = { queued: 1, flagging: 2, flagged: 3, failed: 3 };
  // The flag kinds, from the server's registry (base.html).
  const KINDS = JSON.parse(document.getElementById("flag-kinds").textContent);
  const plurals = KINDS.map((k) => k.plural);
  const listed = plurals.length > 1 ? `${plurals.slice(0, -1).join(", ")} and ${plurals[plurals.length - 1]}` : plurals.join("");
  const LABELS = { queued: "Queued: waiting for a worker…", flagging: `Flagging ${listed}…` };
  // Which input shows an error about each API field.
  const FIELDS = { title: "new-title", url: "new-url", outlet: "new-outlet", body: "new-text", html: "new-text" };

  function clearErrors() {
    Object.values(FIELDS).forEach((id) => Desk.setError(document.getElementById(id + "-error"), "", document.getElementById(id)));
    Desk.setError(document.getElementById("new-form-error"), "");
  }

  function showProgress(article) {
    progress.hidden = false;
    progress.value = STEPS[article.status] || 0;
    status.textContent = LABELS[article.status] || "";
  }

  async function follow(article) {
    const started = Date.now();
    for (;;) {
      showProgress(article);
      if (article.status === "flagged") {
        const counts = article.flag_counts || {};
        const found = KINDS.map((k) => `${counts[k.name] || 0} ${k.plural}`).join(", ");
        status.textContent = `Flagged: ${found}. Opening the article…`;
        window.location.assign(`/articles/${article.id}`);
        return;
      }
      if (article.status === "failed") {
        status.replaceChildren("Flagging failed: ", Desk.shown(article.status_reason || "no reason given"),
          ". The article is stored; you can still open it.");
        submit.disabled = false;
        return;
      }
      // Past two minutes a worker is likely down; the article is safe and the sweeper will retry it.
      if (Date.now() - started > 120000) {
        status.textContent = "Still waiting for a worker. The article is stored; it will be flagged when one is free.";
        submit.disabled = false;
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
      const res = await Desk.api("GET", `/api/v1/articles/${article.id}`);
      if (res.ok) article = res.data;
    }
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors();
    const data = new FormData(form);
    const text = data.get("text");
    if (!text.trim()) {
      Desk.setError(document.getElementById("new-text-error"), "Paste the article's text or HTML.", document.getElementById("new-text"));
      document.getElementById("new-text").focus();
      return;
    }
    const payload = { [data.get("format") === "html" ? "html" : "body"]: text };
    ["title", "url", "outlet"].forEach((name) => {
      const value = data.get(name).trim();
      if (value) payload[name] = value;
    });
    submit.disabled = true;
    status.textContent = "Sending…";
    const res = await Desk.api("POST", "/api/v1/articles", payload);
    if (res.ok) {
      if (res.status === 200) status.textContent = "This article was already stored; opening it…";
      await follow(res.data);
      return;
    }
    submit.disabled = false;
    status.textContent = "";
    const errors = Desk.fieldErrors(res.data);
    let first = null;
    Object.entries(errors).forEach(([field, message]) => {
      const id = FIELDS[field.split(".")[0]];
      if (id) {
        Desk.setError(document.getElementById(id + "-error"), message, document.getElementById(id));
        first = first || document.getElementById(id);
      }
    });
    if (!first) Desk.setError(document.getElementById("new-form-error"), res.data.detail || `The article was not saved (HTTP ${res.status}).`);
    else first.focus();
  });
})();
