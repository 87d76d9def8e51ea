// The cascade builder page: wires the tree, the save queue, the outline editors, the keyboard map, live updates and
// drag and drop together, plus the page's dialogs, wall mode and sunburst. No inline scripts (CSP): texts come from
// data- attributes rendered by the template. Every change goes to the DRF API through the page's save queue.
import { apiCall, refusalMessage } from "../okr/api.js";
import { confirmDialog } from "../okr/confirm.js";
import { loadPlotly } from "../okr/plotly.js";
import { SaveQueue } from "../okr/savequeue.js";
import { bindDragAndDrop } from "./dnd.js";
import { bindKeys } from "./keys.js";
import { createLive } from "./live.js";
import { createOutline } from "./outline.js";
import { setRowState } from "./rows.js";
import { createTree } from "./tree.js";

const root = document.querySelector("[data-cascade]");
const treeEl = document.querySelector("[data-tree]");
if (root && treeEl) {
  // htmx (a deferred script before this module) sets the page up at DOMContentLoaded and searches every element for
  // hx-on attributes: the tree's rows (a <template> in the page, no htmx attributes in them) join the page after that.
  // (A module runs after parsing, readyState "interactive", before DOMContentLoaded has been dispatched.)
  const navigation = performance.getEntriesByType("navigation")[0];
  if (navigation && navigation.domContentLoadedEventStart > 0) mount();
  else document.addEventListener("DOMContentLoaded", mount, { once: true });
}

function mount() {
  const rows = document.querySelector("template[data-tree-rows]");
  if (rows) {
    treeEl.replaceChildren(rows.content);
    rows.remove();
  }
  start();
}

