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
