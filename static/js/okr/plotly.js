// The one plotly loader: loads the plotly.js bundle from static once, on first use.
let loading = null;

export function loadPlotly(src) {
  if (window.Plotly) return Promise.resolve(window.Plotly);
  if (!loading) {
    loading = new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = src || document.documentElement.dataset.plotlySrc;
      script.onload = () => resolve(window.Plotly);
      script.onerror = reject;
      document.head.appendChild(script);
    });
  }
  return loading;
}
