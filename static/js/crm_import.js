// CRM import page: refuse a file above the size limit before it is uploaded, and show the mapping choice only
// where it applies. The messages come from data- attributes rendered by the template (no JS catalogue).
(function () {
  "use strict";

  document.addEventListener("DOMContentLoaded", () => {
    const form = document.querySelector("form[data-crm-upload]");
    if (!form) return;
    const input = form.querySelector("input[type=file]");
    const source = form.querySelector("select[name=source]");
    const mapping = form.querySelector("select[name=mapping]");
    const note = form.querySelector("[data-size-note]");
    const limit = Number(form.dataset.maxBytes || 0);

    function checkSize() {
      const file = input && input.files && input.files[0];
      const tooBig = Boolean(file && limit && file.size > limit);
      input.setCustomValidity(tooBig ? form.dataset.tooBigText : "");
      input.setAttribute("aria-invalid", tooBig ? "true" : "false");
      if (note) {
        note.textContent = tooBig ? form.dataset.tooBigText : "";
        note.hidden = !tooBig;
      }
      return !tooBig;
    }

    function toggleMapping() {
      if (!source || !mapping) return;
      const field = mapping.closest(".field");
      if (field) field.hidden = source.value !== "custom";
    }

    if (input) input.addEventListener("change", checkSize);
    if (source) source.addEventListener("change", toggleMapping);
    toggleMapping();
    form.addEventListener("submit", (event) => {
      if (!checkSize()) {
        event.preventDefault();
        input.focus();
      }
    });
  });
})();
