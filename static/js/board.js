// Board KPI page: draws the plotly figures that the server embeds as JSON data blocks (plotly.js through the one
// loader: each chart when it is about to scroll into view, one chart per task), re-draws them after htmx swaps
// (attribution model switcher), draws every chart and lays it out to its card for printing. The KPI tiles' trend
// lines are SVG drawn by the server (reporting/sparkline.py). No inline scripts (CSP).
import { drawAll as drawEveryPending, drawPendingNow, drawSoon, drawWhenSeen } from "./okr/plotly.js";

(function () {
  "use strict";

  // No mode bar: its buttons would be interactive controls nested inside the charts' role="img" containers
  // (axe: nested-interactive), and the handout needs none. Zoom by click stays where a chart offers it.
  const CONFIG = { displaylogo: false, displayModeBar: false, responsive: true };

  function draw(element) {
    if (!window.Plotly || element.dataset.plotted === "true") return;
    const source = document.getElementById(element.dataset.plotlyFigure);
    if (!source) return;
    let figure;
    try {
      figure = JSON.parse(source.textContent);
    } catch (error) {
      return;
    }
    element.dataset.plotted = "true";
    window.Plotly.newPlot(element, figure.data || [], figure.layout || {}, CONFIG).then(() => {
      if (printing) fit(element, true);
    });
  }

  function drawAll(root) {
    drawWhenSeen((root || document).querySelectorAll("[data-plotly-figure]"), draw);
  }

  // The size a chart has on paper (board.css: --print-chart-height, a third of the landscape page minus gaps),
  // measured on a probe so millimetres become the browser's pixels.
  function paperSize(plot) {
    const card = plot.closest(".chart-card");
    const probe = document.createElement("div");
    probe.style.cssText =
      "position:absolute;visibility:hidden;height:var(--print-chart-height);" +
      "width:calc((277mm - 6mm) / 3 - 6mm - 2px)";
    document.body.appendChild(probe);
    const size = { width: Math.floor(probe.offsetWidth), height: Math.floor(probe.offsetHeight) };
    probe.remove();
    if (card && window.matchMedia("print").matches) {
      // Laid out for print already (emulated print media, print preview): the chart box itself is the truth.
      const box = plot.getBoundingClientRect();
      if (box.width > 0 && box.height > 0) return { width: Math.floor(box.width), height: Math.floor(box.height) };
    }
    return size;
  }

  function fit(plot, forPrint) {
    if (!window.Plotly || !plot.layout) return;
    if (forPrint) {
      if (plot.dataset.screenHeight === undefined) plot.dataset.screenHeight = plot.layout.height || "";
      const size = paperSize(plot);
      window.Plotly.relayout(plot, { autosize: false, width: size.width, height: size.height });
    } else if (plot.dataset.screenHeight !== undefined) {
      const height = Number(plot.dataset.screenHeight) || null;
      delete plot.dataset.screenHeight;
      window.Plotly.relayout(plot, { autosize: true, width: null, height: height });
    }
  }

  let printing = false;
  function fitAll(forPrint) {
    printing = forPrint;
    // On paper every chart is there, scrolled to or not: drawn now if plotly is loaded (beforeprint cannot wait),
    // else as soon as it is (print media emulation, the print button) and laid out to its card once drawn.
    if (forPrint && !drawPendingNow()) drawEveryPending().catch(() => {});
    document.querySelectorAll(".chart.js-plotly-plot").forEach((plot) => fit(plot, forPrint));
  }

  document.addEventListener("DOMContentLoaded", () => {
    drawAll(document);
    document.querySelectorAll("[data-board-print]").forEach((button) => {
      // every chart drawn first (those nobody scrolled to yet), then the browser's print dialog
      button.addEventListener("click", () => drawEveryPending().then(() => window.print(), () => window.print()));
    });
    document.querySelectorAll("[data-board-autosubmit]").forEach((select) => {
      select.addEventListener("change", () => select.form.requestSubmit());
    });
  });

  // A chart swapped in by the person's own choice (attribution model) is drawn at once.
  document.addEventListener("htmx:afterSettle", (event) => {
    drawSoon((event.detail.elt || document).querySelectorAll("[data-plotly-figure]"), draw);
  });
  // Charts take their cards' size on paper and the screen's size again afterwards.
  window.addEventListener("beforeprint", () => fitAll(true));
  window.addEventListener("afterprint", () => fitAll(false));
  window.matchMedia("print").addEventListener("change", (event) => fitAll(event.matches));
})();
