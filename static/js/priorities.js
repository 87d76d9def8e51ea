// Priority matrix: renders the plotly figure from its JSON data block, opens an initiative on click, checks for new
// ratings through the site's one poller and re-renders with Plotly.react. (data-confirm buttons: okr/site.js.)
import { loadPlotly } from "./okr/plotly.js";
import { fetchChanged, knownVersion, poll as everyFewSeconds } from "./okr/poller.js";

{
  const CONFIG = { displaylogo: false, responsive: true, modeBarButtonsToRemove: ["select2d", "lasso2d", "autoScale2d"] };

  async function renderFigure(chart, figure, first) {
    if (!chart || !figure) return;
    try {
      await loadPlotly();
    } catch (error) {
      return;
    }
    const draw = first ? window.Plotly.newPlot : window.Plotly.react;
    draw(chart, figure.data || [], figure.layout || {}, CONFIG).then(() => {
      if (first) {
        chart.on("plotly_click", (event) => {
          const point = event && event.points && event.points[0];
          const url = point && point.customdata && point.customdata[1];
          if (url) window.location.href = url;
        });
      }
      chart.dataset.rendered = String(Number(chart.dataset.rendered || 0) + 1);
    });
  }

  function swapPanel(html) {
    const panel = document.getElementById("priority-panel");
    if (!panel) return;
    const focused = document.activeElement;
    let restore = null;
    if (focused && panel.contains(focused)) {
      const item = focused.closest("[data-initiative]");
      restore = { item: item && item.dataset.initiative, value: focused.value, tag: focused.tagName };
    }
    panel.innerHTML = html;
    if (window.htmx) window.htmx.process(panel);
    if (restore && restore.item) {
      const item = panel.querySelector('[data-initiative="' + restore.item + '"]');
      const target = item && (item.querySelector(restore.tag + '[value="' + restore.value + '"]') || item.querySelector("a"));
      if (target) target.focus();
    }
  }

  function initMatrix(root) {
    const chart = document.getElementById("priority-chart");
    const data = document.getElementById("priority-figure");
    if (chart && data) renderFigure(chart, JSON.parse(data.textContent), true);

    let signature = root.dataset.signature;
    knownVersion(root.dataset.liveUrl, root.dataset.liveEtag);
    let busy = false;
    async function poll() {
      if (busy || document.hidden) return;
      busy = true;
      try {
        // a conditional GET through the site poller: null is a 304 (nothing changed since the last answer)
        const response = await fetchChanged(root.dataset.liveUrl, { headers: { Accept: "application/json" } });
        if (response === null) {
          root.classList.remove("is-offline");
          return;
        }
        if (response.status === 200) {
          const payload = await response.json();
          signature = payload.signature;
          root.dataset.signature = signature;
          swapPanel(payload.panel);
          renderFigure(chart, payload.figure, false);
          const notice = document.getElementById("priority-chart-notice");
          if (notice && payload.notice !== undefined) notice.innerHTML = payload.notice;
        }
        root.classList.toggle("is-offline", !response.ok);
      } catch (error) {
        root.classList.add("is-offline");
      } finally {
        busy = false;
      }
    }
    everyFewSeconds(poll, 2000);
    document.addEventListener("visibilitychange", () => { if (!document.hidden) poll(); });
    document.body.addEventListener("priorities:changed", poll);
  }

  {
    document.querySelectorAll("form[data-autosubmit]").forEach((form) => {
      const button = form.querySelector("[data-autosubmit-button]");
      if (button) button.classList.add("sr-only");
      form.querySelectorAll("select").forEach((select) => select.addEventListener("change", () => form.submit()));
    });
    const root = document.querySelector("[data-priorities]");
    if (root) initMatrix(root);
  }
}
