// okrplan page glue: toasts from htmx triggers, the company and language switchers. No inline scripts (CSP).
(function () {
  "use strict";

  function showToast(message, level) {
    const region = document.getElementById("toasts");
    if (!region || !message) return;
    const toast = document.createElement("div");
    toast.className = "toast toast-" + (level || "info");
    toast.setAttribute("role", level === "error" ? "alert" : "status");
    toast.textContent = message;
    region.appendChild(toast);
    setTimeout(() => toast.remove(), level === "error" ? 8000 : 4000);
  }
  window.okrToast = showToast;

  document.addEventListener("okr:toast", (event) => {
    const detail = event.detail || {};
    showToast(detail.message, detail.level);
  });

  // A refusal (HX-Reswap: none, reason in an error toast) is an ordinary answer, not a crash: under DEBUG
  // django-htmx's script would replace the whole page with the (empty) body of a 400/403/404. Stop the event here,
  // in the capture phase on document, before that script's listener sees it; htmx itself goes on (no swap, toast).
  document.addEventListener("htmx:beforeOnLoad", (event) => {
    const xhr = event.detail && event.detail.xhr;
    if (xhr && xhr.status >= 400 && xhr.getResponseHeader("HX-Reswap") === "none") event.stopPropagation();
  }, true);

  // htmx 2 does not swap 4xx/5xx answers; a refused action still explains itself through the HX-Trigger toast.
  document.addEventListener("htmx:responseError", (event) => {
    const xhr = event.detail.xhr;
    if (xhr && !xhr.getResponseHeader("HX-Trigger")) {
      showToast(xhr.status >= 500 ? document.documentElement.dataset.errorText || "Error" : xhr.statusText, "error");
    }
  });

  // The compact header on small screens: "Menu" opens and closes the navigation (a button: Enter, Space, tap);
  // Escape closes it and gives the focus back to the button.
  function bindNavToggle() {
    const button = document.querySelector("[data-nav-toggle]");
    const bar = button && button.closest(".topbar");
    if (!bar) return;
    function setOpen(open) {
      bar.classList.toggle("is-open", open);
      button.setAttribute("aria-expanded", open ? "true" : "false");
    }
    button.addEventListener("click", () => setOpen(!bar.classList.contains("is-open")));
    bar.addEventListener("keydown", (event) => {
      if (event.key !== "Escape" || !bar.classList.contains("is-open")) return;
      setOpen(false);
      button.focus();
    });
    bar.classList.add("nav-ready");
  }

  document.addEventListener("DOMContentLoaded", () => {
    bindNavToggle();
    const company = document.getElementById("company-switcher");
    if (company) {
      company.addEventListener("change", () => { window.location.href = company.value; });
    }
    const language = document.getElementById("language-switcher");
    if (language) {
      const submit = document.querySelector("[data-language-submit]");
      if (submit) submit.classList.add("sr-only");
      language.addEventListener("change", () => language.form.submit());
    }
  });
})();
