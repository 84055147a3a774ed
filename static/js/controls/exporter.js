// The export menu: download links for the session's model and points, the output plot as
// a PNG (drawn from what is on screen), and importing a model.json saved before (its
// setup, weights and epoch replace the session's).

import { plotPicture } from "../views/heatmap.js";

export function bindExporter(root, store, api, onImported) {
  const links = root.querySelectorAll("[data-export]");
  const menu = root.querySelector('[data-menu][data-control="export"]');
  const importFile = root.querySelector("[data-import-file]");

  store.addEventListener("session", () => {
    const id = store.session?.id;
    for (const link of links) {
      if (id) link.href = api.exportUrl(id, link.dataset.export);
      else link.removeAttribute("href");
    }
  });

  // The picture is made when asked for: the link's default action downloads the new href.
  root.querySelector("[data-export-picture]").addEventListener("click", (e) => {
    // a GAN's or an autoencoder's plot is one canvas already; the MLP's is composed
    const kind = store.config.kind ?? "mlp";
    const canvas = kind === "mlp" ? plotPicture(root.querySelector("[data-heatmap]")) : root.querySelector("[data-generative-canvas]");
    e.currentTarget.href = canvas.toDataURL("image/png");
  });

  // a click outside, or Escape, closes the menu
  document.addEventListener("pointerdown", (e) => {
    if (menu.open && !menu.contains(e.target)) menu.open = false;
  });
  menu.addEventListener("keydown", (e) => {
    if (e.key !== "Escape" || !menu.open) return;
    menu.open = false;
    menu.querySelector("summary").focus();
  });

  root.querySelector("[data-import-button]").addEventListener("click", () => importFile.click());
  importFile.addEventListener("change", async () => {
    const file = importFile.files[0];
    importFile.value = "";
    const id = store.session?.id;
    if (!file || !id) return;
    menu.open = false;
    let model;
    try {
      model = JSON.parse(await file.text());
    } catch {
      store.showBanner(`${file.name} is not a model.json file (it is not JSON).`);
      return;
    }
    try {
      await api.importModel(id, model);
      store.showBanner(`Loaded ${file.name}: training goes on from where it was saved.`, "info");
      onImported();
    } catch (error) {
      store.showBanner(`Could not import ${file.name}: ${error.message}`);
    }
  });
}
