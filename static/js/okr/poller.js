// The site's one poller: pages register what to check; one timer runs them in turn, never two at once, and pauses
// while the tab is hidden.
const tasks = [];
let timer = null;
let running = false;

async function tick() {
  if (running || document.hidden) return;
  running = true;
  try {
    for (const task of tasks) {
      try {
        await task();
      } catch (e) {
        // offline for a moment: the next tick tries again
      }
    }
  } finally {
    running = false;
  }
}

export function poll(task, intervalMs) {
  tasks.push(task);
  if (!timer) timer = setInterval(tick, intervalMs || 2000);
}

export function pollNow() {
  return tick();
}

// Conditional GET for what the tasks poll: remembers each URL's ETag and sends it back as If-None-Match (answers
// to signed-in users are "no-store", so the browser cache never does this for us). Resolves to null when the
// server answers 304 (nothing changed), else to the response.
const etags = new Map();

// What the page was rendered from: its first poll is conditional too.
export function knownVersion(url, etag) {
  if (etag) etags.set(url, etag);
}

export async function fetchChanged(url, options) {
  const headers = Object.assign({}, (options && options.headers) || {});
  const known = etags.get(url);
  if (known) headers["If-None-Match"] = known;
  const response = await fetch(url, Object.assign({ credentials: "same-origin", cache: "no-store" }, options, { headers }));
  if (response.status === 304) return null;
  const etag = response.headers.get("ETag");
  if (response.ok && etag) etags.set(url, etag);
  else etags.delete(url);
  return response;
}
