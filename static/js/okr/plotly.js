// The one plotly loader: loads the plotly.js bundle (static/vendor/plotly.min.js, a partial bundle of the trace
// types our figures use, built by `make vendor` from frontend/plotly-bundle.js) once, on first use, and only after
// the page's first paint: figures, tiles and text show at once, the chart code arrives after them.
let loading = null;

function afterFirstPaint() {
  return new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
}

export function loadPlotly(src) {
  if (window.Plotly) return Promise.resolve(window.Plotly);
  if (!loading) {
    loading = afterFirstPaint().then(
      () =>
        new Promise((resolve, reject) => {
          const script = document.createElement("script");
          script.src = src || document.querySelector('meta[name="plotly-src"]').content;
          script.onload = () => resolve(window.Plotly);
          script.onerror = (error) => {
            loading = null; // offline for a moment: the next use tries again
            reject(error);
          };
          document.head.appendChild(script);
        }),
    );
  }
  return loading;
}

// Draws each chart in a task of its own (plotly.js draws synchronously: a page's charts in one go were one long task
// that kept the page from answering a click or a key for up to two seconds on a busy machine), the charts on screen
// first. Resolves when every chart is drawn.
function nextTask() {
  if (window.scheduler && typeof window.scheduler.yield === "function") return window.scheduler.yield();
  return new Promise((resolve) => setTimeout(resolve, 0));
}

function onScreenFirst(elements) {
  const height = window.innerHeight || document.documentElement.clientHeight;
  const visible = (element) => {
    const box = element.getBoundingClientRect();
    return box.bottom >= 0 && box.top <= height ? 0 : 1;
  };
  return Array.from(elements)
    .map((element, index) => ({ element, index, rank: visible(element) }))
    .sort((a, b) => a.rank - b.rank || a.index - b.index)
    .map((entry) => entry.element);
}

export function drawEach(elements, draw) {
  const ordered = onScreenFirst(elements);
  if (!ordered.length) return Promise.resolve();
  return loadPlotly().then(async () => {
    for (const element of ordered) {
      draw(element);
      await nextTask();
    }
  });
}
