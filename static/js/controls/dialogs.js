// What the page's dialogs share: open one as a modal <dialog> (the browser traps focus
// and Escape closes it), close it on a click beside it, give focus back to what opened
// it, and put a failed request into words for the dialog's own error line.

import { ApiError } from "../net/api.js";

/** Make `dialog` close on a click on its backdrop and hand focus back when it closes. */
export function bindDialog(dialog) {
  dialog.addEventListener("click", (e) => {
    if (e.target === dialog) dialog.close(); // the backdrop: the dialog box has padding
  });
  dialog.addEventListener("close", () => {
    const opener = dialog.opener;
    dialog.opener = null;
    if (opener?.isConnected && !opener.disabled) opener.focus();
  });
}

/** Open `dialog` as a modal over the page, remembering `opener` for the focus. */
export function openDialog(dialog, opener = document.activeElement) {
  if (dialog.open) return;
  dialog.opener = opener;
  dialog.showModal();
}

/** Show `text` in an error line (null hides it). */
export function showError(line, text) {
  line.textContent = text ?? "";
  line.hidden = !text;
}

/** A failed request to the experiments API, in words: what was tried and why it failed. */
export function describeError(error, doing) {
  if (!(error instanceof ApiError)) return `Could not ${doing}: the server could not be reached. Try again.`;
  if (error.status === 429) return `Could not ${doing}: ${error.message} Delete an experiment you no longer need, then try again.`;
  if (error.status === 413) return `Could not ${doing}: the server's storage is full (${error.message}).`;
  if (error.status === 404) return `Could not ${doing}: it is no longer there (${error.message}).`;
  return `Could not ${doing}: ${error.message}`;
}
