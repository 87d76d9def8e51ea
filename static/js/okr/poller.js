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
