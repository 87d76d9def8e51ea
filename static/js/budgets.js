// Budgets: render plotly figures from JSON data blocks (plotly.js through the one loader: each chart when it is about
// to scroll into view, one chart per task, every chart before printing), keyboard use of the key-result picker,
// initiative suggestions, auto-submitting selects. No inline scripts (CSP).
import { drawAll, drawPendingNow, drawWhenSeen } from "./okr/plotly.js";

(function () {
  "use strict";

  function renderCharts(root) {
    drawWhenSeen(root.querySelectorAll("[data-chart]"), draw);
  }

  // On paper every chart is there, scrolled to or not.
  function beforePrint() {
    if (!drawPendingNow()) drawAll().catch(() => {});
  }
  window.addEventListener("beforeprint", beforePrint);
  window.matchMedia("print").addEventListener("change", (event) => event.matches && beforePrint());

  function draw(el) {
    const block = document.getElementById(el.dataset.chart);
    if (!block || el.dataset.rendered) return;
    const fig = JSON.parse(block.textContent);
    el.dataset.rendered = "1";
    // no mode bar: its buttons would be controls nested in the role="img" container (axe: nested-interactive)
    window.Plotly.newPlot(el, fig.data, fig.layout || {}, { displaylogo: false, displayModeBar: false, responsive: true });
  }

  // Arrow keys move between the search box and the results of a key-result picker; Escape returns to the box.
  document.addEventListener("keydown", (event) => {
    const picker = event.target.closest && event.target.closest("[data-kr-picker]");
    if (!picker) return;
    const search = picker.querySelector("input[type=search]");
    const options = Array.from(picker.querySelectorAll("[data-kr-option]"));
    const index = options.indexOf(event.target);
    if (event.key === "ArrowDown" && options.length) {
      event.preventDefault();
      options[Math.min(index + 1, options.length - 1)].focus();
    } else if (event.key === "ArrowUp" && index >= 0) {
      event.preventDefault();
      (index === 0 ? search : options[index - 1]).focus();
    } else if (event.key === "Escape") {
      search.focus();
    }
  });

  // Enter in the search box must not submit the bind form without a chosen key result.
  document.addEventListener("keypress", (event) => {
    if (event.key === "Enter" && event.target.matches && event.target.matches("[data-kr-picker] input[type=search]")) {
      event.preventDefault();
      const first = event.target.closest("[data-kr-picker]").querySelector("[data-kr-option]");
      if (first) first.focus();
    }
  });

  // Initiative suggestions: one click sets the key result select.
  document.addEventListener("click", (event) => {
    const button = event.target.closest && event.target.closest("[data-pick-kr]");
    if (!button) return;
    const select = document.getElementById("id_key_result");
    if (select) {
      select.value = button.dataset.pickKr;
      select.focus();
    }
  });

  document.addEventListener("DOMContentLoaded", () => {
    renderCharts(document);
    document.querySelectorAll("form[data-autosubmit]").forEach((form) => {
      const button = form.querySelector("[data-autosubmit-button]");
      if (button) button.classList.add("sr-only");
      form.querySelectorAll("select").forEach((s) => s.addEventListener("change", () => form.submit()));
    });
  });
  document.addEventListener("htmx:afterSettle", (event) => renderCharts(event.target));
})();
