// layerwise: small hand-written enhancements. Every page works without this file; it adds keys, the live
// countdown, pan and zoom on the map, and a draft of the note editor kept in the browser until it is saved.
"use strict";

function typing(event) {
  const t = event.target;
  return t && (t.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(t.tagName));
}

// Triage lists (inbox, week): j/k move, keys on a row submit its form with that data-key.
function setupTriage() {
  const rows = Array.from(document.querySelectorAll("li.row"));
  if (!rows.length) return;
  let current = 0;
  const select = (i) => {
    current = Math.max(0, Math.min(rows.length - 1, i));
    rows.forEach((r, n) => r.classList.toggle("selected", n === current));
    rows[current].focus({ preventScroll: true });
    rows[current].scrollIntoView({ block: "nearest" });
  };
  select(0);
  document.addEventListener("keydown", (event) => {
    if (typing(event) || event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key === "j") { select(current + 1); event.preventDefault(); return; }
    if (event.key === "k") { select(current - 1); event.preventDefault(); return; }
    if (event.key === "Enter" || event.key === "o") {
      const link = rows[current].querySelector("a.title");
      if (link) { link.click(); event.preventDefault(); }
      return;
    }
    const key = event.key === "=" ? "+" : event.key;
    const form = rows[current].querySelector(`form[data-key="${CSS.escape(key)}"]`);
    if (!form) return;
    event.preventDefault();
    if (form.dataset.inline === undefined) { form.requestSubmit(); return; }
    inline(form, rows[current]);
  });

  // Inbox rows are triaged in place: the action is posted, the row leaves (or is marked), the next is selected,
  // with no page load per key. Anything unexpected falls back to the plain form post, which shows the error.
  async function inline(form, row) {
    const token = document.querySelector('meta[name="csrf-token"]').content;
    let response;
    try {
      response = await fetch(form.action, {
        method: "POST", body: new URLSearchParams(new FormData(form)),
        headers: { "X-CSRF-Token": token, "X-Requested-With": "layerwise", Accept: "application/json" },
      });
    } catch (error) { form.submit(); return; }
    if (!response.ok) { form.submit(); return; }
    const { action } = await response.json();
    if (action === "like" || action === "dislike") {
      row.dataset.rated = action;
      return;
    }
    row.classList.add("gone");
    row.dataset.done = action;
    const index = rows.indexOf(row);
    rows.splice(index, 1);
    row.remove();
    if (rows.length) select(Math.min(index, rows.length - 1));
    else window.location.reload();
  }
}

// "/" focuses the search box on pages that have one.
function setupSearchKey() {
  const box = document.getElementById("search");
  if (!box) return;
  document.addEventListener("keydown", (event) => {
    if (event.key === "/" && !typing(event)) { event.preventDefault(); box.focus(); box.select(); }
  });
}

// Study timer: counts down locally and re-reads the server's clock, so a reload or another tab agrees.
function setupTimer() {
  const timer = document.getElementById("timer");
  if (!timer) return;
  const output = timer.querySelector(".countdown");
  const bar = timer.querySelector("progress");
  const up = timer.querySelector(".timeup");
  let remaining = parseFloat(timer.dataset.remaining);
  let planned = parseFloat(timer.dataset.planned);
  let running = timer.dataset.running === "true";
  let last = performance.now();
  const show = () => {
    const left = Math.max(0, Math.round(remaining));
    output.textContent = `${Math.floor(left / 60)}:${String(left % 60).padStart(2, "0")}`;
    bar.max = planned;
    bar.value = Math.min(planned, planned - remaining);
    document.title = `${output.textContent} · ${document.title.split(" · ").slice(1).join(" · ")}`;
    if (remaining <= 0 && up.hidden) {
      up.hidden = false;
      timer.classList.add("done");
      const choice = document.querySelector(".forced-choice");
      if (choice) choice.scrollIntoView({ block: "center" });
    }
  };
  setInterval(() => {
    const now = performance.now();
    if (running) remaining -= (now - last) / 1000;
    last = now;
    show();
  }, 250);
  const sync = async () => {
    try {
      const response = await fetch(timer.dataset.clock, { headers: { Accept: "application/json" } });
      if (!response.ok) return;
      const clock = await response.json();
      remaining = clock.remaining; planned = clock.planned; running = clock.running;
      last = performance.now();
    } catch (error) { /* the server is away: keep counting locally */ }
  };
  setInterval(sync, 15000);
  document.addEventListener("visibilitychange", () => { if (!document.hidden) sync(); });
  show();
}

