// One ordered save queue per page. Every change the user makes goes through it, one request at a time, in the
// order it was made (so a row's create always reaches the server before its edit, a parent before its children).
// A network failure keeps the change at the head of the queue and retries it (1 s, 2 s, 4 s, then every 8 s, or at
// once with "Retry"); nothing behind it overtakes it. The indicator says "Saving…" while anything is queued,
// "Couldn't save — retry" while the head is failing, "Saved" only when the queue is empty and the server has
// answered every change with success, and "Not saved" when the server refused a change (the row says why).
const BACKOFF_MS = [1000, 2000, 4000, 8000];

export class SaveQueue {
  constructor(indicator) {
    this.items = [];
    // Counts every change ever queued: a snapshot of the page fetched before a change was queued predates it, even
    // when the queue is empty again by the time the snapshot arrives (live updates compare it before and after).
    this.generation = 0;
    this.running = false;
    this.refused = false;
    this.idleCallbacks = [];
    this.indicator = indicator;
    this.wakeUp = null;
    if (indicator) {
      const retry = indicator.querySelector("[data-save-retry]");
      if (retry) retry.addEventListener("click", () => this.retryNow());
    }
    window.addEventListener("beforeunload", (event) => {
      if (this.busy) {
        event.preventDefault();
        event.returnValue = "";
      }
    });
  }

  get busy() {
    return this.items.length > 0;
  }

  // op.run() → {ok, network, status, data}; op.done(result) is called once with the server's final answer.
  push(op) {
    return new Promise((resolve) => {
      this.generation += 1;
      this.items.push({ op: op, resolve: resolve });
      if (!this.running) {
        this.refused = false;
        this.drain();
      }
    });
  }

  whenIdle(callback) {
    if (!this.busy) callback();
    else this.idleCallbacks.push(callback);
  }

  retryNow() {
    if (this.wakeUp) this.wakeUp();
  }

  show(state) {
    if (!this.indicator) return;
    this.indicator.dataset.state = state;
    const text = this.indicator.querySelector("[data-save-text]");
    const label = this.indicator.dataset["text" + state.charAt(0).toUpperCase() + state.slice(1)];
    if (text) text.textContent = label || "";
    const retry = this.indicator.querySelector("[data-save-retry]");
    if (retry) retry.hidden = state !== "failed";
    this.indicator.hidden = false;
  }

  pause(ms) {
    return new Promise((resolve) => {
      const timer = setTimeout(finish, ms);
      const self = this;
      function finish() {
        clearTimeout(timer);
        self.wakeUp = null;
        resolve();
      }
      this.wakeUp = finish;
    });
  }

  async drain() {
    this.running = true;
    this.show("saving");
    let failures = 0;
    while (this.items.length) {
      const item = this.items[0];
      let result;
      try {
        result = await item.op.run();
      } catch (e) {
        result = { ok: false, network: true, status: 0, data: {} };
      }
      if (result.network) {
        this.show("failed");
        await this.pause(BACKOFF_MS[Math.min(failures, BACKOFF_MS.length - 1)]);
        failures += 1;
        this.show("saving");
        continue;
      }
      failures = 0;
      this.items.shift();
      if (!result.ok) this.refused = true;
      try {
        if (item.op.done) item.op.done(result);
      } catch (e) {
        console.error(e);
      }
      item.resolve(result);
    }
    this.running = false;
    this.show(this.refused ? "refused" : "saved");
    const callbacks = this.idleCallbacks.splice(0);
    callbacks.forEach((callback) => callback());
  }
}
