// The keyboard map. Keys typed into a row editor belong to that editor; page shortcuts (W, +, -, N, ?, /) never
// fire while a row is being typed or any change is still being saved, and keys that need a saved row (edit,
// move, delete, check-in) do nothing on a row that is still pending.
export function bindKeys(ctx, outline, actions) {
  const { tree } = ctx;

  function onTreeKey(event) {
    const editor = outline.state.editor;
    if (editor && editor.li.contains(event.target)) return onEditorKey(event);
    const li = event.target.closest && event.target.closest("li[data-kind]");
    if (!li || event.target !== li) return;
    const visible = tree.visibleItems();
    const index = visible.indexOf(li);
    const kind = li.dataset.kind;
    const saved = !!li.dataset.id && !tree.pending(li);
    const key = event.key;
    let handled = true;
    if (event.altKey && ["ArrowRight", "ArrowLeft", "ArrowUp", "ArrowDown"].includes(key)) {
      if (saved) actions.keyboardMove(li, key);
    } else if (event.altKey || event.ctrlKey || event.metaKey) {
      handled = false;
    } else if (key === "ArrowDown") tree.focus(visible[index + 1]);
    else if (key === "ArrowUp") tree.focus(visible[index - 1]);
    else if (key === "Home") tree.focus(visible[0]);
    else if (key === "End") tree.focus(visible[visible.length - 1]);
    else if (key === "ArrowRight") {
      if (li.getAttribute("aria-expanded") === "false") tree.setExpanded(li, true);
      else if (li.getAttribute("aria-expanded") === "true") tree.focus(li.querySelector(":scope > ul > li[data-kind]"));
    } else if (key === "ArrowLeft") {
      if (li.getAttribute("aria-expanded") === "true") tree.setExpanded(li, false);
      else tree.focus(tree.parentItem(li));
    } else if (key === "Enter" || key === "F2") {
      if (!li.dataset.id || (saved && ctx.inlineEdit)) outline.openEditInPlace(li);
      else if (saved && kind === "objective") actions.openDetail(li);
    } else if (key === "n" || key === "N") {
      if (kind === "objective") outline.openObjectiveEditor(li.parentElement, li, { team: li.dataset.team });
      else outline.openKrEditor(tree.parentItem(li), li);
    } else if (key === "c" || key === "C") {
      const target = kind === "objective" ? li : tree.parentItem(li);
      const objectives = tree.objectives(tree.group(target));
      outline.openObjectiveEditor(tree.group(target), objectives[objectives.length - 1] || null);
    } else if (key === "k" || key === "K") {
      outline.openKrEditor(kind === "objective" ? li : tree.parentItem(li), kind === "kr" ? li : null);
    } else if (key === "i" || key === "I") {
      if (saved) actions.openCheckIn(li);
    } else if (key === "d" || key === "D") {
      const objectiveLi = kind === "objective" ? li : tree.parentItem(li);
      if (objectiveLi.dataset.id) actions.openDetail(objectiveLi);
    } else if (key === "Delete") {
      if (ctx.editable && !tree.pending(li)) actions.deleteItem(li);
    } else handled = false;
    if (handled) event.preventDefault();
  }

  function onEditorKey(event) {
    const key = event.key;
    if (key === "Enter" && !event.shiftKey && event.target.tagName !== "TEXTAREA" && !event.isComposing) {
      event.preventDefault();
      outline.saveEditor();
    } else if (key === "Escape") {
      event.preventDefault();
      event.stopPropagation();
      outline.cancelEditor();
    } else if (event.altKey && (key === "ArrowRight" || key === "ArrowLeft")) {
      event.preventDefault();
      outline.indentEditor(key === "ArrowRight" ? 1 : -1);
    }
  }

  function isTyping(target) {
    return target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
  }

  function onGlobalKey(event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    if (isTyping(event.target) || document.querySelector("dialog[open]")) return;
    // A row being typed, a change still queued, or a row still marked "Saving…": the key is not a page command.
    if (outline.state.editor || ctx.queue.busy || tree.el.querySelector("li.is-pending")) return;
    const key = event.key;
    if (key === "?") actions.openDialog("keyboard-help");
    else if (key === "w" || key === "W") actions.toggleWall();
    else if (key === "/") {
      const search = document.getElementById("cascade-search");
      if (search) search.focus();
    } else if (key === "+") tree.expandAll(true);
    else if (key === "-") tree.expandAll(false);
    else if ((key === "n" || key === "N") && ctx.editable && !tree.el.contains(event.target)) {
      // Nothing focused in the tree: a new top-level objective at the end.
      const group = tree.rootGroup();
      if (!group) return;
      const objectives = tree.objectives(group);
      outline.openObjectiveEditor(group, objectives[objectives.length - 1] || null, null);
    } else if (key === "ArrowDown" && !tree.el.contains(event.target)) tree.focus(tree.visibleItems()[0]);
    else return;
    event.preventDefault();
  }

  tree.el.addEventListener("keydown", onTreeKey);
  document.addEventListener("keydown", onGlobalKey);
}
