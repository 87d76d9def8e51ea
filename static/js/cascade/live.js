// Live updates: the site poller compares the cascade's signature (a conditional GET: 304 while it is the same); a change (someone else's, or our own saves once
// the queue is empty) fetches the tree partial and morphs it into the page with idiomorph, so rows keep their
// focus, open/closed state and scroll position. The row being typed in is lifted out before the morph and put
// back at the same place with its caret; nothing is refreshed while a change is still queued or a row is dragged.
import { fetchChanged, knownVersion, poll } from "../okr/poller.js";
import { setRowState } from "./rows.js";

export function createLive(ctx, outline) {
  const { tree, queue } = ctx;
  let signature = null;
  let wanted = false;
  let fetching = false;

  function signatureUrl() {
    return ctx.api.signature + "?cycle=" + encodeURIComponent(ctx.cycle);
  }

  function readSignature() {
    const marker = tree.el.querySelector("[data-tree-signature]");
    if (!marker) return;
    signature = marker.dataset.treeSignature;
    if (ctx.cycle) knownVersion(signatureUrl(), marker.dataset.signatureEtag);
  }

  function blocked() {
    return queue.busy || ctx.dragging || fetching || document.querySelector("dialog[open]");
  }

  function request() {
    wanted = true;
    if (blocked()) return;
    refresh();
  }

  function liftEditor() {
    const editor = outline.state.editor;
    if (!editor) return null;
    const li = editor.li;
    const active = document.activeElement;
    const caret = li.contains(active) ? { name: active.name, start: active.selectionStart, end: active.selectionEnd } : null;
    const previous = li.previousElementSibling;
    const owner = editor.item || tree.parentItem(li);
    const anchor = {
      previous: previous && previous.dataset.kind ? { kind: previous.dataset.kind, id: previous.dataset.id } : null,
      owner: owner ? { kind: owner.dataset.kind, id: owner.dataset.id } : null,
      inplace: !!editor.item,
      ownerEl: owner,
      previousEl: previous,
    };
    li.remove();
    return { li: li, caret: caret, anchor: anchor };
  }

  function putBack(lifted) {
    const editor = outline.state.editor;
    const { li, caret, anchor } = lifted;
    const live = (element, key) => (element && element.isConnected ? element : key ? tree.find(key.kind, key.id) : null);
    const owner = live(anchor.ownerEl, anchor.owner);
    const previous = live(anchor.previousEl, anchor.previous);
    if (anchor.inplace) {
      if (!owner) return outline.closeEditor();
      editor.item = owner;
      const row = owner.querySelector(":scope > .row");
      row.classList.add("editing");
      row.after(li);
    } else if (previous && previous.parentElement === tree.group(owner)) previous.after(li);
    else if (tree.group(owner)) tree.group(owner).prepend(li);
    else tree.rootGroup().appendChild(li);
    if (caret) {
      const field = li.querySelector("form").elements[caret.name];
      field.focus();
      if (caret.start !== null && field.setSelectionRange) field.setSelectionRange(caret.start, caret.end);
    }
  }

  async function refresh() {
    wanted = false;
    fetching = true;
    let html = null;
    try {
      const params = new URLSearchParams(window.location.search);
      params.set("cycle", ctx.cycle);
      params.set("partial", "tree");
      const response = await fetch(ctx.urls.tree + "?" + params.toString(), {
        headers: { Accept: "text/html" },
        credentials: "same-origin",
      });
      if (response.ok) html = await response.text();
    } catch (e) {
      html = null;
    }
    fetching = false;
    if (html === null) return;
    if (queue.busy || ctx.dragging) {
      // a change was queued meanwhile: this snapshot may predate it; fetch again when the queue is empty
      wanted = true;
      return;
    }
    const active = document.activeElement;
    const focused = active && active.dataset && active.dataset.kind ? { kind: active.dataset.kind, id: active.dataset.id } : null;
    const lifted = liftEditor();
    window.Idiomorph.morph(tree.el, html, {
      morphStyle: "innerHTML",
      // a row the server refused to create exists only here, with what was typed: it stays
      callbacks: { beforeNodeRemoved: (node) => !(node.nodeType === 1 && node.matches("li.is-failed:not([data-id])")) },
    });
    if (window.htmx) window.htmx.process(tree.el);
    readSignature();
    tree.applyCollapsed();
    tree.items().forEach((li) => {
      if (li.refusal) setRowState(li, "failed", li.refusal.note);
    });
    if (lifted) putBack(lifted);
    else if (focused && !tree.el.contains(document.activeElement)) tree.focus(tree.find(focused.kind, focused.id));
    tree.ensureRovingFocus();
    ctx.afterRefresh();
  }

  async function check() {
    if (!ctx.cycle) return;
    const response = await fetchChanged(signatureUrl(), {
      headers: { Accept: "application/json" },
    });
    if (response === null) {
      // 304: the signature is the one we have
      if (wanted) request();
      return;
    }
    if (!response.ok) return;
    const data = await response.json();
    if (signature !== null && data.signature !== signature) request();
    else if (wanted) request();
  }

  readSignature();
  poll(check, 2000);
  return { request, readSignature, whenIdle: () => queue.whenIdle(request) };
}
