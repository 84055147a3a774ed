// Over each hidden layer of the network diagram: add and remove a neuron, the layer's size,
// and the layer's own activation (or "global": the Activation menu's).

import { html, icon } from "../draw/dom.js";
import { boundOf } from "../state/bounds.js";
import { trimActivations } from "../state/rules.js";

/** Add each hidden layer's controls to the diagram `el`; returns the activation selects. */
export function buildLayerControls(el, store, hidden, { columnX, S }) {
  const { min: minNeurons, max: maxNeurons } = boundOf(store.options, "neurons") ?? { min: 1, max: Infinity };
  const icons = el.dataset;
  // Narrow columns (many layers on a small screen) get a compact label.
  const spacing = hidden.length > 1 ? columnX(1) - columnX(0) : Infinity;
  const compact = spacing < 4.6 * parseFloat(getComputedStyle(document.documentElement).fontSize);
  const selects = hidden.map((n, k) => {
    const box = html("div", { class: compact ? "layer-buttons compact" : "layer-buttons", "data-control": "neurons" });
    box.style.left = `${columnX(k) + S / 2}px`;
    if (compact) box.style.width = `${Math.max(spacing - 2, 0)}px`;
    const add = html("button", {
      type: "button",
      class: "round-button small",
      "aria-label": `Add a neuron to layer ${k + 1}`,
      "data-tip": "Add one neuron to this layer.",
    });
    add.append(icon(icons.iconAdd));
    const remove = html("button", {
      type: "button",
      class: "round-button small",
      "aria-label": `Remove a neuron from layer ${k + 1}`,
      "data-tip": "Remove one neuron from this layer.",
    });
    remove.append(icon(icons.iconRemove));
    add.disabled = n >= maxNeurons;
    remove.disabled = n <= minNeurons;
    const change = (delta) => {
      const sizes = [...store.config.hidden];
      sizes[k] = Math.min(maxNeurons, Math.max(minNeurons, sizes[k] + delta));
      store.setConfig({ hidden: sizes });
    };
    add.addEventListener("click", () => change(1));
    remove.addEventListener("click", () => change(-1));
    const words = n === 1 ? "1 neuron" : `${n} neurons`;
    const label = html("span", { class: "layer-size", title: words }, compact ? String(n) : words);
    const select = activationSelect(store, k, compact);
    box.append(add, remove, label, select);
    el.append(box);
    return select;
  });
  showActivations(selects, store.config);
  return selects;
}

function activationSelect(store, k, compact) {
  const select = html("select", {
    class: "layer-activation",
    "aria-label": `Activation of layer ${k + 1}`,
    "data-control": "layer_activations",
    "data-tip": "The activation of this layer’s neurons: “global” follows the Activation menu above.",
  });
  select.append(new Option(compact ? "–" : "global", ""));
  for (const a of store.options.activations) select.append(new Option(a.title, a.name));
  select.addEventListener("change", () => {
    const list = [...store.config.layer_activations];
    while (list.length <= k) list.push(null);
    list[k] = select.value || null;
    store.setConfig({ layer_activations: trimActivations(list) });
  });
  return select;
}

/** Show each layer's own activation, or "global". */
export function showActivations(selects, config) {
  selects.forEach((select, k) => {
    select.value = config.layer_activations[k] ?? "";
    select.classList.toggle("own", Boolean(config.layer_activations[k]));
  });
}
