// Site-wide glue as a module: buttons carrying data-confirm ask in the site's one confirm dialog before anything that
// is hard to undo (htmx and plain forms alike); the confirmed click is replayed once.
import { confirmDialog } from "./confirm.js";

document.addEventListener(
  "click",
  async (event) => {
    const button = event.target.closest && event.target.closest("[data-confirm]");
    if (!button) return;
    if (button.dataset.confirmed === "1") {
      delete button.dataset.confirmed;
      return;
    }
    event.preventDefault();
    event.stopPropagation();
    if (await confirmDialog(button.dataset.confirm, button.textContent.trim())) {
      button.dataset.confirmed = "1";
      button.click();
    } else button.focus();
  },
  true,
);
