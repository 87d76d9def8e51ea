// Rating on a phone: every tap goes through the page's ordered save queue (a tap made while the previous one is
// still on its way is sent after it, never dropped; a failed connection is retried). The card is updated from the
// server's answer only when no newer tap is waiting, so it always shows what the server stored.
// Keyboard: 1–5 contribution, Q W E R T effort 1–5, N/P next/previous.
import { SaveQueue } from "./okr/savequeue.js";

const RETRYABLE = new Set([0, 502, 503, 504]);
const queue = new SaveQueue(null);
let sent = 0;

function card() {
  return document.getElementById("rate-card");
}

function showAnchor(input) {
  const line = document.querySelector('[data-anchor-for="' + input.name + '"]');
  if (!line) return;
  line.querySelectorAll("[data-step]").forEach((span) => {
    span.hidden = span.dataset.step !== input.value;
  });
}

function setStatus(state) {
  const status = document.querySelector("[data-testid=rating-status]");
  const form = document.querySelector("[data-rate-form]");
  if (!status || !form) return;
  status.textContent = "";
  const span = document.createElement("span");
  span.className = state === "failed" ? "prio-status-error" : "prio-status-hint";
  span.textContent = form.dataset[state === "failed" ? "textFailed" : "textSaving"];
  status.appendChild(span);
}

function send(form) {
  const body = new FormData(form);
  const action = form.getAttribute("action");
  sent += 1;
  const mine = sent;
  queue.push({
    async run() {
      let response;
      try {
        response = await fetch(action, { method: "POST", body: body, headers: { "HX-Request": "true" }, credentials: "same-origin" });
      } catch (e) {
        setStatus("failed");
        return { ok: false, network: true, status: 0 };
      }
      if (RETRYABLE.has(response.status)) {
        setStatus("failed");
        return { ok: false, network: true, status: response.status };
      }
      return { ok: response.ok, network: false, status: response.status, html: await response.text() };
    },
    done(result) {
      // Only the answer to the last tap is shown: it carries the values the server stored after all of them.
      if (mine !== sent || !result.html) return;
      window.Idiomorph.morph(card(), result.html, { morphStyle: "outerHTML" });
      bind();
    },
  });
  setStatus("saving");
}

function bind() {
  const form = document.querySelector("[data-rate-form]");
  if (!form || form.dataset.bound) return;
  form.dataset.bound = "1";
  form.addEventListener("change", (event) => {
    if (!event.target.matches(".prio-tap-input")) return;
    showAnchor(event.target);
    send(form);
  });
}

function choose(name, value) {
  const input = document.getElementById(name + "-" + value);
  if (!input) return;
  input.checked = true;
  input.focus();
  input.dispatchEvent(new Event("change", { bubbles: true }));
}

const EFFORT_KEYS = { q: 1, w: 2, e: 3, r: 4, t: 5 };
document.addEventListener("keydown", (event) => {
  if (event.altKey || event.ctrlKey || event.metaKey) return;
  const tag = (event.target.tagName || "").toLowerCase();
  if (tag === "textarea" || tag === "select" || (tag === "input" && event.target.type !== "radio")) return;
  const key = event.key.toLowerCase();
  if (/^[1-5]$/.test(event.key)) {
    event.preventDefault();
    choose("contribution", event.key);
  } else if (EFFORT_KEYS[key]) {
    event.preventDefault();
    choose("effort", EFFORT_KEYS[key]);
  } else if (key === "n" || key === "p") {
    const link = document.querySelector(key === "n" ? "[data-rate-next]" : "[data-rate-prev]");
    if (link) {
      event.preventDefault();
      window.location.href = link.href;
    }
  }
});
// Leaving for the next initiative waits for the queue: a tap on its way is not thrown away.
document.addEventListener("click", (event) => {
  const link = event.target.closest && event.target.closest(".prio-rate-nav a");
  if (!link || !queue.busy) return;
  event.preventDefault();
  queue.whenIdle(() => (window.location.href = link.href));
});
bind();