// Note editor: a draft of unsaved text survives a reload or a stopped server; saving clears it.
function setupEditor() {
  document.querySelectorAll("form.editor").forEach((form) => {
    const area = form.querySelector("textarea");
    const status = form.querySelector(".draft-status");
    const key = `layerwise-draft:${form.dataset.draft}`;
    let saved = null;
    try { saved = JSON.parse(localStorage.getItem(key) || "null"); } catch (error) { saved = null; }
    if (saved && saved.text !== area.value) {
      if (saved.version === form.dataset.version) {
        area.value = saved.text;
        status.textContent = "restored your unsaved draft";
      } else {
        status.textContent = "an unsaved draft from before the file changed is kept in this browser: ";
        const use = document.createElement("button");
        use.type = "button";
        use.textContent = "use the draft";
        use.addEventListener("click", () => { area.value = saved.text; use.remove(); });
        status.appendChild(use);
      }
    }
    area.addEventListener("input", () => {
      localStorage.setItem(key, JSON.stringify({ text: area.value, version: form.dataset.version }));
      status.textContent = "unsaved";
    });
    form.addEventListener("submit", () => { localStorage.removeItem(key); });
    area.addEventListener("keydown", (event) => {
      if ((event.ctrlKey || event.metaKey) && event.key === "s") { event.preventDefault(); form.requestSubmit(); }
    });
  });
}

// Review: Space reveals the answer, 1-4 grade once it is shown.
function setupReview() {
  const answer = document.getElementById("answer");
  if (!answer) return;
  document.addEventListener("keydown", (event) => {
    if (typing(event)) return;
    if (event.key === " ") { event.preventDefault(); answer.open = true; return; }
    const form = document.querySelector(`.grades form[data-key="${CSS.escape(event.key)}"]`);
    if (form && answer.open) { event.preventDefault(); form.requestSubmit(); }
  });
}

// Concept map: drag to pan, wheel or +/- to zoom, 0 to reset, by moving the SVG viewBox.
function setupMap() {
  const svg = document.getElementById("map");
  if (!svg) return;
  const initial = svg.dataset.box.split(" ").map(Number);
  let box = initial.slice();
  const apply = () => svg.setAttribute("viewBox", box.join(" "));
  const zoom = (factor, cx, cy) => {
    const width = Math.min(initial[2] * 4, Math.max(initial[2] / 8, box[2] * factor));
    const scale = width / box[2];
    box = [cx - (cx - box[0]) * scale, cy - (cy - box[1]) * scale, width, box[3] * scale];
    apply();
  };
  const point = (event) => {
    const rect = svg.getBoundingClientRect();
    return [box[0] + (event.clientX - rect.left) / rect.width * box[2],
            box[1] + (event.clientY - rect.top) / rect.height * box[3]];
  };
  svg.addEventListener("wheel", (event) => {
    event.preventDefault();
    const [x, y] = point(event);
    zoom(event.deltaY > 0 ? 1.15 : 1 / 1.15, x, y);
  }, { passive: false });
  let drag = null;
  svg.addEventListener("pointerdown", (event) => {
    if (event.target.closest("a")) return;  // a click on a concept opens it
    drag = { x: event.clientX, y: event.clientY, box: box.slice() };
    svg.setPointerCapture(event.pointerId);
    svg.classList.add("dragging");
  });
  svg.addEventListener("pointermove", (event) => {
    if (!drag) return;
    const rect = svg.getBoundingClientRect();
    box[0] = drag.box[0] - (event.clientX - drag.x) / rect.width * box[2];
    box[1] = drag.box[1] - (event.clientY - drag.y) / rect.height * box[3];
    apply();
  });
  const stop = () => { drag = null; svg.classList.remove("dragging"); };
  svg.addEventListener("pointerup", stop);
  svg.addEventListener("pointercancel", stop);
  document.addEventListener("keydown", (event) => {
    if (typing(event)) return;
    const cx = box[0] + box[2] / 2, cy = box[1] + box[3] / 2;
    if (event.key === "+" || event.key === "=") zoom(1 / 1.25, cx, cy);
    else if (event.key === "-") zoom(1.25, cx, cy);
    else if (event.key === "0") { box = initial.slice(); apply(); }
  });
}

document.addEventListener("DOMContentLoaded", () => {
  setupTriage();
  setupSearchKey();
  setupTimer();
  setupEditor();
  setupReview();
  setupMap();
});
