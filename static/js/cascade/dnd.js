// Drag and drop with SortableJS (mouse, touch and pen): every group of the tree is a sortable list; a dropped row
// is sent as a move through the save queue, and the server's checks decide (a refused move snaps back when the tree
// is refreshed, with the server's reason). Key results stay among key results; pending rows cannot be dragged.
export function bindDragAndDrop(ctx, actions) {
  const { tree } = ctx;
  if (!ctx.editable || !window.Sortable) return () => {};
  const bound = new WeakSet();

  function ownerOf(group) {
    return group.closest("li[data-kind]");
  }

  function accepts(to, dragged) {
    const owner = ownerOf(to.el);
    if (owner && (!owner.dataset.id || owner === dragged || dragged.contains(owner))) return false;
    return dragged.dataset.kind === "objective" || !!owner;
  }

  function onEnd(event) {
    ctx.dragging = false;
    tree.el.classList.remove("is-dragging");
    const li = event.item;
    const group = li.parentElement;
    const owner = ownerOf(group);
    if (event.from === event.to && event.oldIndex === event.newIndex) return ctx.refreshWhenIdle();
    if (li.dataset.kind === "objective") {
      const position = tree.objectives(group).indexOf(li);
      actions.move(li, "objective", { parent: owner ? Number(owner.dataset.id) : null, position: position });
    } else {
      const position = tree.keyResults(group).indexOf(li);
      actions.move(li, "kr", { objective: Number(owner.dataset.id), position: position });
    }
  }

  function bind(group) {
    if (bound.has(group)) return;
    bound.add(group);
    window.Sortable.create(group, {
      group: { name: "cascade", put: (to, _from, dragged) => accepts(to, dragged) },
      draggable: "li[data-kind][data-id]:not(.is-pending)",
      handle: ".row",
      filter: "button, input, select, .editor-node",
      preventOnFilter: false,
      forceFallback: true,
      fallbackOnBody: true,
      fallbackTolerance: 4,
      delay: 150,
      delayOnTouchOnly: true,
      swapThreshold: 0.6,
      emptyInsertThreshold: 16,
      animation: 120,
      onStart() {
        ctx.dragging = true;
        tree.el.classList.add("is-dragging");
      },
      onMove(event) {
        const dragged = event.dragged;
        const related = event.related;
        if (!accepts({ el: event.to }, dragged)) return false;
        // key results come first in a group, child objectives after them
        if (related && related.dataset && related.dataset.kind && related.dataset.kind !== dragged.dataset.kind) {
          return dragged.dataset.kind === "kr" ? related.dataset.kind === "objective" && !event.willInsertAfter : true;
        }
        return true;
      },
      onEnd: onEnd,
    });
  }

  function bindAll() {
    const root = tree.rootGroup();
    if (root) bind(root);
    tree.el.querySelectorAll("li[data-kind='objective'][data-id] > ul").forEach(bind);
  }
  bindAll();
  return bindAll;
}
