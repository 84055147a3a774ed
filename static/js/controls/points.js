// Your own points: a click on the output plot adds a point of the chosen class (or value,
// in regression), a shift-click removes the nearest one; clear all, and CSV upload. The
// server checks everything; its answer comes back as a new data_version and new points.

import { classCss, scaleFor } from "../draw/colors.js";
import { DOMAIN, fromPixels } from "../draw/plane.js";
import { classLabels, className } from "../state/rules.js";

const round = (v) => Math.round(Math.min(DOMAIN, Math.max(-DOMAIN, v)) * 1000) / 1000;

export function bindPoints(root, store, actions, api) {
  const plot = root.querySelector("[data-heatmap-plot]");
  const picker = root.querySelector("[data-class-picker]");
  const valuePicker = root.querySelector("[data-value-picker]");
  const valueInput = root.querySelector("[data-add-value]");
  const valueText = root.querySelector("[data-add-value-text]");
  const message = root.querySelector("[data-points-message]");
  const uploadFile = root.querySelector("[data-upload-file]");
  const editable = () => !store.hide.has("points") && store.connection.state === "connected";
  const classes = () => (store.config.problem === "classification" ? store.config.classes : 0);

  /** The label a click adds: the picked class, or the value in regression. */
  function label() {
    if (!classes()) return store.view.add_value;
    const labels = classLabels(classes());
    return labels[store.view.add_class ?? 0] ?? labels[0];
  }

  plot.addEventListener("click", (e) => {
    if (!editable()) return;
    const [x, y] = fromPixels(e.clientX, e.clientY, plot.getBoundingClientRect()).map(round);
    if (e.shiftKey) actions.removePoint(x, y);
    else actions.addPoint(x, y, label());
  });

  root.querySelector("[data-clear-points]").addEventListener("click", () => actions.clearPoints());

  // -- CSV upload -------------------------------------------------------------------------
  root.querySelector("[data-upload-button]").addEventListener("click", () => uploadFile.click());
  uploadFile.addEventListener("change", async () => {
    const file = uploadFile.files[0];
    uploadFile.value = ""; // the same file again is a new upload
    const id = store.session?.id;
    if (!file || !id) return;
    message.dataset.tone = "";
    message.textContent = `Uploading ${file.name}…`;
    try {
      await api.uploadCsv(id, file);
      message.textContent = `Training on the points from ${file.name}.`;
      if (store.banner?.tone === "error") store.showBanner(null); // an earlier file's error
    } catch (error) {
      message.dataset.tone = "error";
      message.textContent = `${file.name} was not used: ${error.message}`;
      store.showBanner(`Could not use ${file.name}: ${error.message}`);
    }
  });

  // -- the class (or value) of new points -------------------------------------------------
  picker.addEventListener("keydown", (e) => {
    const step = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 }[e.key];
    const k = classLabels(classes()).length;
    if (!step || !classes()) return;
    e.preventDefault();
    e.stopPropagation();
    const next = ((store.view.add_class ?? 0) + step + k) % k;
    store.setView({ add_class: next });
    picker.querySelectorAll("[data-class]")[next]?.focus();
  });
  valueInput.addEventListener("input", () => (valueText.textContent = valueInput.value));
  valueInput.addEventListener("change", () => store.setView({ add_value: Number(valueInput.value) }));

  function render() {
    const k = classes();
    picker.hidden = !k;
    valuePicker.hidden = Boolean(k);
    valueInput.value = String(store.view.add_value);
    valueText.textContent = String(store.view.add_value);
    plot.classList.toggle("editable", !store.hide.has("points"));
    const labels = k ? classLabels(k) : [];
    const chosen = Math.min(store.view.add_class ?? 0, Math.max(0, labels.length - 1));
    const scale = scaleFor(store.view.palette);
    picker.querySelectorAll("[data-class]").forEach((b) => b.remove());
    labels.forEach((value, i) => {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "class-swatch";
      button.dataset.class = String(i);
      button.setAttribute("role", "radio");
      button.setAttribute("aria-checked", String(i === chosen));
      button.setAttribute("aria-label", className(value, k));
      button.tabIndex = i === chosen ? 0 : -1;
      button.style.background = k > 2 ? classCss(value) : scale.css(value);
      button.textContent = k > 2 ? String(value) : value < 0 ? "−" : "+";
      button.addEventListener("click", () => store.setView({ add_class: i }));
      picker.append(button);
    });
  }

  store.addEventListener("config", (e) => {
    if (e.detail.changed.some((f) => f === "classes" || f === "problem")) render();
  });
  store.addEventListener("view", (e) => {
    if (e.detail.changed.some((f) => ["add_class", "add_value", "palette"].includes(f))) render();
  });
  store.addEventListener("hide", render);
  render();
}
