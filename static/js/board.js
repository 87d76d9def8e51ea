// Board KPI page: draws the plotly figures that the server embeds as JSON data blocks, re-draws them after htmx
// swaps (attribution model switcher), resizes them for printing. No inline scripts (CSP).
(function () {
  "use strict";

  const CONFIG = { displaylogo: false, responsive: true, modeBarButtonsToRemove: ["lasso2d", "select2d"] };
  const SPARK_CONFIG = { staticPlot: true, responsive: true, displayModeBar: false };

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
    const spark = element.classList.contains("kpi-spark");
    element.dataset.plotted = "true";
    window.Plotly.newPlot(element, figure.data || [], figure.layout || {}, spark ? SPARK_CONFIG : CONFIG);
  }

  function drawAll(root) {
    (root || document).querySelectorAll("[data-plotly-figure]").forEach(draw);
  }

  function resizeAll() {
    if (!window.Plotly) return;
    document.querySelectorAll(".js-plotly-plot").forEach((plot) => window.Plotly.Plots.resize(plot));
  }

  document.addEventListener("DOMContentLoaded", () => {
    drawAll(document);
    document.querySelectorAll("[data-board-print]").forEach((button) => {
      button.addEventListener("click", () => window.print());
    });
  });

  document.addEventListener("htmx:afterSettle", (event) => drawAll(event.detail.elt));
  // Charts take the paper's width when printing and the screen's width again afterwards.
  window.addEventListener("beforeprint", resizeAll);
  window.addEventListener("afterprint", resizeAll);
})();
