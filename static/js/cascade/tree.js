// The tree's DOM: finding rows, siblings, roving focus and the collapsed state (kept per cycle in sessionStorage).
export function createTree(root, tree) {
  const cycle = root.dataset.cycle;
  const storageKey = "cascade:collapsed:" + cycle;
  const collapsed = new Set(JSON.parse(sessionStorage.getItem(storageKey) || "[]"));
  const text = root.dataset;

  const t = {
    root: root,
    el: tree,
    items() {
      return Array.from(tree.querySelectorAll("li[data-kind]"));
    },
    visibleItems() {
      return t.items().filter((li) => li.offsetParent !== null);
    },
    find(kind, id) {
      return id ? tree.querySelector('li[data-kind="' + kind + '"][data-id="' + id + '"]') : null;
    },
    focus(li) {
      if (!li) return;
      t.items().forEach((other) => other.setAttribute("tabindex", "-1"));
      li.setAttribute("tabindex", "0");
      li.focus();
    },
    ensureRovingFocus() {
      const all = t.items();
      if (all.length && !all.some((li) => li.getAttribute("tabindex") === "0")) all[0].setAttribute("tabindex", "0");
    },
    parentItem(li) {
      const group = li.parentElement;
      return group ? group.closest("li[data-kind]") : null;
    },
    group(li) {
      return li ? li.querySelector(":scope > ul") : t.rootGroup();
    },
    objectives(group) {
      return Array.from(group.children).filter((el) => el.dataset.kind === "objective");
    },
    keyResults(group) {
      return Array.from(group.children).filter((el) => el.dataset.kind === "kr");
    },
    rootGroup() {
      return tree.querySelector("[data-root-group]");
    },
    previousObjective(li) {
      let el = li.previousElementSibling;
      while (el && el.dataset.kind !== "objective") el = el.previousElementSibling;
      return el;
    },
    pending(li) {
      return !!li && li.classList.contains("is-pending");
    },
    setExpanded(li, expanded) {
      if (!li || li.dataset.kind !== "objective") return;
      if (expanded) collapsed.delete(li.dataset.id || li.dataset.temp);
      else collapsed.add(li.dataset.id || li.dataset.temp);
      sessionStorage.setItem(storageKey, JSON.stringify(Array.from(collapsed)));
      t.applyCollapsed();
    },
    applyCollapsed() {
      tree.querySelectorAll('li[data-kind="objective"]').forEach((li) => {
        const group = li.querySelector(":scope > ul");
        if (!group || !group.children.length) {
          li.removeAttribute("aria-expanded");
          return;
        }
        const closed = collapsed.has(li.dataset.id || li.dataset.temp);
        li.setAttribute("aria-expanded", closed ? "false" : "true");
        const toggle = li.querySelector(":scope > .row [data-toggle]");
        if (toggle) toggle.title = closed ? text.textExpand : text.textCollapse;
      });
    },
    expandAll(expanded) {
      tree.querySelectorAll('li[data-kind="objective"]').forEach((li) => {
        if (expanded) collapsed.delete(li.dataset.id);
        else collapsed.add(li.dataset.id);
      });
      sessionStorage.setItem(storageKey, JSON.stringify(Array.from(collapsed)));
      t.applyCollapsed();
    },
  };
  return t;
}
