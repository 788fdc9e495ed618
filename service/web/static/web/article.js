/* The article page: flag toggles and tooltips, choosing claims, the annotation form, conflicts, history, keys. */
"use strict";

(function () {
  const data = JSON.parse(document.getElementById("desk-data").textContent);
  const me = data.user;
  const bodyEl = document.getElementById("article-body");
  const list = document.getElementById("claims");
  const items = Array.from(list.querySelectorAll(".claim-item"));
  const panel = document.getElementById("annotation-panel");
  const form = document.getElementById("annotation-form");
  const note = document.getElementById("note");
  const rows = document.getElementById("evidence-rows");
  const rowTemplate = document.getElementById("evidence-row-template");
  const saveStatus = document.getElementById("save-status");
  const historyToggle = document.getElementById("history-toggle");
  const historyPanel = document.getElementById("history-panel");
  const conflict = document.getElementById("conflict-dialog");
  const shortcuts = document.getElementById("shortcuts-dialog");
  const tip = document.getElementById("flag-tip");

  const annotations = data.annotations; // claim id -> annotations (oldest first), kept in step with saves
  const drafts = {}; // claim id -> unsaved form values, so moving between claims loses nothing
  let current = null; // the open claim's id
  let dirty = false;
  let saving = false;
  let pendingConflict = null;

  /* ---------- flags: per-kind toggles and the tooltip ---------- */

  document.querySelectorAll(".kind-toggle").forEach((box) => {
    box.addEventListener("change", () => {
      bodyEl.classList.toggle("hide-" + box.value, !box.checked);
      // A hidden kind is no tab stop either.
      bodyEl.querySelectorAll(`mark[data-kind="${CSS.escape(box.value)}"][aria-describedby]`).forEach((m) => {
        m.tabIndex = box.checked ? 0 : -1;
      });
    });
  });

  function showTip(mark) {
    const lines = [];
    for (let el = mark; el && el !== bodyEl; el = el.parentElement) {
      if (el.matches("mark.flag") && !bodyEl.classList.contains("hide-" + el.dataset.kind)) {
        const noteEl = document.getElementById("fd-" + el.dataset.flag);
        if (noteEl && !lines.some((line) => line.textContent === noteEl.textContent)) lines.push(noteEl);
      }
    }
    if (!lines.length) return hideTip();
    tip.replaceChildren(...lines.map((noteEl) => {
      const p = document.createElement("p");
      p.dir = "auto";
      p.append(...noteEl.cloneNode(true).childNodes);
      return p;
    }));
    tip.hidden = false;
    const rect = mark.getBoundingClientRect();
    const width = Math.min(360, document.documentElement.clientWidth - 16);
    tip.style.maxWidth = width + "px";
    const left = Math.max(8, Math.min(rect.left + window.scrollX, window.scrollX + document.documentElement.clientWidth - width - 8));
    tip.style.left = left + "px";
    tip.style.top = rect.bottom + window.scrollY + 6 + "px";
  }

  function hideTip() {
    tip.hidden = true;
  }

  bodyEl.addEventListener("mouseover", (e) => {
    const mark = e.target.closest("mark.flag");
    if (mark) showTip(mark);
  });
  bodyEl.addEventListener("mouseleave", hideTip);
  bodyEl.addEventListener("focusin", (e) => {
    if (e.target.matches("mark.flag")) showTip(e.target);
  });
  bodyEl.addEventListener("focusout", hideTip);

  /* Clicking a sentence in the text opens its claim. */
  bodyEl.addEventListener("click", (e) => {
    const span = e.target.closest(".claim");
    if (span) select(span.dataset.claim, { focus: false, scrollBody: false });
  });

  /* ---------- the annotation form ---------- */

  const etagOf = (a) => `"a${a.id}.${a.version}"`;
  const position = (claimId) => document.getElementById("claim-" + claimId).dataset.position;

  /* The annotation this user edits on a claim: their own newest, or for an editor anyone's newest. */
  function editable(claimId) {
    const anns = annotations[claimId] || [];
    for (let i = anns.length - 1; i >= 0; i--) {
      if (me.editor || anns[i].user_id === me.id) return anns[i];
    }
    return null;
  }

  function addRow(value) {
    const row = rowTemplate.content.firstElementChild.cloneNode(true);
    row.querySelector('[name="evidence-url"]').value = (value && value.url) || "";
    row.querySelector('[name="evidence-title"]').value = (value && value.title) || "";
    rows.appendChild(row);
    return row;
  }

  rows.addEventListener("click", (e) => {
    const button = e.target.closest(".remove-evidence");
    if (!button) return;
    const row = button.closest(".evidence-row");
    const next = row.nextElementSibling || row.previousElementSibling;
    row.remove();
    dirty = true;
    // Focus must not fall back to the top of the page when its element disappears.
    (next ? next.querySelector("input") : document.getElementById("add-evidence")).focus();
  });
  document.getElementById("add-evidence").addEventListener("click", () => {
    addRow().querySelector("input").focus();
    dirty = true;
  });
  form.addEventListener("input", () => { dirty = true; });

  function readForm() {
    const checked = form.querySelector('input[name="verdict"]:checked');
    const evidence = Array.from(rows.children).map((row) => ({
      url: row.querySelector('[name="evidence-url"]').value.trim(),
      title: row.querySelector('[name="evidence-title"]').value.trim() || null,
    })).filter((ev) => ev.url || ev.title);
    return { verdict: (checked && checked.value) || null, note: note.value.trim() ? note.value : null, evidence };
  }

  function fillForm(values) {
    form.querySelectorAll('input[name="verdict"]').forEach((r) => { r.checked = r.value === (values.verdict || ""); });
    note.value = values.note || "";
    rows.replaceChildren();
    (values.evidence || []).forEach(addRow);
  }

  function clearErrors() {
    form.querySelectorAll(".field-error").forEach((el) => Desk.setError(el, ""));
    form.querySelectorAll("[aria-invalid]").forEach((el) => el.removeAttribute("aria-invalid"));
  }

  function describeOwner(claimId) {
    const owner = document.getElementById("annotation-owner");
    const ann = editable(claimId);
    if (!ann) owner.textContent = "Saving adds your annotation to this claim.";
    else if (ann.user_id === me.id) owner.textContent = `Your annotation (version ${ann.version}).`;
    else owner.textContent = `Editing ${ann.reviewer}'s annotation (version ${ann.version}) as an editor.`;
    const others = (annotations[claimId] || []).filter((a) => a !== ann);
    const box = document.getElementById("other-annotations");
    box.hidden = !others.length;
    document.getElementById("other-list").replaceChildren(...others.map((a) => {
      const li = document.createElement("li");
      li.append(`${a.reviewer}: ${a.verdict || "no verdict"}`, ...(a.note ? [" — ", Desk.shown(a.note)] : []));
      return li;
    }));
  }

  /* The badge: the claim's current verdict as the server decides it (GET /claims/{id}). */
  async function updateBadge(claimId) {
    const res = await Desk.api("GET", `/api/v1/claims/${claimId}`);
    if (!res.ok) return;
    const badge = document.querySelector(`#claim-${claimId} .badge`);
    const verdict = res.data.current_verdict;
    const annotated = res.data.annotations.some((a) => !a.deleted_at);
    badge.className = "badge verdict verdict-" + (verdict || (annotated ? "none" : "unreviewed"));
    badge.textContent = verdict || (annotated ? "note only" : "no verdict");
  }

  function markDraft(claimId, on) {
    const mark = document.querySelector(`#claim-${claimId} .draft-mark`);
    if (mark) mark.hidden = !on;
  }

  function stashDraft() {
    if (current === null) return;
    if (dirty) drafts[current] = readForm();
    markDraft(current, Boolean(drafts[current]));
  }

  function select(claimId, opts) {
    claimId = String(claimId);
    const options = { focus: true, scrollBody: true, ...(opts || {}) };
    const item = document.getElementById("claim-" + claimId);
    if (!item) return;
    if (current === claimId) {
      if (options.focus) item.querySelector(".claim-pick").focus();
      return;
    }
    stashDraft();
    if (current !== null) {
      const old = document.getElementById("claim-" + current);
      old.classList.remove("is-current");
      old.querySelector(".claim-pick").setAttribute("aria-expanded", "false");
      const oldSpan = document.getElementById("cb-" + current);
      if (oldSpan) oldSpan.classList.remove("is-current");
    }
    current = claimId;
    item.classList.add("is-current");
    const pick = item.querySelector(".claim-pick");
    pick.setAttribute("aria-expanded", "true");
    item.appendChild(panel);
    panel.hidden = false;
    clearErrors();
    const ann = editable(claimId);
    fillForm(drafts[claimId] || ann || {});
    dirty = Boolean(drafts[claimId]);
    describeOwner(claimId);
    closeHistory();
    const span = document.getElementById("cb-" + claimId);
    if (span) {
      span.classList.add("is-current");
      if (options.scrollBody) span.scrollIntoView({ block: "nearest" });
    }
    item.scrollIntoView({ block: "nearest" });
    if (options.focus) pick.focus();
  }

  function collapse() {
    if (current === null) return;
    stashDraft();
    const item = document.getElementById("claim-" + current);
    item.classList.remove("is-current");
    item.querySelector(".claim-pick").setAttribute("aria-expanded", "false");
    const span = document.getElementById("cb-" + current);
    if (span) span.classList.remove("is-current");
    panel.hidden = true;
    current = null;
    dirty = false;
  }

  list.addEventListener("click", (e) => {
    const pick = e.target.closest(".claim-pick");
    if (!pick) return;
    const claimId = pick.closest(".claim-item").dataset.claim;
    if (claimId === current) collapse();
    else select(claimId);
  });

  function say(text) {
    saveStatus.textContent = text;
  }

  function showProblem(res) {
    const errors = Desk.fieldErrors(res.data);
    let first = null;
    let shown = false;
    Object.entries(errors).forEach(([field, message]) => {
      const parts = field.split(".");
      let errorEl = null;
      let input = null;
      if (parts[0] === "verdict") {
        errorEl = document.getElementById("verdict-error");
        input = form.querySelector('input[name="verdict"]');
      } else if (parts[0] === "note") {
        errorEl = document.getElementById("note-error");
        input = note;
      } else if (parts[0] === "evidence" && parts.length > 1) {
        const row = rows.children[Number(parts[1])];
        if (row) {
          errorEl = row.querySelector(".field-error");
          input = row.querySelector(parts[2] === "title" ? '[name="evidence-title"]' : '[name="evidence-url"]');
          message = (parts[2] === "title" ? "Title: " : "URL: ") + message;
        }
      } else if (parts[0] === "evidence") {
        errorEl = document.getElementById("evidence-error");
      }
      if (!errorEl) return;
      Desk.setError(errorEl, message, input);
      if (input && !errorEl.id) {
        errorEl.id = "ev-error-" + Math.random().toString(36).slice(2);
        input.setAttribute("aria-describedby", errorEl.id);
      }
      first = first || input;
      shown = true;
    });
    if (!shown) Desk.setError(document.getElementById("form-error"), res.data.detail || `Not saved (HTTP ${res.status}).`);
    if (first) first.focus();
  }

  function remember(claimId, saved) {
    const anns = annotations[claimId] || (annotations[claimId] = []);
    const at = anns.findIndex((a) => a.id === saved.id);
    if (at >= 0) anns[at] = saved;
    else anns.push(saved);
  }

  async function save(options) {
    if (current === null || saving) return;
    const claimId = current;
    const values = readForm();
    const ann = editable(claimId);
    clearErrors();
    saving = true;
    say(`Saving claim ${position(claimId)}…`);
    const res = ann
      ? await Desk.api("PATCH", `/api/v1/annotations/${ann.id}`, values, { "If-Match": (options && options.etag) || etagOf(ann) })
      : await Desk.api("POST", `/api/v1/claims/${claimId}/annotations`, values);
    saving = false;
    if (res.ok) {
      remember(claimId, res.data);
      delete drafts[claimId];
      markDraft(claimId, false);
      if (current === claimId) {
        dirty = false;
        describeOwner(claimId);
        if (!historyPanel.hidden) loadHistory(claimId);
      }
      await updateBadge(claimId);
      const time = new Date().toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
      say(`Saved claim ${position(claimId)}: ${res.data.verdict || "no verdict"} (at ${time}).`);
    } else if (res.status === 412 && res.data.current) {
      say(`Not saved: someone changed claim ${position(claimId)}'s annotation. Choose what to do.`);
      openConflict(claimId, res.data.current, res.etag, values);
    } else if (res.status === 404 && ann) {
      annotations[claimId] = (annotations[claimId] || []).filter((a) => a.id !== ann.id);
      describeOwner(claimId);
      say("That annotation was deleted meanwhile; saving again adds a new one.");
    } else {
      say(`Not saved: ${res.data.detail || "HTTP " + res.status}`);
      showProblem(res);
    }
  }

  form.addEventListener("submit", (e) => {
    e.preventDefault();
    save();
  });

  /* ---------- a 412: show theirs beside mine, then merge or overwrite deliberately ---------- */

  function describeInto(dl, values) {
    const rowsOut = [
      ["Verdict", values.verdict || "none"],
      ["Note", values.note || "none"],
      ["Evidence", (values.evidence || []).map((e) => e.title ? `${e.title} <${e.url}>` : e.url).join("\n") || "none"],
    ];
    dl.replaceChildren();
    rowsOut.forEach(([term, value]) => {
      const dt = document.createElement("dt");
      dt.textContent = term;
      const dd = document.createElement("dd");
      dd.append(Desk.shown(value));
      dl.append(dt, dd);
    });
  }

  function openConflict(claimId, theirs, etag, mine) {
    pendingConflict = { claimId, theirs, etag: etag || etagOf(theirs), mine };
    const when = theirs.updated_at ? new Date(theirs.updated_at).toLocaleString() : "recently";
    document.getElementById("conflict-intro").textContent =
      `Claim ${position(claimId)}: ${theirs.reviewer}'s annotation was saved again (version ${theirs.version}, ${when}) ` +
      "after you opened it. Your changes are not saved yet.";
    describeInto(document.getElementById("conflict-theirs"), theirs);
    describeInto(document.getElementById("conflict-mine"), mine);
    conflict.showModal();
    document.getElementById("conflict-merge").focus();
  }

  document.getElementById("conflict-merge").addEventListener("click", () => {
    const { claimId, theirs } = pendingConflict;
    conflict.close();
    remember(claimId, theirs);
    delete drafts[claimId];
    if (current === claimId) {
      fillForm(theirs);
      dirty = false;
      describeOwner(claimId);
    }
    updateBadge(claimId);
    say(`Loaded the saved version of claim ${position(claimId)} into the form; change it and save.`);
    note.focus();
  });
  document.getElementById("conflict-overwrite").addEventListener("click", () => {
    const { claimId, theirs, etag } = pendingConflict;
    conflict.close();
    remember(claimId, theirs);
    select(claimId, { focus: false });
    save({ etag });
  });
  document.getElementById("conflict-cancel").addEventListener("click", () => conflict.close());
  conflict.addEventListener("close", () => {
    if (current !== null) document.querySelector(`#claim-${current} .claim-pick`).focus();
  });

  /* ---------- the claim's history ---------- */

  function closeHistory() {
    historyPanel.hidden = true;
    historyToggle.setAttribute("aria-expanded", "false");
  }

  function summarise(entry) {
    const before = entry.before || {};
    const after = entry.after || {};
    if (entry.entity !== "annotation") return `review status ${before.review_status || "?"} → ${after.review_status || "?"}`;
    const parts = [];
    if (before.verdict !== after.verdict) parts.push(`verdict ${before.verdict || "none"} → ${after.verdict || "none"}`);
    if (before.note !== after.note) parts.push(after.note ? `note: “${after.note}”` : "note removed");
    if (JSON.stringify(before.evidence || []) !== JSON.stringify(after.evidence || [])) parts.push(`${(after.evidence || []).length} evidence link(s)`);
    return parts.join("; ") || "no visible change";
  }

  async function loadHistory(claimId) {
    const out = document.getElementById("history-list");
    out.replaceChildren();
    const loading = document.createElement("li");
    loading.textContent = "Loading…";
    out.appendChild(loading);
    const res = await Desk.api("GET", `/api/v1/claims/${claimId}/history`);
    if (current !== claimId) return;
    if (!res.ok) {
      loading.textContent = `Could not load the history: ${res.data.detail || "HTTP " + res.status}`;
      return;
    }
    if (!res.data.length) {
      loading.textContent = "No changes recorded yet.";
      return;
    }
    out.replaceChildren(...res.data.slice().reverse().map((entry) => {
      const li = document.createElement("li");
      const time = document.createElement("time");
      time.dateTime = entry.at;
      time.textContent = new Date(entry.at).toLocaleString();
      const who = document.createElement("strong");
      who.textContent = ` ${entry.username} `;
      li.append(time, who, Desk.shown(`${entry.action}: ${summarise(entry)}`));
      return li;
    }));
  }

  historyToggle.addEventListener("click", () => {
    if (historyPanel.hidden) {
      historyPanel.hidden = false;
      historyToggle.setAttribute("aria-expanded", "true");
      loadHistory(current);
    } else {
      closeHistory();
    }
  });

  /* ---------- the article's review status (editors) ---------- */

  const reviewForm = document.getElementById("review-form");
  if (reviewForm) {
    const select = document.getElementById("review-select");
    const said = document.getElementById("review-said");
    const error = document.getElementById("review-error");
    let review = data.review; // {status, etag}: what the server last said
    select.addEventListener("change", () => { said.textContent = ""; Desk.setError(error, "", select); });
    reviewForm.addEventListener("submit", async (e) => {
      e.preventDefault();
      const wanted = select.value;
      Desk.setError(error, "", select);
      said.textContent = "Saving…";
      const res = await Desk.api("PUT", `/api/v1/articles/${data.article_id}/review-status`, { status: wanted },
        { "If-Match": review.etag });
      said.textContent = "";
      if (res.ok) {
        review = { status: res.data.review_status, etag: res.etag };
        said.textContent = `Review status: ${review.status}.`;
      } else if (res.status === 412 && res.data.current) {
        // Someone else set it meanwhile: show theirs and let the editor choose again, knowingly.
        review = { status: res.data.current.review_status, etag: res.etag };
        select.value = review.status;
        Desk.setError(error, `Not saved: someone set it to "${review.status}" meanwhile. Choose again and press Set to change it.`, select);
      } else {
        const problems = Desk.fieldErrors(res.data);
        Desk.setError(error, `Not saved: ${problems.status || res.data.detail || "HTTP " + res.status}`, select);
      }
    });
  }

  /* ---------- keyboard ---------- */

  const openShortcuts = () => { if (!shortcuts.open) shortcuts.showModal(); };
  document.getElementById("shortcuts-open").addEventListener("click", openShortcuts);

  function typing(el) {
    if (!el) return false;
    if (el.isContentEditable || el.tagName === "TEXTAREA" || el.tagName === "SELECT") return true;
    return el.tagName === "INPUT" && !["radio", "checkbox", "button", "submit", "reset"].includes(el.type);
  }

  function move(step) {
    if (!items.length) return;
    const at = current === null ? -1 : items.findIndex((li) => li.dataset.claim === current);
    const next = at < 0 ? (step > 0 ? 0 : items.length - 1) : Math.min(items.length - 1, Math.max(0, at + step));
    select(items[next].dataset.claim);
  }

  document.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
      if (current !== null && !document.querySelector("dialog[open]")) {
        e.preventDefault();
        save();
      }
      return;
    }
    if (e.ctrlKey || e.metaKey || e.altKey || typing(e.target) || document.querySelector("dialog[open]")) return;
    if (e.key === "j" || e.key === "k") {
      e.preventDefault();
      move(e.key === "j" ? 1 : -1);
    } else if (e.key === "?") {
      e.preventDefault();
      openShortcuts();
    } else if (e.key === "e" && current !== null) {
      e.preventDefault();
      note.focus();
    } else if (/^[1-9]$/.test(e.key) && current !== null) {
      const verdict = data.verdicts[Number(e.key) - 1];
      if (verdict === undefined) return;
      e.preventDefault();
      const radio = form.querySelector(`input[name="verdict"][value="${CSS.escape(verdict)}"]`);
      radio.checked = true;
      dirty = true;
      say(`Verdict for claim ${position(current)}: ${verdict} (not saved yet).`);
    }
  });

  window.addEventListener("beforeunload", (e) => {
    if (dirty || Object.keys(drafts).length) e.preventDefault();
  });

  /* While workers are still flagging, wait for them and show the flags once they are there. */
  if (data.status === "queued" || data.status === "flagging") {
    const poll = async () => {
      const res = await Desk.api("GET", `/api/v1/articles/${data.article_id}`);
      if (res.ok && res.data.status !== data.status && !dirty && !Object.keys(drafts).length) window.location.reload();
      else setTimeout(poll, 1000);
    };
    setTimeout(poll, 1000);
  }
})();
