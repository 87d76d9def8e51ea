// Optimistic rows: what the builder shows for a change the server has not confirmed yet, and what it keeps when the
// server refused one (the typed values stay on the row, Enter opens them again).
export function parseNumber(raw, lang) {
  let value = (raw || "").replace(/[\s\u00a0\u202f']/g, "");
  if (value === "") return null;
  if (value.includes(",")) value = value.replace(/\./g, "").replace(",", ".");
  else if ((lang || "").startsWith("de") && /^-?\d{1,3}(\.\d{3})+$/.test(value)) value = value.replace(/\./g, "");
  return /^-?\d+(\.\d+)?$/.test(value) ? value : undefined;
}

function el(tag, className, textContent) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (textContent !== undefined) node.textContent = textContent;
  return node;
}

let counter = 0;

export function pendingRow(kind, fields, level, text) {
  counter += 1;
  const li = el("li", kind === "kr" ? "node node-kr is-pending" : "node node-objective is-pending");
  li.setAttribute("role", "treeitem");
  li.setAttribute("tabindex", "-1");
  li.setAttribute("aria-level", String(level));
  li.dataset.kind = kind;
  li.dataset.temp = "t" + counter;
  const row = el("div", kind === "kr" ? "row row-kr" : "row row-objective");
  const mark = el("span", kind === "kr" ? "toggle kr-mark" : "toggle", kind === "kr" ? "KR" : "");
  mark.setAttribute("aria-hidden", "true");
  if (kind !== "kr") mark.dataset.toggle = "";
  const main = el("span", "row-main");
  const title = el("span", "title");
  title.dataset.editTitle = "";
  main.appendChild(title);
  if (kind === "kr") main.appendChild(el("span", "kr-values muted"));
  const state = el("span", "row-state");
  state.dataset.rowState = "";
  state.setAttribute("aria-live", "polite");
  row.append(mark, main, state);
  li.appendChild(row);
  if (kind !== "kr") {
    const group = el("ul", "children");
    group.setAttribute("role", "group");
    li.appendChild(group);
  }
  showValues(li, fields, text);
  return li;
}

// The row's visible title (and a key result's "start → target") from the typed fields.
export function showValues(li, fields, text) {
  li.dataset.title = fields.title;
  li.querySelector(":scope > .row .title").textContent = fields.title;
  li.stash = Object.assign({}, fields);
  const values = li.querySelector(":scope > .row .kr-values");
  if (values) {
    values.textContent =
      fields.kind === "milestone" ? "" : (fields.start_value || "0") + " → " + (fields.target_value || "");
  }
  setRowState(li, "pending", text.textSaving);
}

export function setRowState(li, state, message) {
  li.classList.toggle("is-pending", state === "pending");
  li.classList.toggle("is-failed", state === "failed");
  let box = li.querySelector(":scope > .row [data-row-state]");
  if (!box && state !== "saved") {
    box = el("span", "row-state");
    box.dataset.rowState = "";
    li.querySelector(":scope > .row").appendChild(box);
  }
  if (box) {
    box.textContent = state === "saved" ? "" : message || "";
    box.setAttribute("role", state === "failed" ? "alert" : "status");
  }
}

// The server created the row: it now carries the real id and version (and the values the server stored).
export function confirmRow(li, data) {
  li.dataset.id = String(data.id);
  li.dataset.version = String(data.version);
  li.id = (li.dataset.kind === "kr" ? "k-" : "o-") + data.id;
  delete li.dataset.temp;
  if (li.dataset.kind === "kr") {
    li.dataset.objective = String(data.objective);
    li.dataset.krKind = data.kind;
    li.dataset.unit = data.unit;
    li.dataset.startRaw = String(Number(data.start_value));
    li.dataset.target = String(Number(data.target_value));
    li.dataset.weight = String(Number(data.weight));
    li.dataset.owner = data.owner || "";
  } else {
    li.dataset.team = data.team ? String(data.team.id) : "";
    li.dataset.teamKind = data.team ? data.team.kind : "other";
    li.dataset.owner = data.owner || "";
    li.dataset.parent = data.parent || "";
  }
  li.dataset.title = data.title;
  li.querySelector(":scope > .row .title").textContent = data.title;
  delete li.stash;
  setRowState(li, "saved");
}
