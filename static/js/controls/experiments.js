// "My experiments": the dialog that lists this browser's saved experiments (newest first)
// with Open (a new live session from the copy; the page switches to it), Rename (in place),
// Share (a read-only link, /s/<token>, with Copy and Stop sharing) and Delete (after a
// confirmation). Failures show in the dialog's error line.

import { html as el } from "../draw/dom.js";
import { formatLoss } from "../views/status.js";
import { savedWhen } from "../views/gone.js";
import { bindDialog, describeError, openDialog, showError } from "./dialogs.js";
import { copyText } from "./share.js";

/** "Epoch 177 · test loss 0.012 · saved 3 May, 14:02" */
export function describeExperiment(x) {
  const parts = [`Epoch ${x.epoch}`, `test loss ${formatLoss(x.test_loss)}`];
  const when = savedWhen(x.created);
  if (when) parts.push(`saved ${when}`);
  return parts.join(" · ");
}

const button = (text, attrs = {}) => el("button", { type: "button", class: "dialog-button", ...attrs }, text);

/** experiments: the API (net/api.js experimentsApi); open(session, experiment) shows a
 * session the server made from a saved copy. Returns show(opener). */
export function bindExperiments(root, store, experiments, open) {
  const dialog = root.querySelector("[data-experiments-dialog]");
  const list = dialog.querySelector("[data-experiments-list]");
  const count = dialog.querySelector("[data-experiments-count]");
  const error = dialog.querySelector("[data-experiments-error]");
  let limit = null;
  bindDialog(dialog);
  dialog.querySelector("[data-experiments-close]").addEventListener("click", () => dialog.close());

  const fail = (failure, doing) => showError(error, describeError(failure, doing));

  function showCount() {
    const n = list.querySelectorAll("[data-experiment]").length;
    const of = limit ? ` of ${limit}` : "";
    count.textContent = n
      ? `${n}${of} saved on this server for this browser.`
      : "Nothing saved yet: Save keeps a copy of the page’s network, points and chart.";
  }

  /** A button's work: disabled meanwhile, its failure shown in the dialog. */
  const busy = async (buttonEl, doing, work) => {
    buttonEl.disabled = true;
    showError(error, null);
    try {
      await work();
    } catch (failure) {
      fail(failure, doing);
    } finally {
      buttonEl.disabled = false;
    }
  };

  /** One experiment's entry in the list. */
  function item(x) {
    const li = el("li", { class: "experiment", "data-experiment": x.id });
    const titleId = `experiment-${x.id}`;
    const thumb = el("img", { class: "experiment-thumb", src: x.thumbnail, alt: "", width: 72, height: 72 });
    const main = el("div", { class: "experiment-main" });
    const name = el("h3", { class: "experiment-name", id: titleId }, x.name);
    const meta = el("p", { class: "experiment-meta" }, describeExperiment(x));
    const about = { "aria-describedby": titleId };
    const actions = el("div", { class: "experiment-actions" });
    const openButton = button("Open", { ...about, class: "dialog-button primary" });
    const renameButton = button("Rename", { ...about, "data-rename": "" });
    const shareButton = button("Share", about);
    const deleteButton = button("Delete", about);
    actions.append(openButton, renameButton, shareButton, deleteButton);
    const sharing = el("div", { class: "experiment-share", hidden: "" });
    const link = el("input", { type: "text", readonly: "", class: "share-link", "aria-label": `Share link of ${x.name}` });
    const copy = button("Copy link");
    const stop = button("Stop sharing");
    const copied = el("span", { class: "share-copied", "aria-live": "polite" });
    sharing.append(link, copy, stop, copied);
    main.append(name, meta, actions, sharing);
    li.append(thumb, main);

    const showLink = (token) => {
      sharing.hidden = !token;
      shareButton.hidden = Boolean(token);
      link.value = token ? `${window.location.origin}/s/${token}` : "";
    };
    showLink(x.share);
    link.addEventListener("focus", () => link.select());

    openButton.addEventListener("click", () =>
      busy(openButton, `open “${x.name}”`, async () => {
        const session = await experiments.open(x.id);
        dialog.close();
        open(session, x);
      }),
    );
    shareButton.addEventListener("click", () =>
      busy(shareButton, `share “${x.name}”`, async () => {
        const { token } = await experiments.share(x.id);
        x.share = token;
        showLink(token);
        link.focus();
      }),
    );
    stop.addEventListener("click", () =>
      busy(stop, `stop sharing “${x.name}”`, async () => {
        await experiments.unshare(x.id);
        x.share = null;
        showLink(null);
        shareButton.focus();
      }),
    );
    copy.addEventListener("click", async () => {
      copied.textContent = (await copyText(link)) ? "Copied" : "Selected: press Ctrl+C to copy";
    });
    renameButton.addEventListener("click", () => rename(x, li, name, renameButton));
    deleteButton.addEventListener("click", () => confirmDelete(x, li, actions, deleteButton));
    return li;
  }

  function rename(x, li, name, renameButton) {
    const form = el("form", { class: "experiment-rename" });
    const input = el("input", { type: "text", required: "", maxlength: 80, "aria-label": `New name for ${x.name}` });
    input.value = x.name;
    const save = el("button", { type: "submit", class: "dialog-button primary" }, "Save name");
    const cancel = button("Cancel");
    form.append(input, save, cancel);
    name.hidden = true;
    renameButton.disabled = true;
    name.after(form);
    input.focus();
    input.select();
    const end = () => {
      form.remove();
      name.hidden = false;
      renameButton.disabled = false;
      renameButton.focus();
    };
    cancel.addEventListener("click", end);
    input.addEventListener("keydown", (e) => {
      if (e.key !== "Escape") return;
      e.preventDefault(); // Escape here leaves the name as it was, not the dialog
      e.stopPropagation();
      end();
    });
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const wanted = input.value.trim();
      if (!wanted) return;
      save.disabled = true;
      showError(error, null);
      try {
        const renamed = await experiments.rename(x.id, wanted);
        const fresh = item(renamed);
        li.replaceWith(fresh);
        fresh.querySelector("[data-rename]").focus();
      } catch (failure) {
        fail(failure, `rename “${x.name}”`);
        save.disabled = false;
        input.focus();
      }
    });
  }

  function confirmDelete(x, li, actions, deleteButton) {
    const ask = el("div", { class: "experiment-confirm", role: "group", "aria-label": `Delete ${x.name}?` });
    const question = el("span", {}, `Delete “${x.name}” for good?`);
    const yes = button("Delete for good", { class: "dialog-button danger" });
    const no = button("Keep it");
    ask.append(question, yes, no);
    actions.hidden = true;
    actions.after(ask);
    no.focus();
    no.addEventListener("click", () => {
      ask.remove();
      actions.hidden = false;
      deleteButton.focus();
    });
    yes.addEventListener("click", async () => {
      yes.disabled = true;
      showError(error, null);
      try {
        await experiments.remove(x.id);
        const next = li.nextElementSibling ?? li.previousElementSibling;
        li.remove();
        showCount();
        (next?.querySelector("button") ?? dialog.querySelector("[data-experiments-close]")).focus();
      } catch (failure) {
        fail(failure, `delete “${x.name}”`);
        yes.disabled = false;
      }
    });
  }

  async function refresh() {
    showError(error, null);
    count.textContent = "Loading…";
    try {
      const answer = await experiments.list();
      limit = answer.limit ?? null;
      list.replaceChildren(...answer.experiments.map(item));
      showCount();
    } catch (failure) {
      list.replaceChildren();
      count.textContent = "";
      fail(failure, "list your experiments");
    }
  }

  return function show(opener) {
    openDialog(dialog, opener);
    refresh();
  };
}
