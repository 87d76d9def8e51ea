// Objective detail and "my key results": draws the plotly figures embedded as JSON data blocks (no inline script).
(function () {
  "use strict";

  function draw(element) {
    const source = document.getElementById(element.dataset.plotlyFigure);
    if (!source || !window.Plotly) return;
    const figure = JSON.parse(source.textContent);
    // no mode bar: its buttons would be controls nested in the role="img" container (axe: nested-interactive)
    window.Plotly.newPlot(element, figure.data, figure.layout, { displaylogo: false, displayModeBar: false, responsive: true });
  }

  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("[data-plotly-figure]").forEach(draw);
  });
})();