function start() {
  const urls = JSON.parse(document.getElementById("cascade-urls").textContent);
  const text = root.dataset;
  const feedbackEl = document.querySelector("[data-feedback]");
  const ctx = {
    urls: urls,
    api: urls.api,
    text: text,
    cycle: root.dataset.cycle,
    editable: root.dataset.editable === "1",
    // Active cycle: the structure is locked, but titles, owners and teams can still be corrected in place.
    inlineEdit: root.dataset.editable === "1" || root.dataset.renamable === "1",
    tree: createTree(root, treeEl),
    queue: new SaveQueue(document.querySelector("[data-save-state]")),
    dragging: false,
    feedback(message, level) {
      if (!feedbackEl) return;
      feedbackEl.textContent = message || "";
      feedbackEl.className = "cascade-feedback feedback-" + (level || "error");
      feedbackEl.hidden = !message;
    },
    refreshWhenIdle() {
      live.whenIdle();
    },
    afterRefresh() {
      bindSortables();
      if (sunburstVisible()) drawSunburst();
    },
  };
  const tree = ctx.tree;
  const outline = createOutline(ctx);
  const live = createLive(ctx, outline);

  function url(name, id) {
    return ctx.api[name].replace("/0/", "/" + id + "/");
  }

  function refused(li, message) {
    ctx.feedback(message, "error");
    if (window.okrToast) window.okrToast(message, "error");
    if (!li) return;
    li.classList.remove("refused");
    void li.offsetWidth;
    li.classList.add("refused");
    setTimeout(() => li.classList.remove("refused"), 900);
  }

  // A structural change: sent in order with the version the row has when it is sent.
  function structural(li, method, target, body, after) {
    setRowState(li, "pending", text.textSaving);
    return ctx.queue.push({
      run() {
        const version = Number(li.dataset.version);
        if (method === "DELETE") return apiCall("DELETE", target() + "?version=" + version);
        return apiCall(method, target(), Object.assign({ version: version }, body));
      },
      done(result) {
        setRowState(li, "saved");
        if (result.ok) {
          ctx.feedback("");
          if (result.data && result.data.version) li.dataset.version = String(result.data.version);
          if (after) after();
        } else refused(li, refusalMessage(result.data) || text.textRefused);
        ctx.refreshWhenIdle();
      },
    });
  }

  const actions = {
    move(li, kind, body) {
      const name = kind === "kr" ? "keyResultMove" : "objectiveMove";
      structural(li, "POST", () => url(name, li.dataset.id), body);
    },
    keyboardMove(li, key) {
      const kind = li.dataset.kind;
      if (key === "ArrowRight" || key === "ArrowLeft") {
        if (kind !== "objective") return;
        const name = key === "ArrowRight" ? "objectiveIndent" : "objectiveOutdent";
        structural(li, "POST", () => url(name, li.dataset.id), {}, () => tree.focus(li));
        return;
      }
      const delta = key === "ArrowUp" ? -1 : 1;
      const group = li.parentElement;
      const siblings = kind === "objective" ? tree.objectives(group) : tree.keyResults(group);
      const index = siblings.indexOf(li) + delta;
      if (index < 0 || index >= siblings.length) return;
      const owner = tree.parentItem(li);
      if (delta < 0) siblings[index].before(li);
      else siblings[index].after(li);
      tree.focus(li);
      if (kind === "objective") actions.move(li, kind, { parent: owner ? Number(owner.dataset.id) : null, position: index });
      else actions.move(li, kind, { objective: Number(owner.dataset.id), position: index });
    },
    async deleteItem(li) {
      if (!li.dataset.id) {
        // a row the server refused to create: discarding it needs no request
        tree.focus(li.previousElementSibling || tree.parentItem(li));
        li.remove();
        return;
      }
      const template = li.dataset.kind === "kr" ? text.textConfirmDeleteKr : text.textConfirmDeleteObjective;
      const question = template.replace("{title}", li.dataset.title);
      if (!(await confirmDialog(question, text.textDelete))) return tree.focus(li);
      const visible = tree.visibleItems();
      const index = visible.indexOf(li);
      const next = visible.slice(index + 1).find((el) => !li.contains(el)) || visible[index - 1];
      const name = li.dataset.kind === "kr" ? "keyResult" : "objective";
      structural(li, "DELETE", () => url(name, li.dataset.id), null, () => {
        li.remove();
        tree.focus(next);
      });
    },
    async openCheckIn(li) {
      if (!li || li.dataset.kind !== "kr" || !li.dataset.canCheckIn) return;
      const dialog = document.getElementById("checkin-dialog");
      const body = dialog.querySelector("[data-checkin-body]");
      const response = await fetch(urls.checkin.replace("/0/", "/" + li.dataset.id + "/") + "?context=cascade", {
        headers: { "HX-Request": "true" },
        credentials: "same-origin",
      });
      if (!response.ok) return;
      body.innerHTML = await response.text();
      if (window.htmx) window.htmx.process(body);
      dialog.dataset.returnId = li.dataset.id;
      dialog.showModal();
      const first = body.querySelector("input, select, textarea");
      if (first) first.focus();
    },
    openDetail(li) {
      window.location.href = urls.objectiveDetail.replace("/0/", "/" + li.dataset.id + "/");
    },
    openDialog(id) {
      const dialog = document.getElementById(id);
      if (!dialog || dialog.open) return;
      dialog.showModal();
      dialog.scrollTop = 0;
      const first = dialog.querySelector("input:not([type=hidden]), select, button");
      if (first) first.focus({ preventScroll: true });
    },
    toggleWall: toggleWall,
  };

  const bindSortables = bindDragAndDrop(ctx, actions);
  bindKeys(ctx, outline, actions);

  document.body.addEventListener("cascade:checked-in", () => {
    const dialog = document.getElementById("checkin-dialog");
    if (dialog.open) dialog.close();
    live.request();
  });

  treeEl.addEventListener("click", (event) => {
    const target = event.target;
    if (target.closest("[data-add-root]")) {
      const group = tree.rootGroup();
      const objectives = group ? tree.objectives(group) : [];
      outline.openObjectiveEditor(group, objectives[objectives.length - 1] || null, null);
      return;
    }
    const li = target.closest("li[data-kind]");
    if (!li || target.closest("form")) return;
    const action = target.closest("[data-action]");
    if (action) {
      event.preventDefault();
      const name = action.dataset.action;
      const group = tree.group(li);
      if (name === "add-child") outline.openObjectiveEditor(group, tree.objectives(group).slice(-1)[0] || null);
      else if (name === "add-kr") outline.openKrEditor(li, null);
      else if (name === "delete") actions.deleteItem(li);
      else if (name === "check-in") actions.openCheckIn(li);
      return;
    }
    if (target.closest("[data-toggle]")) {
      tree.setExpanded(li, li.getAttribute("aria-expanded") === "false");
      tree.focus(li);
      return;
    }
    const title = target.closest("[data-edit-title]");
    if (title && ctx.inlineEdit && title.closest("li[data-kind]") === li && li.dataset.id) {
      event.preventDefault();
      outline.openEditInPlace(li);
    } else if (!title) tree.focus(li);
  });
  treeEl.addEventListener("focusin", (event) => {
    const li = event.target;
    if (li.dataset && li.dataset.kind && li.getAttribute("tabindex") !== "0") tree.focus(li);
  });

  document.addEventListener("click", (event) => {
    const opener = event.target.closest("[data-dialog-open]");
    if (opener) {
      event.preventDefault();
      actions.openDialog(opener.dataset.dialogOpen);
      return;
    }
    const closer = event.target.closest("[data-dialog-close]");
    if (closer && closer.closest("dialog")) closer.closest("dialog").close();
  });
  document.querySelectorAll("dialog").forEach((dialog) => dialog.addEventListener("close", () => live.whenIdle()));

  function toggleWall() {
    const on = document.documentElement.classList.toggle("wall");
    document.querySelectorAll("[data-wall-toggle][aria-pressed]").forEach((b) => b.setAttribute("aria-pressed", on));
    const params = new URLSearchParams(window.location.search);
    if (on) params.set("wall", "1");
    else params.delete("wall");
    const query = params.toString();
    history.replaceState(null, "", window.location.pathname + (query ? "?" + query : ""));
    const hidden = document.querySelector('.cascade-filters input[name="wall"]');
    const filters = document.querySelector(".cascade-filters");
    if (on && !hidden && filters) {
      const input = document.createElement("input");
      Object.assign(input, { type: "hidden", name: "wall", value: "1" });
      filters.appendChild(input);
    } else if (!on && hidden) hidden.remove();
    if (sunburstVisible()) drawSunburst();
  }
  document.querySelectorAll("[data-wall-toggle]").forEach((button) => button.addEventListener("click", toggleWall));

  function sunburstVisible() {
    const panel = document.querySelector('[data-panel="sunburst"]');
    return panel && !panel.hidden;
  }

  async function drawSunburst() {
    const target = document.querySelector("[data-sunburst]");
    if (!target) return;
    const Plotly = await loadPlotly(root.dataset.plotlySrc);
    const response = await fetch(urls.sunburst + "?cycle=" + encodeURIComponent(ctx.cycle), { credentials: "same-origin" });
    if (!response.ok) return;
    const figure = await response.json();
    if (document.documentElement.classList.contains("wall")) {
      figure.layout.font = Object.assign({}, figure.layout.font, { size: 18, color: "#fff" });
      figure.layout.height = Math.max(640, window.innerHeight - 140);
    }
    Plotly.react(target, figure.data, figure.layout, { displaylogo: false, displayModeBar: false, responsive: true });
  }

  document.querySelectorAll("[data-view]").forEach((button) => {
    button.addEventListener("click", () => {
      const view = button.dataset.view;
      document.querySelectorAll("[data-view]").forEach((b) => b.setAttribute("aria-pressed", b === button));
      document.querySelectorAll("[data-panel]").forEach((panel) => (panel.hidden = panel.dataset.panel !== view));
      if (view === "sunburst") drawSunburst();
    });
  });

  const expandButton = document.querySelector("[data-expand-all]");
  if (expandButton) expandButton.addEventListener("click", () => tree.expandAll(true));
  const collapseButton = document.querySelector("[data-collapse-all]");
  if (collapseButton) collapseButton.addEventListener("click", () => tree.expandAll(false));
  document.querySelectorAll("form[data-autosubmit] select").forEach((select) => {
    select.addEventListener("change", () => select.form.submit());
  });

  // Never lose input: a filter swap would throw away a row being typed or rows not saved yet.
  document.body.addEventListener("htmx:beforeRequest", (event) => {
    if (event.detail.target !== treeEl) return;
    if (outline.editorHasInput() || ctx.queue.busy) {
      event.preventDefault();
      ctx.feedback(text.textFinishEdit, "info");
      if (outline.state.editor) outline.state.editor.li.querySelector("form").elements.title.focus();
    } else outline.closeEditor();
  });
  document.body.addEventListener("htmx:afterSwap", (event) => {
    if (event.detail.target !== treeEl) return;
    live.readSignature();
    tree.applyCollapsed();
    tree.ensureRovingFocus();
    bindSortables();
  });
  window.addEventListener("beforeunload", (event) => {
    if (outline.editorHasInput()) {
      event.preventDefault();
      event.returnValue = "";
    }
  });
  tree.applyCollapsed();
  tree.ensureRovingFocus();
  root.dataset.ready = "1";
}
