// JSON calls to the DRF API with the session's CSRF token. A failed connection or a gateway error is "network"
// (the save queue retries it); any other answer is the server's decision and is returned as it is.
export function csrfToken() {
  try {
    return JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRFToken"];
  } catch (e) {
    return "";
  }
}

const RETRYABLE = new Set([0, 502, 503, 504]);

// A fresh Idempotency-Key for one create: the save queue sends it with every try of that create, so a retry after
// a lost answer gets the first try's answer instead of creating the row twice (core/idempotency.py).
export function idempotencyKey() {
  if (window.crypto && window.crypto.randomUUID) return window.crypto.randomUUID();
  const bytes = new Uint8Array(16);
  window.crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export async function apiCall(method, url, body, extraHeaders) {
  const headers = Object.assign({ "X-CSRFToken": csrfToken(), Accept: "application/json" }, extraHeaders || {});
  const init = { method: method, headers: headers, credentials: "same-origin" };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(url, init);
  } catch (e) {
    return { ok: false, network: true, status: 0, data: {} };
  }
  let data = {};
  if (response.status !== 204) {
    try {
      data = await response.json();
    } catch (e) {
      data = {};
    }
  }
  return { ok: response.ok, network: RETRYABLE.has(response.status), status: response.status, data: data };
}

// The refusal as one sentence: DomainError's "detail", else "Label: message" per field (labels from the form).
export function refusalMessage(data, labelFor) {
  if (!data) return "";
  if (typeof data.detail === "string") return data.detail;
  const parts = [];
  Object.entries(data).forEach(([field, messages]) => {
    if (!Array.isArray(messages)) return;
    const label = field === "non_field_errors" ? "" : (labelFor && labelFor(field)) || field;
    messages.forEach((message) => parts.push(label ? label + ": " + message : message));
  });
  return parts.join(" ");
}
