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
            script.remove();
            reject(error);
          };
          document.head.appendChild(script);
        }),
    );
  }
  return loading;
}

// Charts drawn when they are about to scroll into view (issue 19, light pages). plotly.js draws synchronously: a
// page's charts in one go were one long task that kept the page from answering a click or a key; now each chart is
// a task of its own, and a chart nobody has scrolled to costs nothing. The bundle itself is fetched and run when the
// browser is idle after the page has loaded (or at once when a chart is on screen), so a chart a person scrolls to
// appears without waiting for the download, and printing (which cannot wait) finds plotly ready: drawPendingNow()
// draws every chart not drawn yet in one go, drawAll() does the same one chart per task.
const pending = new Map(); // element → its draw function, until drawn
const queue = [];
let pumping = null;
let observer = null;

function nextTask() {
  if (window.scheduler && typeof window.scheduler.yield === "function") return window.scheduler.yield();
  return new Promise((resolve) => setTimeout(resolve, 0));
}

async function pump() {
  try {
    await loadPlotly();
  } catch (error) {
    pumping = null; // the queue stays: the next chart that scrolls into view tries again
    throw error;
  }
  while (queue.length) {
    const element = queue.shift();
    const draw = pending.get(element);
    pending.delete(element);
    if (draw && element.isConnected) draw(element);
    if (queue.length) await nextTask();
  }
  pumping = null;
}

function enqueue(element) {
  if (pending.has(element) && !queue.includes(element)) queue.push(element);
  if (!pumping && queue.length) pumping = pump();
  return pumping || Promise.resolve();
}

function seen(entries) {
  for (const entry of entries) {
    if (!entry.isIntersecting) continue;
    observer.unobserve(entry.target);
    enqueue(entry.target).catch(() => {});
  }
}

let preloading = false;
function preloadWhenIdle() {
  if (preloading || window.Plotly) return;
  preloading = true;
  const idle = window.requestIdleCallback || ((callback) => setTimeout(callback, 200));
  const start = () => idle(() => loadPlotly().catch(() => (preloading = false)), { timeout: 3000 });
  if (document.readyState === "complete") start();
  else window.addEventListener("load", start, { once: true });
}

// Draws each of `elements` with `draw(element)` when it comes within a screen's height of the viewport (at once
// where IntersectionObserver is missing). Resolves at once; drawing happens as the person scrolls.
export function drawWhenSeen(elements, draw) {
  const list = Array.from(elements).filter((element) => !pending.has(element));
  if (!list.length) return;
  list.forEach((element) => pending.set(element, draw));
  if (!("IntersectionObserver" in window)) {
    list.forEach((element) => enqueue(element).catch(() => {}));
    return;
  }
  if (!observer) observer = new IntersectionObserver(seen, { rootMargin: "50% 0px" });
  list.forEach((element) => observer.observe(element));
  preloadWhenIdle();
}

// Draws each of `elements` now, one per task, seen or not (a chart the person's own action swapped in).
export function drawSoon(elements, draw) {
  Array.from(elements).forEach((element) => {
    if (!pending.has(element)) pending.set(element, draw);
    if (observer) observer.unobserve(element);
    enqueue(element).catch(() => {});
  });
}

// Every chart not drawn yet, one per task (the print button, print media): resolves when all are drawn.
export function drawAll() {
  for (const element of pending.keys()) {
    if (observer) observer.unobserve(element);
    if (!queue.includes(element)) queue.push(element);
  }
  if (!pumping && queue.length) pumping = pump();
  return pumping || Promise.resolve();
}

// Every chart not drawn yet, right now (beforeprint cannot wait for a task): true when plotly was there to do it.
export function drawPendingNow() {
  if (!window.Plotly) return false;
  for (const [element, draw] of Array.from(pending)) {
    pending.delete(element);
    if (observer) observer.unobserve(element);
    if (element.isConnected) draw(element);
  }
  queue.length = 0;
  return true;
}
