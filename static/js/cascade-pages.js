// Objective detail and "my key results": draws the plotly figures embedded as JSON data blocks (no inline script);
// plotly.js comes through the one loader, after the first paint.
import { loadPlotly } from "./okr/plotly.js";

function draw(element) {
  const source = document.getElementById(element.dataset.plotlyFigure);
  if (!source) return;
  const figure = JSON.parse(source.textContent);
  window.Plotly.newPlot(element, figure.data, figure.layout, { displaylogo: false, responsive: true });
}

const figures = document.querySelectorAll("[data-plotly-figure]");
if (figures.length) loadPlotly().then(() => figures.forEach(draw), () => {});
