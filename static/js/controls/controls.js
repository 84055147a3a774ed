// Form controls <-> store: the top bar's selects, the data column, the layer buttons and the
// output checkboxes. Hooks are data-* attributes; the template lists the options, the
// server's bounds (options.bounds) give the sliders their ends.

import { applyPalette } from "../draw/colors.js";
import { boundOf } from "../state/bounds.js";

function parseValue(el) {
  if (el.type === "checkbox") return el.checked;
  return el.dataset.type === "number" ? Number(el.value) : el.value;
}

/** Select `value` in a <select>, adding an option when a link carries an unlisted value. */
function selectValue(select, value) {
  const text = String(value);
  let option = [...select.options].find((o) => o.value === text || Number(o.value) === Number(value));
  if (!option) {
    option = new Option(text, text);
    select.add(option);
  }
  select.value = option.value;
}

export function bindControls(root, store, actions) {
  const { options } = store;
  const lastDataset = {}; // problem -> the dataset chosen for it last

  // -- config fields ------------------------------------------------------------------
  for (const el of root.querySelectorAll("[data-config]")) {
    const field = el.dataset.config;
    el.addEventListener("change", () => {
      if (field === "problem") {
        const problem = el.value;
        const dataset =
          lastDataset[problem] ?? options.datasets.find((d) => d.problem === problem).name;
        store.setConfig({ problem, dataset });
      } else {
        store.setConfig({ [field]: parseValue(el) });
      }
    });
    if (el.type === "range") {
      const bound = boundOf(options, field);
      if (bound) {
        el.min = String(bound.min);
        el.max = String(bound.max);
      }
      el.addEventListener("input", () => showRangeValue(el));
    }
  }

  for (const button of root.querySelectorAll("[data-dataset]")) {
    button.addEventListener("click", () => {
      store.setConfig({ dataset: button.dataset.dataset, problem: button.dataset.problem });
    });
  }
  // Arrow keys move between the thumbnails, as in any radio group.
  root.querySelector("[data-datasets]")?.addEventListener("keydown", (e) => {
    const keys = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 };
    if (!(e.key in keys)) return;
    const visible = [...root.querySelectorAll("[data-dataset]")].filter((b) => !b.hidden);
    const i = visible.indexOf(document.activeElement);
    if (i < 0) return;
    e.preventDefault();
    e.stopPropagation();
    const next = visible[(i + keys[e.key] + visible.length) % visible.length];
    next.focus();
    next.click();
  });

  // -- hidden layers ------------------------------------------------------------------
  const maxLayers = boundOf(options, "layers")?.max ?? Infinity;
  for (const button of root.querySelectorAll("[data-layers]")) {
    button.addEventListener("click", () => {
      const hidden = [...store.config.hidden];
      if (button.dataset.layers === "add" && hidden.length < maxLayers) hidden.push(2);
      if (button.dataset.layers === "remove" && hidden.length > 0) hidden.pop();
      store.setConfig({ hidden });
    });
  }

  // -- view options -------------------------------------------------------------------
  for (const box of root.querySelectorAll("[data-view]")) {
    box.addEventListener("change", () => store.setView({ [box.dataset.view]: box.checked }));
  }
  for (const button of root.querySelectorAll("[data-view-toggle]")) {
    const key = button.dataset.viewToggle;
    button.addEventListener("click", () => {
      if (key === "palette") {
        store.setView({ palette: store.view.palette === "colorblind" ? "default" : "colorblind" });
      } else {
        store.setView({ [key]: !store.view[key] });
      }
    });
  }
  const speed = root.querySelector("[data-speed]");
  speed.addEventListener("change", () => {
    store.setView({ speed: speed.value === "max" ? "max" : Number(speed.value) });
  });

  // -- actions ------------------------------------------------------------------------
  for (const button of root.querySelectorAll("[data-action]")) {
    button.addEventListener("click", () => actions[button.dataset.action]());
  }

  // -- redraw from state --------------------------------------------------------------
  function showRangeValue(el) {
    const out = root.querySelector(`[data-value-of="${el.dataset.config}"]`);
    if (out) out.textContent = el.value;
  }

  function renderConfig() {
    const config = store.config;
    lastDataset[config.problem] = config.dataset;
    for (const el of root.querySelectorAll("[data-config]")) {
      const value = config[el.dataset.config];
      if (el.tagName === "SELECT") selectValue(el, value);
      else if (el.type === "checkbox") el.checked = Boolean(value);
      else el.value = String(value);
      if (el.type === "range") showRangeValue(el);
    }
    for (const button of root.querySelectorAll("[data-dataset]")) {
      button.hidden = button.dataset.problem !== config.problem;
      const checked = button.dataset.dataset === config.dataset;
      button.setAttribute("aria-checked", String(checked));
      button.tabIndex = checked ? 0 : -1;
    }
    const layers = config.hidden.length;
    root.querySelector("[data-layer-count]").textContent = String(layers);
    root.querySelector("[data-layer-word]").textContent = layers === 1 ? "hidden layer" : "hidden layers";
    root.querySelector('[data-layers="add"]').disabled = layers >= maxLayers;
    root.querySelector('[data-layers="remove"]').disabled = layers === 0;
  }

  function renderView() {
    const view = store.view;
    for (const box of root.querySelectorAll("[data-view]")) box.checked = Boolean(view[box.dataset.view]);
    for (const button of root.querySelectorAll("[data-view-toggle]")) {
      const key = button.dataset.viewToggle;
      const on = key === "palette" ? view.palette === "colorblind" : Boolean(view[key]);
      button.setAttribute("aria-pressed", String(on));
    }
    selectValue(speed, view.speed);
    document.documentElement.classList.toggle("presenter", Boolean(view.presenter));
    document.documentElement.dataset.palette = view.palette;
    applyPalette(document.documentElement, view.palette);
  }

  store.addEventListener("config", renderConfig);
  store.addEventListener("view", renderView);
  renderConfig();
  renderView();
}
