// The one confirm dialog (#confirm-dialog in the page): resolves true on OK, false on Cancel or Esc.
export function confirmDialog(message, okLabel) {
  const dialog = document.getElementById("confirm-dialog");
  if (!dialog) return Promise.resolve(window.confirm(message));
  dialog.querySelector("[data-confirm-text]").textContent = message;
  const ok = dialog.querySelector("[data-confirm-ok]");
  const cancel = dialog.querySelector("[data-confirm-cancel]");
  ok.textContent = okLabel || ok.dataset.defaultLabel || ok.textContent;
  return new Promise((resolve) => {
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
