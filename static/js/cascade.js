// The cascade builder: keyboard-first inline editing, drag and drop, live updates, wall mode, sunburst.
// The server decides every change (objectives.services.cascade); this module only sends intents and re-renders the
// tree partial. No inline scripts (CSP): texts come from data- attributes rendered by the template.
(function () {
  "use strict";

  const root = document.querySelector("[data-cascade]");
  if (!root) return;

  const urls = JSON.parse(document.getElementById("cascade-urls").textContent);
  const tree = document.querySelector("[data-tree]");
  const feedback = document.querySelector("[data-feedback]");
  const text = root.dataset;
  const cycle = root.dataset.cycle;
  const editable = root.dataset.editable === "1";
  // Active cycle: the structure is locked, but titles, owners and teams can still be corrected in place.
  const inlineEdit = editable || root.dataset.renamable === "1";
  const POLL_MS = 3000;
  const storageKey = "cascade:collapsed:" + cycle;

  const state = {
    editor: null, // {li, kind, mode: "new"|"edit", row?}
    dragging: null, // {kind, id, version, li}
    busy: false,
    pendingRefresh: false,
    collapsed: new Set(JSON.parse(sessionStorage.getItem(storageKey) || "[]")),
    signature: null,
  };

  // ------------------------------------------------------------------------------------------------------ helpers
  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRFToken"];
    } catch (e) {
      return "";
    }
  }

  function urlFor(name, id) {
    return urls[name].replace("/0/", "/" + id + "/");
  }

  async function post(name, id, fields) {
    const body = new FormData();
    body.append("cycle", cycle);
    Object.entries(fields).forEach(([key, value]) => body.append(key, value == null ? "" : value));
    let response;
    try {
      response = await fetch(urlFor(name, id), {
        method: "POST",
        body: body,
        headers: { "X-CSRFToken": csrfToken(), Accept: "application/json" },
        credentials: "same-origin",
      });
    } catch (e) {
      return { ok: false, status: 0, data: { message: text.textNetwork } };
    }
    let data = {};
    try {
      data = await response.json();
    } catch (e) {
      data = { message: response.statusText };
    }
    return { ok: response.ok && data.ok !== false, status: response.status, data: data };
  }

  function toast(message, level) {
    if (window.okrToast) window.okrToast(message, level);
  }

  function showFeedback(message, level) {
    if (!feedback) return;
    feedback.textContent = message;
    feedback.className = "cascade-feedback feedback-" + (level || "error");
    feedback.hidden = !message;
  }

  function items() {
    return Array.from(tree.querySelectorAll("li[data-kind]"));
  }

  function visibleItems() {
    return items().filter((li) => !li.closest('li[aria-expanded="false"] > ul li') && li.offsetParent !== null);
  }

  function findItem(kind, id) {
    return tree.querySelector('li[data-kind="' + kind + '"][data-id="' + id + '"]');
  }

  function focusItem(li) {
    if (!li) return;
    items().forEach((other) => other.setAttribute("tabindex", "-1"));
    li.setAttribute("tabindex", "0");
    li.focus();
  }

  function ensureRovingFocus() {
    const all = items();
    if (!all.length) return;
    if (!all.some((li) => li.getAttribute("tabindex") === "0")) all[0].setAttribute("tabindex", "0");
  }

  function parentItem(li) {
    const group = li.parentElement;
    return group ? group.closest("li[data-kind]") : null;
  }

  function objectiveSiblings(group) {
    return Array.from(group.children).filter((el) => el.dataset.kind === "objective");
  }

  function krSiblings(group) {
    return Array.from(group.children).filter((el) => el.dataset.kind === "kr");
  }

  function rootGroup() {
    return tree.querySelector("[data-root-group]");
  }

  // --------------------------------------------------------------------------------------------- collapse/expand
  function setExpanded(li, expanded) {
    if (li.dataset.kind !== "objective") return;
    const group = li.querySelector(":scope > ul");
    if (!group || !group.children.length) {
      li.removeAttribute("aria-expanded");
      return;
    }
    li.setAttribute("aria-expanded", expanded ? "true" : "false");
    if (expanded) state.collapsed.delete(li.dataset.id);
    else state.collapsed.add(li.dataset.id);
    sessionStorage.setItem(storageKey, JSON.stringify(Array.from(state.collapsed)));
  }

  function applyCollapsed() {
    tree.querySelectorAll('li[data-kind="objective"]').forEach((li) => {
      const group = li.querySelector(":scope > ul");
      if (!group || !group.children.length) {
        li.removeAttribute("aria-expanded");
        return;
      }
      li.setAttribute("aria-expanded", state.collapsed.has(li.dataset.id) ? "false" : "true");
      const toggle = li.querySelector(":scope > .row [data-toggle]");
      if (toggle) toggle.title = state.collapsed.has(li.dataset.id) ? text.textExpand : text.textCollapse;
    });
  }

  function expandAll(expanded) {
    tree.querySelectorAll('li[data-kind="objective"]').forEach((li) => setExpanded(li, expanded));
    applyCollapsed();
  }

  // ------------------------------------------------------------------------------------------------ tree refresh
  function currentParams() {
    const params = new URLSearchParams(window.location.search);
    params.set("cycle", cycle);
    params.set("partial", "tree");
    return params;
  }

  async function refreshTree(options) {
    options = options || {};
    const active = document.activeElement;
    const keep =
      options.focus ||
      (active && active.dataset && active.dataset.kind ? { kind: active.dataset.kind, id: active.dataset.id } : null);
    let response;
    try {
      response = await fetch(urls.tree + "?" + currentParams().toString(), {
        headers: { Accept: "text/html" },
        credentials: "same-origin",
      });
    } catch (e) {
      return;
    }
    if (!response.ok) return;
    const html = await response.text();
    tree.innerHTML = html;
    if (window.htmx) window.htmx.process(tree);
    afterTreeSwap();
    if (keep) {
      const li = findItem(keep.kind, keep.id);
      if (li && (options.focus || tree.contains(active) || active === document.body)) focusItem(li);
    }
    if (sunburstVisible()) drawSunburst();
  }

  function afterTreeSwap() {
    const marker = tree.querySelector("[data-tree-signature]");
    if (marker) state.signature = marker.dataset.treeSignature;
    applyCollapsed();
    ensureRovingFocus();
  }

  function requestRefresh() {
    if (state.editor || state.dragging || state.busy || document.querySelector("dialog[open]")) {
      state.pendingRefresh = true;
      return;
    }
    state.pendingRefresh = false;
    refreshTree();
  }

  function flushPendingRefresh() {
    if (state.pendingRefresh) requestRefresh();
  }

  async function poll() {
    if (document.hidden || !cycle) return;
    try {
      const response = await fetch(urls.signature + "?cycle=" + encodeURIComponent(cycle), {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      });
      if (!response.ok) return;
      const data = await response.json();
      if (state.signature !== null && data.signature !== state.signature) requestRefresh();
    } catch (e) {
      // offline for a moment: the next poll tries again
    }
  }

  // ----------------------------------------------------------------------------------------------------- editors
  function cloneEditor(kind) {
    const template = document.getElementById(kind === "kr" ? "tpl-kr-editor" : "tpl-objective-editor");
    return template.content.firstElementChild.cloneNode(true);
  }

  function closeEditor(options) {
    const editor = state.editor;
    if (!editor) return;
    state.editor = null;
    editor.li.remove();
    if (editor.row) editor.row.classList.remove("editing");
    if (options && options.focus) focusItem(options.focus);
    flushPendingRefresh();
  }

  function editorError(li, message, extra) {
    const box = li.querySelector("[data-editor-error]");
    box.textContent = "";
    const strong = document.createElement("strong");
    strong.textContent = message;
    box.appendChild(strong);
    if (extra) box.appendChild(extra);
    box.hidden = false;
  }

  function clearEditorError(li) {
    const box = li.querySelector("[data-editor-error]");
    box.hidden = true;
    box.textContent = "";
  }

  // New objective row: inside `group` (a <ul>), after `afterLi` (or at the start of the objectives in the group).
  function openObjectiveEditor(group, afterLi, defaults) {
    if (!editable || !group) return;
    closeEditor();
    const li = cloneEditor("objective");
    placeInGroup(li, group, afterLi, "objective");
    const form = li.querySelector("form");
    const parentLi = group.closest("li[data-kind]");
    if (parentLi) {
      setExpanded(parentLi, true);
      applyCollapsed();
    }
    form.elements.team.value = (defaults && defaults.team) || childTeam(parentLi);
    if (!form.elements.team.value) form.elements.team.selectedIndex = 0;
    form.elements.team.addEventListener("change", () => (form.elements.team.dataset.touched = "1"));
    state.editor = { li: li, kind: "objective", mode: "new" };
    form.elements.title.focus();
  }

  // Below a company objective the next level is usually marketing's; deeper down a child keeps its parent's team.
  function childTeam(parentLi) {
    if (!parentLi) return "company";
    return parentLi.dataset.team === "company" ? "marketing" : parentLi.dataset.team;
  }

  function placeInGroup(li, group, afterLi, kind) {
    if (afterLi && afterLi.parentElement === group) {
      afterLi.after(li);
      return;
    }
    if (kind === "objective") {
      const krs = krSiblings(group);
      const first = objectiveSiblings(group)[0];
      if (first) first.before(li);
      else if (krs.length) krs[krs.length - 1].after(li);
      else group.appendChild(li);
    } else {
      const krs = krSiblings(group);
      if (krs.length) krs[krs.length - 1].after(li);
      else group.prepend(li);
    }
  }

  function openKrEditor(objectiveLi, afterLi) {
    if (!editable || !objectiveLi) return;
    closeEditor();
    const group = objectiveLi.querySelector(":scope > ul");
    const li = cloneEditor("kr");
    placeInGroup(li, group, afterLi, "kr");
    setExpanded(objectiveLi, true);
    applyCollapsed();
    state.editor = { li: li, kind: "kr", mode: "new", objective: objectiveLi.dataset.id };
    li.querySelector("form").elements.title.focus();
  }

  function openEditInPlace(itemLi) {
    if (!inlineEdit) return;
    closeEditor();
    const kind = itemLi.dataset.kind;
    const li = cloneEditor(kind);
    li.classList.add("editor-inplace");
    const form = li.querySelector("form");
    const row = itemLi.querySelector(":scope > .row");
    row.classList.add("editing");
    row.after(li);
    form.elements.title.value = itemLi.dataset.title;
    form.elements.owner.value = itemLi.dataset.owner || "";
    if (kind === "objective") {
      ensureOption(form.elements.team, itemLi.dataset.team);
      form.elements.team.value = itemLi.dataset.team;
    } else {
      form.elements.kind.value = itemLi.dataset.krKind;
      form.elements.unit.value = itemLi.dataset.unit;
      form.elements.start_value.value = itemLi.dataset.startRaw;
      form.elements.target_value.value = itemLi.dataset.target;
      form.elements.weight.value = itemLi.dataset.weight;
      if (!editable) {
        ["kind", "unit", "start_value", "target_value", "weight"].forEach((name) => form.elements[name].remove());
      }
    }
    state.editor = { li: li, kind: kind, mode: "edit", item: itemLi, row: row, version: itemLi.dataset.version };
    form.elements.title.focus();
    form.elements.title.select();
  }

  function ensureOption(select, value) {
    if (!value || Array.from(select.options).some((o) => o.value === value)) return;
    const option = document.createElement("option");
    option.value = option.textContent = value;
    select.appendChild(option);
  }

  function formFields(form) {
    const fields = {};
    Array.from(form.elements).forEach((el) => {
      if (el.name) fields[el.name] = el.value.trim();
    });
    return fields;
  }

  async function saveEditor() {
    const editor = state.editor;
    if (!editor || state.busy) return;
    const form = editor.li.querySelector("form");
    const fields = formFields(form);
    if (editor.mode === "new" && !fields.title) {
      // Enter on an empty new row: the facilitator is done with this level.
      const focus = editor.li.previousElementSibling || parentItem(editor.li);
      closeEditor({ focus: focus && focus.dataset.kind ? focus : null });
      return;
    }
    clearEditorError(editor.li);
    state.busy = true;
    editor.li.classList.add("saving");
    let result;
    if (editor.mode === "new" && editor.kind === "objective") {
      const group = editor.li.parentElement;
      const parentLi = group.closest("li[data-kind]");
      const previous = previousObjective(editor.li);
      fields.parent = parentLi ? parentLi.dataset.id : "";
      fields.after = previous ? previous.dataset.id : "";
      result = await post("objective-create", 0, fields);
    } else if (editor.mode === "new") {
      fields.objective = editor.objective;
      if (fields.kind === "milestone") {
        delete fields.start_value;
        delete fields.target_value;
      }
      if (!fields.weight) delete fields.weight;
      result = await post("kr-create", 0, fields);
    } else if (editor.kind === "objective") {
      fields.version = editor.version;
      result = await post("objective-update", editor.item.dataset.id, fields);
    } else {
      fields.version = editor.version;
      if (fields.kind === "milestone" || !editable) {
        delete fields.start_value;
        delete fields.target_value;
      }
      result = await post("kr-update", editor.item.dataset.id, fields);
    }
    state.busy = false;
    editor.li.classList.remove("saving");
    if (state.editor !== editor) return;
    if (!result.ok) {
      refusedSave(editor, result);
      return;
    }
    showFeedback("");
    if (editor.mode === "new" && editor.kind === "objective") {
      const parentId = fields.parent;
      const team = fields.team;
      state.editor = null;
      editor.li.remove();
      await refreshTree();
      const created = findItem("objective", result.data.id);
      const group = created ? created.parentElement : parentId ? findItem("objective", parentId) : rootGroup();
      openObjectiveEditor(group, created, { team: team });
    } else if (editor.mode === "new") {
      const objectiveId = editor.objective;
      state.editor = null;
      editor.li.remove();
      await refreshTree();
      const objectiveLi = findItem("objective", objectiveId);
      openKrEditor(objectiveLi, findItem("kr", result.data.id));
    } else {
      const kind = editor.kind;
      const id = editor.item.dataset.id;
      state.editor = null;
      editor.li.remove();
      await refreshTree({ focus: { kind: kind, id: id } });
    }
  }

  function previousObjective(li) {
    let el = li.previousElementSibling;
    while (el && el.dataset.kind !== "objective") el = el.previousElementSibling;
    return el;
  }

  function refusedSave(editor, result) {
    const data = result.data || {};
    if (result.status === 409 && data.current) {
      // Stale: never overwrite silently. Show who changed it and the fresh value; keep the typed text.
      const current = data.current;
      const extra = document.createElement("span");
      extra.className = "conflict-detail";
      const fresh = document.createElement("span");
      fresh.className = "conflict-current";
      fresh.dataset.testid = "conflict-current";
      fresh.textContent = " " + text.textCurrent + " “" + (current.title || "") + "”";
      if (current.owner_name) fresh.textContent += " · " + current.owner_name;
      if (current.target_value !== undefined) fresh.textContent += " · " + current.target_value;
      extra.appendChild(fresh);
      const hint = document.createElement("span");
      hint.className = "conflict-hint";
      hint.textContent = " " + text.textConflictHint + " ";
      extra.appendChild(hint);
      const use = document.createElement("button");
      use.type = "button";
      use.className = "btn-link";
      use.textContent = text.textUseCurrent;
      use.addEventListener("click", () => {
        const form = editor.li.querySelector("form");
        Object.entries(current).forEach(([key, value]) => {
          const field = form.elements[key === "owner" ? "owner" : key];
          if (field && field.tagName && value !== null && value !== undefined) field.value = value;
        });
        form.elements.title.focus();
      });
      extra.appendChild(use);
      if (current.version) editor.version = String(current.version);
      if (editor.item) {
        editor.item.dataset.version = editor.version;
      }
      editorError(editor.li, data.message, extra);
      state.pendingRefresh = true;
    } else {
      editorError(editor.li, data.message || text.textRefused);
    }
    const title = editor.li.querySelector("form").elements.title;
    title.focus();
  }

  // Alt+→ / Alt+← inside a new objective row: change where it will be created (before it is saved).
  function indentEditor(direction) {
    const editor = state.editor;
    if (!editor || editor.mode !== "new" || editor.kind !== "objective") return;
    const li = editor.li;
    if (direction > 0) {
      const previous = previousObjective(li);
      if (!previous) return;
      const group = previous.querySelector(":scope > ul");
      group.appendChild(li);
      setExpanded(previous, true);
      applyCollapsed();
      const team = li.querySelector("form").elements.team;
      if (!team.dataset.touched) team.value = childTeam(previous);
    } else {
      const parentLi = li.parentElement.closest("li[data-kind]");
      if (!parentLi) return;
      parentLi.after(li);
      const team = li.querySelector("form").elements.team;
      if (!team.dataset.touched) team.value = childTeam(parentItem(li));
    }
    li.querySelector("form").elements.title.focus();
  }

  // ------------------------------------------------------------------------------------------- structure actions
  async function structural(name, li, extra, focus) {
    if (!editable || state.busy) return;
    state.busy = true;
    const kind = li.dataset.kind;
    const result = await post(name, li.dataset.id, Object.assign({ version: li.dataset.version }, extra || {}));
    state.busy = false;
    if (!result.ok) {
      refused(li, result.data.message);
      flushPendingRefresh();
      return false;
    }
    showFeedback("");
    await refreshTree({ focus: focus === undefined ? { kind: kind, id: li.dataset.id } : focus });
    return true;
  }

  function refused(li, message) {
    const full = (message || "").trim();
    showFeedback(full, "error");
    toast(full, "error");
    if (li) {
      li.classList.remove("refused");
      void li.offsetWidth;
      li.classList.add("refused");
      setTimeout(() => li.classList.remove("refused"), 900);
    }
  }

  function moveAmongSiblings(li, delta) {
    const group = li.parentElement;
    if (li.dataset.kind === "objective") {
      const siblings = objectiveSiblings(group);
      const index = siblings.indexOf(li) + delta;
      if (index < 0 || index >= siblings.length) return;
      const parentLi = parentItem(li);
      structural("objective-move", li, { parent: parentLi ? parentLi.dataset.id : "", position: index });
    } else {
      const siblings = krSiblings(group);
      const index = siblings.indexOf(li) + delta;
      if (index < 0 || index >= siblings.length) return;
      structural("kr-move", li, { objective: li.dataset.objective, position: index });
    }
  }

  function confirmDialog(message) {
    const dialog = document.getElementById("confirm-dialog");
    dialog.querySelector("[data-confirm-text]").textContent = message;
    return new Promise((resolve) => {
      const ok = dialog.querySelector("[data-confirm-ok]");
      const cancel = dialog.querySelector("[data-confirm-cancel]");
      function done(value) {
        ok.removeEventListener("click", onOk);
        cancel.removeEventListener("click", onCancel);
        dialog.removeEventListener("close", onCancel);
        if (dialog.open) dialog.close();
        resolve(value);
      }
      function onOk() {
        done(true);
      }
      function onCancel() {
        done(false);
      }
      ok.addEventListener("click", onOk);
      cancel.addEventListener("click", onCancel);
      dialog.addEventListener("close", onCancel);
      dialog.showModal();
      cancel.focus();
    });
  }

  async function deleteItem(li) {
    const template = li.dataset.kind === "kr" ? text.textConfirmDeleteKr : text.textConfirmDeleteObjective;
    const confirmed = await confirmDialog(template.replace("{title}", li.dataset.title));
    if (!confirmed) {
      focusItem(li);
      return;
    }
    const next = nextFocusAfterRemoval(li);
    await structural(li.dataset.kind === "kr" ? "kr-delete" : "objective-delete", li, {}, next);
  }

  function nextFocusAfterRemoval(li) {
    const visible = visibleItems();
    const index = visible.indexOf(li);
    const candidate = visible.slice(index + 1).find((el) => !li.contains(el)) || visible[index - 1];
    return candidate ? { kind: candidate.dataset.kind, id: candidate.dataset.id } : null;
  }

  // ------------------------------------------------------------------------------------------------- check-ins
  async function openCheckIn(li) {
    if (!li || li.dataset.kind !== "kr" || !li.dataset.canCheckIn) return;
    const dialog = document.getElementById("checkin-dialog");
    const body = dialog.querySelector("[data-checkin-body]");
    const response = await fetch(urlFor("checkin", li.dataset.id) + "?context=cascade", {
      headers: { "HX-Request": "true" },
      credentials: "same-origin",
    });
    if (!response.ok) return;
    body.innerHTML = await response.text();
    if (window.htmx) window.htmx.process(body);
    dialog.dataset.returnKind = "kr";
    dialog.dataset.returnId = li.dataset.id;
    dialog.showModal();
    const first = body.querySelector("input, select, textarea");
    if (first) first.focus();
  }

  document.body.addEventListener("cascade:checked-in", () => {
    const dialog = document.getElementById("checkin-dialog");
    if (dialog.open) dialog.close();
    refreshTree({ focus: { kind: "kr", id: dialog.dataset.returnId } });
  });

  // -------------------------------------------------------------------------------------------------- keyboard
  function onTreeKey(event) {
    if (state.editor && state.editor.li.contains(event.target)) {
      onEditorKey(event);
      return;
    }
    const li = event.target.closest && event.target.closest("li[data-kind]");
    if (!li || event.target !== li) return;
    const visible = visibleItems();
    const index = visible.indexOf(li);
    const kind = li.dataset.kind;
    const key = event.key;
    let handled = true;
    if (event.altKey && key === "ArrowRight") {
      if (kind === "objective") structural("objective-indent", li);
    } else if (event.altKey && key === "ArrowLeft") {
      if (kind === "objective") structural("objective-outdent", li);
    } else if (event.altKey && key === "ArrowUp") {
      moveAmongSiblings(li, -1);
    } else if (event.altKey && key === "ArrowDown") {
      moveAmongSiblings(li, 1);
    } else if (event.altKey || event.ctrlKey || event.metaKey) {
      handled = false;
    } else if (key === "ArrowDown") {
      focusItem(visible[index + 1]);
    } else if (key === "ArrowUp") {
      focusItem(visible[index - 1]);
    } else if (key === "Home") {
      focusItem(visible[0]);
    } else if (key === "End") {
      focusItem(visible[visible.length - 1]);
    } else if (key === "ArrowRight") {
      if (li.getAttribute("aria-expanded") === "false") {
        setExpanded(li, true);
        applyCollapsed();
      } else if (li.getAttribute("aria-expanded") === "true") {
        focusItem(li.querySelector(":scope > ul > li[data-kind]"));
      }
    } else if (key === "ArrowLeft") {
      if (li.getAttribute("aria-expanded") === "true") {
        setExpanded(li, false);
        applyCollapsed();
      } else {
        focusItem(parentItem(li));
      }
    } else if (key === "Enter" || key === "F2") {
      if (inlineEdit) openEditInPlace(li);
      else if (kind === "objective") window.location.href = urlFor("objective-detail", li.dataset.id);
    } else if (key === "n" || key === "N") {
      if (kind === "objective") openObjectiveEditor(li.parentElement, li);
      else openKrEditor(parentItem(li), li);
    } else if (key === "c" || key === "C") {
      const target = kind === "objective" ? li : parentItem(li);
      const group = target.querySelector(":scope > ul");
      const objectives = objectiveSiblings(group);
      openObjectiveEditor(group, objectives[objectives.length - 1] || null);
    } else if (key === "k" || key === "K") {
      openKrEditor(kind === "objective" ? li : parentItem(li), kind === "kr" ? li : null);
    } else if (key === "i" || key === "I") {
      openCheckIn(li);
    } else if (key === "d" || key === "D") {
      const objectiveLi = kind === "objective" ? li : parentItem(li);
      window.location.href = urlFor("objective-detail", objectiveLi.dataset.id);
    } else if (key === "Delete") {
      if (editable) deleteItem(li);
    } else {
      handled = false;
    }
    if (handled) event.preventDefault();
  }

  function onEditorKey(event) {
    const key = event.key;
    if (key === "Enter" && !event.shiftKey && event.target.tagName !== "TEXTAREA") {
      event.preventDefault();
      saveEditor();
    } else if (key === "Escape") {
      event.preventDefault();
      event.stopPropagation();
      const editor = state.editor;
      let focus = editor.item || previousObjective(editor.li) || editor.li.previousElementSibling || parentItem(editor.li);
      if (focus && !focus.dataset.kind) focus = null;
      closeEditor({ focus: focus });
      if (!focus) {
        const add = tree.querySelector("[data-add-root]");
        if (add) add.focus();
      }
    } else if (event.altKey && (key === "ArrowRight" || key === "ArrowLeft")) {
      event.preventDefault();
      indentEditor(key === "ArrowRight" ? 1 : -1);
    }
  }

  function isTyping(target) {
    return target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
  }

  function onGlobalKey(event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    if (isTyping(event.target) || document.querySelector("dialog[open]")) return;
    if (event.key === "?") {
      openDialog("keyboard-help");
    } else if (event.key === "w" || event.key === "W") {
      toggleWall();
    } else if (event.key === "/") {
      const search = document.getElementById("cascade-search");
      if (search) search.focus();
    } else if (event.key === "+") {
      expandAll(true);
    } else if (event.key === "-") {
      expandAll(false);
    } else if ((event.key === "n" || event.key === "N") && editable && !tree.contains(event.target)) {
      // Nothing focused in the tree: a new top-level objective at the end.
      const group = rootGroup();
      if (!group) return;
      const objectives = objectiveSiblings(group);
      openObjectiveEditor(group, objectives[objectives.length - 1] || null, { team: "company" });
    } else if (event.key === "ArrowDown" && !tree.contains(event.target)) {
      focusItem(visibleItems()[0]);
    } else {
      return;
    }
    event.preventDefault();
  }

  // ------------------------------------------------------------------------------------------------ drag & drop
  function dropZone(event, li) {
    const row = li.querySelector(":scope > .row");
    const rect = row.getBoundingClientRect();
    const ratio = (event.clientY - rect.top) / Math.max(rect.height, 1);
    const dragged = state.dragging;
    if (dragged.kind === "kr") {
      if (li.dataset.kind === "objective") return "inside";
      return ratio < 0.5 ? "before" : "after";
    }
    if (li.dataset.kind !== "objective") return null;
    if (ratio < 0.28) return "before";
    if (ratio > 0.72) return "after";
    return "inside";
  }

  function clearDropMarks() {
    tree.querySelectorAll(".drop-before, .drop-after, .drop-inside").forEach((el) => {
      el.classList.remove("drop-before", "drop-after", "drop-inside");
    });
  }

  function onDragStart(event) {
    const row = event.target.closest && event.target.closest(".row[draggable]");
    if (!row || !editable || state.editor) return;
    const li = row.parentElement;
    state.dragging = { kind: li.dataset.kind, id: li.dataset.id, version: li.dataset.version, li: li };
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", li.dataset.kind + ":" + li.dataset.id);
    li.classList.add("dragging");
  }

  function onDragOver(event) {
    if (!state.dragging) return;
    const li = event.target.closest && event.target.closest("li[data-kind]");
    if (!li || li === state.dragging.li) return;
    const zone = dropZone(event, li);
    if (!zone) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    clearDropMarks();
    li.querySelector(":scope > .row").classList.add("drop-" + zone);
  }

  function onDragLeave(event) {
    if (event.target.classList && event.target.classList.contains("row")) {
      event.target.classList.remove("drop-before", "drop-after", "drop-inside");
    }
  }

  async function onDrop(event) {
    if (!state.dragging) return;
    const li = event.target.closest && event.target.closest("li[data-kind]");
    const dragged = state.dragging;
    clearDropMarks();
    if (!li || li === dragged.li) return;
    const zone = dropZone(event, li);
    if (!zone) return;
    event.preventDefault();
    state.dragging = null;
    dragged.li.classList.remove("dragging");
    if (dragged.kind === "objective") {
      let parentId;
      let siblings;
      let position;
      if (zone === "inside") {
        parentId = li.dataset.id;
        siblings = objectiveSiblings(li.querySelector(":scope > ul")).filter((el) => el !== dragged.li);
        position = siblings.length;
      } else {
        const parentLi = parentItem(li);
        parentId = parentLi ? parentLi.dataset.id : "";
        siblings = objectiveSiblings(li.parentElement).filter((el) => el !== dragged.li);
        position = siblings.indexOf(li) + (zone === "after" ? 1 : 0);
      }
      await structural("objective-move", dragged.li, { parent: parentId, position: position });
    } else {
      let objectiveId;
      let position;
      if (zone === "inside") {
        objectiveId = li.dataset.id;
        position = krSiblings(li.querySelector(":scope > ul")).filter((el) => el !== dragged.li).length;
      } else {
        objectiveId = li.dataset.objective;
        const siblings = krSiblings(li.parentElement).filter((el) => el !== dragged.li);
        position = siblings.indexOf(li) + (zone === "after" ? 1 : 0);
      }
      await structural("kr-move", dragged.li, { objective: objectiveId, position: position });
    }
  }

  function onDragEnd() {
    clearDropMarks();
    if (state.dragging) state.dragging.li.classList.remove("dragging");
    state.dragging = null;
    flushPendingRefresh();
  }

  // ------------------------------------------------------------------------------------------------------ clicks
  function onTreeClick(event) {
    const target = event.target;
    const addRoot = target.closest("[data-add-root]");
    if (addRoot) {
      const group = rootGroup();
      const objectives = group ? objectiveSiblings(group) : [];
      openObjectiveEditor(group, objectives[objectives.length - 1] || null, { team: "company" });
      return;
    }
    const li = target.closest("li[data-kind]");
    if (!li) return;
    const action = target.closest("[data-action]");
    if (action) {
      event.preventDefault();
      const name = action.dataset.action;
      if (name === "add-child") {
        const group = li.querySelector(":scope > ul");
        const objectives = objectiveSiblings(group);
        openObjectiveEditor(group, objectives[objectives.length - 1] || null);
      } else if (name === "add-kr") openKrEditor(li, null);
      else if (name === "delete") deleteItem(li);
      else if (name === "check-in") openCheckIn(li);
      return;
    }
    if (target.closest("[data-toggle]")) {
      setExpanded(li, li.getAttribute("aria-expanded") === "false");
      applyCollapsed();
      focusItem(li);
      return;
    }
    if (target.closest("form")) return;
    const title = target.closest("[data-edit-title]");
    if (title && inlineEdit && title.closest("li[data-kind]") === li) {
      event.preventDefault();
      openEditInPlace(li);
      return;
    }
    if (!title) focusItem(li);
  }

  // ------------------------------------------------------------------------------------------ dialogs and views
  function openDialog(id) {
    const dialog = document.getElementById(id);
    if (dialog && !dialog.open) {
      dialog.showModal();
      const first = dialog.querySelector("input:not([type=hidden]), select, button");
      if (first) first.focus();
    }
  }

  document.addEventListener("click", (event) => {
    const opener = event.target.closest("[data-dialog-open]");
    if (opener) {
      event.preventDefault();
      openDialog(opener.dataset.dialogOpen);
      return;
    }
    const closer = event.target.closest("[data-dialog-close]");
    if (closer) {
      const dialog = closer.closest("dialog");
      if (dialog) dialog.close();
    }
  });

  document.querySelectorAll("dialog").forEach((dialog) => {
    dialog.addEventListener("close", flushPendingRefresh);
  });

  function toggleWall() {
    const on = document.documentElement.classList.toggle("wall");
    document.querySelectorAll("[data-wall-toggle][aria-pressed]").forEach((b) => b.setAttribute("aria-pressed", on));
    const params = new URLSearchParams(window.location.search);
    if (on) params.set("wall", "1");
    else params.delete("wall");
    const query = params.toString();
    history.replaceState(null, "", window.location.pathname + (query ? "?" + query : ""));
    const hidden = document.querySelector('.cascade-filters input[name="wall"]');
    if (on && !hidden) {
      const input = document.createElement("input");
      input.type = "hidden";
      input.name = "wall";
      input.value = "1";
      const form = document.querySelector(".cascade-filters");
      if (form) form.appendChild(input);
    } else if (!on && hidden) hidden.remove();
    if (sunburstVisible()) drawSunburst();
  }

  document.querySelectorAll("[data-wall-toggle]").forEach((button) => button.addEventListener("click", toggleWall));

  // ----------------------------------------------------------------------------------------------------- sunburst
  let plotlyLoading = null;

  function loadPlotly() {
    if (window.Plotly) return Promise.resolve();
    if (!plotlyLoading) {
      plotlyLoading = new Promise((resolve, reject) => {
        const script = document.createElement("script");
        script.src = root.dataset.plotlySrc;
        script.onload = resolve;
        script.onerror = reject;
        document.head.appendChild(script);
      });
    }
    return plotlyLoading;
  }

  function sunburstVisible() {
    const panel = document.querySelector('[data-panel="sunburst"]');
    return panel && !panel.hidden;
  }

  async function drawSunburst() {
    const target = document.querySelector("[data-sunburst]");
    if (!target) return;
    await loadPlotly();
    const response = await fetch(urls.sunburst + "?cycle=" + encodeURIComponent(cycle), { credentials: "same-origin" });
    if (!response.ok) return;
    const figure = await response.json();
    if (document.documentElement.classList.contains("wall")) {
      figure.layout.font = Object.assign({}, figure.layout.font, { size: 18, color: "#fff" });
      figure.layout.height = Math.max(640, window.innerHeight - 140);
    }
    window.Plotly.react(target, figure.data, figure.layout, { displaylogo: false, responsive: true });
  }

  document.querySelectorAll("[data-view]").forEach((button) => {
    button.addEventListener("click", () => {
      const view = button.dataset.view;
      document.querySelectorAll("[data-view]").forEach((b) => b.setAttribute("aria-pressed", b === button));
      document.querySelectorAll("[data-panel]").forEach((panel) => {
        panel.hidden = panel.dataset.panel !== view;
      });
      if (view === "sunburst") drawSunburst();
    });
  });

  // ------------------------------------------------------------------------------------------------------ wiring
  const expandButton = document.querySelector("[data-expand-all]");
  if (expandButton) expandButton.addEventListener("click", () => expandAll(true));
  const collapseButton = document.querySelector("[data-collapse-all]");
  if (collapseButton) collapseButton.addEventListener("click", () => expandAll(false));

  document.querySelectorAll("form[data-autosubmit] select").forEach((select) => {
    select.addEventListener("change", () => select.form.submit());
  });

  if (tree) {
    tree.addEventListener("keydown", onTreeKey);
    tree.addEventListener("click", onTreeClick);
    tree.addEventListener("focusin", (event) => {
      const li = event.target;
      if (li.dataset && li.dataset.kind && li.getAttribute("tabindex") !== "0") focusItem(li);
    });
    tree.addEventListener("dragstart", onDragStart);
    tree.addEventListener("dragover", onDragOver);
    tree.addEventListener("dragleave", onDragLeave);
    tree.addEventListener("drop", onDrop);
    tree.addEventListener("dragend", onDragEnd);
    // htmx swaps the tree when the filters change; restore collapsed rows and the roving focus afterwards.
    document.body.addEventListener("htmx:afterSwap", (event) => {
      if (event.detail.target === tree) afterTreeSwap();
    });
    afterTreeSwap();
    if (cycle) setInterval(poll, POLL_MS);
  }
  document.addEventListener("keydown", onGlobalKey);

  // Never lose input: a filter swap or leaving the page would throw away a row that is being typed.
  function editorHasInput() {
    if (!state.editor) return false;
    const form = state.editor.li.querySelector("form");
    if (state.editor.mode === "new") return form.elements.title.value.trim() !== "";
    return form.elements.title.value.trim() !== (state.editor.item.dataset.title || "");
  }
  document.body.addEventListener("htmx:beforeRequest", (event) => {
    if (event.detail.target !== tree || !state.editor) return;
    if (editorHasInput()) {
      event.preventDefault();
      showFeedback(text.textFinishEdit, "info");
      state.editor.li.querySelector("form").elements.title.focus();
    } else {
      closeEditor();
    }
  });
  window.addEventListener("beforeunload", (event) => {
    if (editorHasInput()) {
      event.preventDefault();
      event.returnValue = "";
    }
  });
  document.body.addEventListener("cascade:changed", () => requestRefresh());
  root.dataset.ready = "1";
})();
