// Rating view: shows the written anchor of the chosen step at once (the server confirms the save via htmx),
// and offers keyboard shortcuts: 1–5 contribution, Shift+1–5 or the keys below effort, N/P next/previous.
(function () {
  "use strict";

  function showAnchor(input) {
    const line = document.querySelector('[data-anchor-for="' + input.name + '"]');
    if (!line) return;
    line.querySelectorAll("[data-step]").forEach((span) => { span.hidden = span.dataset.step !== input.value; });
  }

  document.addEventListener("change", (event) => {
    if (event.target.matches && event.target.matches(".prio-tap-input")) showAnchor(event.target);
  });

  function choose(name, value) {
    const input = document.getElementById(name + "-" + value);
    if (!input) return;
    input.checked = true;
    input.focus();
    input.dispatchEvent(new Event("change", { bubbles: true }));
  }

  const EFFORT_KEYS = { q: 1, w: 2, e: 3, r: 4, t: 5 };
  document.addEventListener("keydown", (event) => {
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    const tag = (event.target.tagName || "").toLowerCase();
    if (tag === "textarea" || tag === "select" || (tag === "input" && event.target.type !== "radio")) return;
    const key = event.key.toLowerCase();
    if (/^[1-5]$/.test(event.key)) { event.preventDefault(); choose("contribution", event.key); return; }
    if (EFFORT_KEYS[key]) { event.preventDefault(); choose("effort", EFFORT_KEYS[key]); return; }
    if (key === "n" || key === "p") {
      const link = document.querySelector(key === "n" ? "[data-rate-next]" : "[data-rate-prev]");
      if (link) { event.preventDefault(); window.location.href = link.href; }
    }
  });
})();
