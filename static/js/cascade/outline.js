// Outline editing: the row editors, optimistic new rows and every change sent through the page's save queue.
// Enter on a new row puts the row into the tree at once (marked "Saving…") and opens the next empty row below it
// before the server answers; the request that creates it looks up its parent and predecessor when it is sent, so a
// child typed under a row that is still being saved lands under that row. A refused row keeps what was typed.
import { apiCall, idempotencyKey, refusalMessage } from "../okr/api.js";
import { confirmRow, parseNumber, pendingRow, setRowState, showValues } from "./rows.js";

export function createOutline(ctx) {
  const { tree, queue, api, text } = ctx;
  const state = { editor: null }; // {li, kind, mode: "new"|"edit"|"retry", item?}

  function cloneEditor(kind) {
    const template = document.getElementById(kind === "kr" ? "tpl-kr-editor" : "tpl-objective-editor");
    return template.content.firstElementChild.cloneNode(true);
  }

  function form() {
    return state.editor.li.querySelector("form");
  }

  function editorHasInput() {
    if (!state.editor) return false;
    const title = form().elements.title.value.trim();
    return state.editor.mode === "edit" ? title !== (state.editor.item.dataset.title || "") : title !== "";
  }

  function closeEditor(focus) {
    const editor = state.editor;
    if (!editor) return;
    state.editor = null;
    editor.li.remove();
    if (editor.item) editor.item.querySelector(":scope > .row").classList.remove("editing");
    if (focus) tree.focus(focus);
  }

  function labelFor(field) {
    const input = state.editor && form().elements[field];
    return input ? input.getAttribute("aria-label") : "";
  }

  function editorError(message, extra) {
    const box = state.editor.li.querySelector("[data-editor-error]");
    box.textContent = "";
    const strong = document.createElement("strong");
    strong.textContent = message;
    box.appendChild(strong);
    if (extra) box.appendChild(extra);
    box.hidden = false;
    form().elements.title.focus();
  }

  function placeInGroup(li, group, afterLi, kind) {
    if (afterLi && afterLi.parentElement === group) afterLi.after(li);
    else if (kind === "objective") {
      const first = tree.objectives(group)[0];
      const krs = tree.keyResults(group);
      if (first) first.before(li);
      else if (krs.length) krs[krs.length - 1].after(li);
      else group.appendChild(li);
    } else {
      const krs = tree.keyResults(group);
      if (krs.length) krs[krs.length - 1].after(li);
      else group.prepend(li);
    }
  }

  // A top-level objective belongs to the company level; below it the next level is usually marketing's; deeper
  // down a child keeps its parent's team. Teams are the company's (members page): found by kind in the chooser.
  function childTeam(parentLi, select) {
    const ofKind = (kind) => {
      const option = select.querySelector('option[data-kind="' + kind + '"]');
      return option ? option.value : "";
    };
    if (!parentLi) return ofKind("company");
    if (parentLi.dataset.teamKind === "company") return ofKind("marketing") || parentLi.dataset.team || "";
    return parentLi.dataset.team || "";
  }

  function openObjectiveEditor(group, afterLi, defaults) {
    if (!ctx.editable || !group) return;
    closeEditor();
    const li = cloneEditor("objective");
    placeInGroup(li, group, afterLi, "objective");
    const parentLi = group.closest("li[data-kind]");
    if (parentLi) tree.setExpanded(parentLi, true);
    const fields = li.querySelector("form").elements;
    fields.team.value = (defaults && defaults.team) || childTeam(parentLi, fields.team);
    if (!fields.team.value) fields.team.selectedIndex = 0;
    if (defaults && defaults.owner) fields.owner.value = defaults.owner;
    fields.team.addEventListener("change", () => (fields.team.dataset.touched = "1"));
    state.editor = { li: li, kind: "objective", mode: "new" };
    fields.title.focus();
  }

  function openKrEditor(objectiveLi, afterLi) {
    if (!ctx.editable || !objectiveLi) return;
    closeEditor();
    const li = cloneEditor("kr");
    placeInGroup(li, tree.group(objectiveLi), afterLi, "kr");
    tree.setExpanded(objectiveLi, true);
    state.editor = { li: li, kind: "kr", mode: "new" };
    li.querySelector("form").elements.title.focus();
  }

  function fill(fields, values) {
    Object.entries(values).forEach(([name, value]) => {
      const field = fields[name];
      if (!field || value === null || value === undefined) return;
      if (field.tagName === "SELECT" && value !== "" && !Array.from(field.options).some((o) => o.value === String(value))) {
        const option = document.createElement("option");
        option.value = option.textContent = value;
        field.appendChild(option);
      }
      field.value = value;
    });
  }

  // Enter on a row: edit it in place (a row whose create was refused opens with what was typed).
  function openEditInPlace(itemLi) {
    if (!ctx.inlineEdit || tree.pending(itemLi)) return;
    const retry = !itemLi.dataset.id;
    if (retry && !ctx.editable) return;
    closeEditor();
    const kind = itemLi.dataset.kind;
    const li = cloneEditor(kind);
    li.classList.add("editor-inplace");
    const row = itemLi.querySelector(":scope > .row");
    row.classList.add("editing");
    row.after(li);
    const fields = li.querySelector("form").elements;
    if (retry || itemLi.stash) fill(fields, itemLi.stash || {});
    else if (kind === "objective") fill(fields, { title: itemLi.dataset.title, owner: itemLi.dataset.owner || "", team: itemLi.dataset.team });
    else {
      fill(fields, { title: itemLi.dataset.title, owner: itemLi.dataset.owner || "", kind: itemLi.dataset.krKind,
        unit: itemLi.dataset.unit, start_value: itemLi.dataset.startRaw, target_value: itemLi.dataset.target,
        weight: itemLi.dataset.weight }); // prettier-ignore
    }
    if (kind === "kr" && !ctx.editable) {
      ["kind", "unit", "start_value", "target_value", "weight"].forEach((name) => fields[name].remove());
    }
    // The version the user starts from: a live update while typing must not make a stale save look fresh. With
    // an own edit of the row still queued, the save chains on that one's answer instead.
    const version = itemLi.queued ? null : itemLi.dataset.version;
    state.editor = { li: li, kind: kind, mode: retry ? "retry" : "edit", item: itemLi, version: version };
    fields.title.focus();
    if (!itemLi.stash) fields.title.select();
    if (itemLi.refusal) {
      const refusal = itemLi.refusal;
      delete itemLi.refusal;
      editorError(refusal.message, refusal.current ? conflictDetail(refusal.current) : null);
    }
  }

  function collect() {
    const fields = {};
    Array.from(form().elements).forEach((field) => {
      if (field.name) fields[field.name] = field.value.trim();
    });
    return fields;
  }

  // Checked here so that a row with a missing or unreadable number never leaves the editor.
  function numbersOrError(fields) {
    if (state.editor.kind !== "kr" || fields.kind === undefined) return null;
    const lang = document.documentElement.lang;
    const milestone = fields.kind === "milestone";
    for (const name of ["start_value", "target_value", "weight"]) {
      if (fields[name] === undefined || (milestone && name !== "weight")) continue;
      const parsed = parseNumber(fields[name], lang);
      if (parsed === undefined) return labelFor(name) + ": " + text.textNotNumber;
      if (parsed === null && name === "target_value") return labelFor(name) + ": " + text.textTargetMissing;
    }
    return null;
  }

  function saveEditor() {
    const editor = state.editor;
    if (!editor) return;
    const fields = collect();
    if (editor.mode === "new" && !fields.title) {
      // Enter on an empty new row: the facilitator is done with this level.
      const focus = tree.previousObjective(editor.li) || editor.li.previousElementSibling || tree.parentItem(editor.li);
      closeEditor(focus && focus.dataset.kind ? focus : null);
      return;
    }
    if (!fields.title) return editorError(labelFor("title") + ": " + text.textTitleMissing);
    const invalid = numbersOrError(fields);
    if (invalid) return editorError(invalid);
    if (editor.mode === "edit") return saveEdit(editor, fields);
    let row = editor.item;
    if (!row) {
      const level = Number((tree.parentItem(editor.li) || { getAttribute: () => 0 }).getAttribute("aria-level") || 0);
      row = pendingRow(editor.kind, fields, level + 1, text);
      editor.li.before(row);
    } else {
      showValues(row, fields, text);
      delete row.refusal;
    }
    // The next empty row exists before the server answers; typing goes on there.
    const team = editor.kind === "objective" ? fields.team : null;
    if (editor.mode === "new") {
      state.editor = null;
      editor.li.remove();
      if (editor.kind === "objective") openObjectiveEditor(row.parentElement, row, { team: team, owner: fields.owner });
      else openKrEditor(tree.parentItem(row), row);
    } else closeEditor(row);
    queue.push(editor.kind === "objective" ? createObjective(row) : createKeyResult(row));
  }

  function dependencyRefused() {
    return { ok: false, network: false, status: 400, data: { detail: text.textParentNotSaved } };
  }

  // One create through the queue. Its body is worked out when it is first sent (the parent and predecessor may have
  // been saved only just before) and every try sends that same body with the same Idempotency-Key, so a retry after
  // a lost answer gets the first try's row instead of creating a second one (core/idempotency.py).
  function create(li, url, bodyOf) {
    const once = { "Idempotency-Key": idempotencyKey() };
    let body = null;
    return {
      run() {
        body = body || bodyOf();
        return body ? apiCall("POST", url, body, once) : dependencyRefused();
      },
      done(result) {
        if (result.ok) confirmRow(li, result.data);
        else refuseRow(li, result);
        ctx.refreshWhenIdle();
      },
    };
  }

  function createObjective(li) {
    return create(li, api.objectives, () => {
      const parentLi = tree.parentItem(li);
      if (parentLi && !parentLi.dataset.id) return null;
      let previous = tree.previousObjective(li);
      while (previous && !previous.dataset.id) previous = tree.previousObjective(previous);
      const fields = li.stash;
      return {
        cycle: Number(ctx.cycle),
        title: fields.title,
        parent: parentLi ? Number(parentLi.dataset.id) : null,
        after: previous ? Number(previous.dataset.id) : null,
        team: fields.team ? Number(fields.team) : null,
        owner: fields.owner ? Number(fields.owner) : null,
      };
    });
  }

  function createKeyResult(li) {
    return create(li, api.keyResults, () => {
      const objectiveLi = tree.parentItem(li);
      if (!objectiveLi || !objectiveLi.dataset.id) return null;
      const f = li.stash;
      const lang = document.documentElement.lang;
      const body = { objective: Number(objectiveLi.dataset.id), title: f.title, kind: f.kind, unit: f.unit };
      if (f.kind !== "milestone") {
        body.start_value = parseNumber(f.start_value, lang) || "0";
        body.target_value = parseNumber(f.target_value, lang);
      }
      if (parseNumber(f.weight, lang)) body.weight = parseNumber(f.weight, lang);
      if (f.owner) body.owner = Number(f.owner);
      return body;
    });
  }

  // A refused create stays as a marked row with the typed values; Enter on it opens them again.
  function refuseRow(li, result) {
    const message = refusalMessage(result.data, (field) => labelOf(li.dataset.kind, field)) || text.textRefused;
    li.refusal = { message: message, note: text.textNotSaved + " " + message + " " + text.textFailedHint };
    setRowState(li, "failed", li.refusal.note);
    ctx.feedback(message, "error");
  }

  function labelOf(kind, field) {
    const template = document.getElementById(kind === "kr" ? "tpl-kr-editor" : "tpl-objective-editor");
    const input = template && template.content.querySelector('[name="' + field + '"]');
    return input ? input.getAttribute("aria-label") : field;
  }

  function saveEdit(editor, fields) {
    const item = editor.item;
    const kind = editor.kind;
    const changes = {};
    const lang = document.documentElement.lang;
    const before = { title: item.dataset.title, owner: item.dataset.owner || "", team: item.dataset.team,
      kind: item.dataset.krKind, unit: item.dataset.unit, start_value: item.dataset.startRaw,
      target_value: item.dataset.target, weight: item.dataset.weight }; // prettier-ignore
    Object.entries(fields).forEach(([name, value]) => {
      if (value === (before[name] || "") && !item.refusal) return;
      if (["start_value", "target_value", "weight"].includes(name)) {
        if (fields.kind === "milestone" && name !== "weight") return;
        if (parseNumber(value, lang) === parseNumber(before[name], lang)) return;
        changes[name] = parseNumber(value, lang);
      } else if (name === "owner" || name === "team") changes[name] = value ? Number(value) : null;
      else changes[name] = value;
    });
    closeEditor(item);
    if (!Object.keys(changes).length) return;
    item.stash = fields;
    item.querySelector(":scope > .row .title").textContent = fields.title;
    setRowState(item, "pending", text.textSaving);
    item.queued = (item.queued || 0) + 1;
    queue.push({
      run() {
        const url = (kind === "kr" ? api.keyResult : api.objective).replace("/0/", "/" + item.dataset.id + "/");
        const version = Number(editor.version === null ? item.dataset.version : editor.version);
        return apiCall("PATCH", url, Object.assign({ version: version }, changes));
      },
      done(result) {
        item.queued -= 1;
        if (result.ok) {
          item.dataset.version = String(result.data.version);
          item.dataset.title = result.data.title;
          delete item.stash;
          setRowState(item, "saved");
        } else refusedEdit(item, result);
        ctx.refreshWhenIdle();
      },
    });
  }

  // Stale: never overwrite silently. Show who changed it and the fresh value; keep the typed text.
  function refusedEdit(item, result) {
    const data = result.data || {};
    const message = refusalMessage(data, (field) => labelOf(item.dataset.kind, field)) || text.textRefused;
    const note = text.textNotSaved + " " + message + " " + text.textFailedHint;
    item.refusal = { message: message, note: note, current: result.status === 409 ? data.current : null };
    item.querySelector(":scope > .row .title").textContent = item.dataset.title;
    if (result.status === 409 && data.current && data.current.version) item.dataset.version = data.current.version;
    setRowState(item, "failed", note);
    // Reopen the editor only where the user still is: never pull focus out of another row being typed.
    if (!state.editor && (document.activeElement === item || document.activeElement === document.body)) {
      setRowState(item, "saved");
      openEditInPlace(item);
    }
  }

  function conflictDetail(current) {
    const extra = document.createElement("span");
    extra.className = "conflict-detail";
    const fresh = document.createElement("span");
    fresh.className = "conflict-current";
    fresh.textContent = " " + text.textCurrent + " " + text.textQuoteOpen + (current.title || "") + text.textQuoteClose;
    const owners = state.editor && form().elements.owner;
    const owner = owners && Array.from(owners.options).find((o) => o.value && o.value === String(current.owner));
    if (owner) fresh.textContent += " · " + owner.textContent;
    if (current.target_value !== undefined) fresh.textContent += " · " + current.target_value;
    const hint = document.createElement("span");
    hint.className = "conflict-hint";
    hint.textContent = " " + text.textConflictHint + " ";
    const use = document.createElement("button");
    use.type = "button";
    use.className = "btn-link";
    use.textContent = text.textUseCurrent;
    use.addEventListener("click", () => {
      fill(form().elements, current);
      form().elements.title.focus();
    });
    extra.append(fresh, hint, use);
    return extra;
  }

  // Alt+→ / Alt+← inside a new objective row: change where it will be created (before it is saved).
  function indentEditor(direction) {
    const editor = state.editor;
    if (!editor || editor.mode !== "new" || editor.kind !== "objective") return;
    const li = editor.li;
    const team = li.querySelector("form").elements.team;
    if (direction > 0) {
      const previous = tree.previousObjective(li);
      if (!previous) return;
      tree.group(previous).appendChild(li);
      tree.setExpanded(previous, true);
      if (!team.dataset.touched) team.value = childTeam(previous, team);
    } else {
      const parentLi = tree.parentItem(li);
      if (!parentLi) return;
      parentLi.after(li);
      if (!team.dataset.touched) team.value = childTeam(tree.parentItem(li), team);
    }
    li.querySelector("form").elements.title.focus();
  }

  function cancelEditor() {
    const editor = state.editor;
    let focus = editor.item || tree.previousObjective(editor.li) || editor.li.previousElementSibling;
    focus = focus && focus.dataset.kind ? focus : tree.parentItem(editor.li);
    closeEditor(focus);
    if (!focus) {
      const add = tree.el.querySelector("[data-add-root]");
      if (add) add.focus();
    }
  }

  return { state, editorHasInput, closeEditor, openObjectiveEditor, openKrEditor, openEditInPlace, saveEditor,
    indentEditor, cancelEditor }; // prettier-ignore
}
