// The Save button and its dialog: a name (prefilled from the setup and the epoch), then
// POST /api/experiments stores a copy of the page's session for this browser's owner key.

import { bindDialog, describeError, openDialog, showError } from "./dialogs.js";

const NAME_MAX = 80; // the server's limit on a name

/** "Spiral, 2 layers, epoch 177": what the page shows now, as a name to start from. */
export function suggestName(store) {
  const config = store.config;
  const dataset = store.options.datasets.find((d) => d.name === config.dataset)?.title ?? config.dataset;
  const n = config.hidden.length;
  const layers = n === 0 ? "no hidden layers" : n === 1 ? "1 layer" : `${n} layers`;
  const epoch = store.frame?.epoch ?? store.session?.epoch ?? 0;
  return `${dataset}, ${layers}, epoch ${epoch}`.slice(0, NAME_MAX);
}

/** experiments: the API (net/api.js experimentsApi); showExperiments(opener) opens the list. */
export function bindSave(root, store, experiments, showExperiments) {
  const button = root.querySelector("[data-save-open]");
  const dialog = root.querySelector("[data-save-dialog]");
  const form = dialog.querySelector("[data-save-form]");
  const name = dialog.querySelector("[data-save-name]");
  const error = dialog.querySelector("[data-save-error]");
  const submit = dialog.querySelector("[data-save-submit]");
  const done = dialog.querySelector("[data-save-done]");
  const doneText = dialog.querySelector("[data-save-done-text]");
  bindDialog(dialog);

  const ready = () => {
    button.disabled = !store.session || Boolean(store.gone);
  };
  store.addEventListener("session", ready);
  store.addEventListener("gone", ready);
  ready();

  button.addEventListener("click", () => {
    form.hidden = false;
    done.hidden = true;
    showError(error, null);
    submit.disabled = false;
    name.value = suggestName(store);
    openDialog(dialog, button);
    name.focus();
    name.select();
  });

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const id = store.session?.id;
    const wanted = name.value.trim();
    if (!wanted) {
      showError(error, "Give the experiment a name (1 to 80 characters).");
      name.focus();
      return;
    }
    if (!id) return;
    submit.disabled = true;
    showError(error, null);
    try {
      const saved = await experiments.save(id, wanted);
      form.hidden = true;
      done.hidden = false;
      doneText.textContent = `Saved “${saved.name}” at epoch ${saved.epoch}.`;
      done.querySelector("[data-save-close]").focus();
    } catch (failure) {
      showError(error, describeError(failure, "save"));
      name.focus();
    } finally {
      submit.disabled = false;
    }
  });
  dialog.querySelector("[data-save-cancel]").addEventListener("click", () => dialog.close());
  dialog.querySelector("[data-save-close]").addEventListener("click", () => dialog.close());
  dialog.querySelector("[data-save-list]").addEventListener("click", () => {
    dialog.close();
    showExperiments(button);
  });
}
