// The network diagram: input features (toggles), hidden neurons with live maps, the output
// node, links coloured by sign and sized by magnitude, bias markers, per-layer buttons.
// The shape comes from the config; the values come from frames of the same shape.

import { paintClasses, paintGrid } from "../draw/canvas.js";
import { scaleFor } from "../draw/colors.js";
import { html, svg } from "../draw/dom.js";
import { layoutNetwork, networkHeight } from "./networkLayout.js";
import { buildLayerControls, showActivations } from "./layerControls.js";
import { className, outputCount } from "../state/rules.js";

const FIT_MARGIN = 8; // px left under the diagram in presenter mode
const MIN_NODE = 22; // px: presenter mode never shrinks the nodes below this
const COLUMN_GAP = 1.8; // node sizes from one column to the next, at least (presenter mode)

/** TFP: link width grows linearly from 1 px at |w| = 0 to 10 px at |w| >= 5. */
export const linkWidth = (w) => 1 + (Math.min(Math.abs(w), 5) / 5) * 9;

export class NetworkView {
  constructor(el, store, card, featureMaps) {
    this.el = el;
    this.store = store;
    this.card = card;
    this.featureMaps = featureMaps; // name -> Uint8Array (M×M)
    this.links = [];
    this.biases = [];
    this.maps = [];
    this.outputs = []; // one canvas per output neuron
    this.activationSelects = [];
    this.sizes = []; // the layer sizes drawn, inputs first
    this.dash = 0;
    this.lastEpoch = null;
    this.width = 0;

    const shapeFields = ["features", "hidden", "problem", "classes"];
    store.addEventListener("config", (e) => {
      if (e.detail.changed.some((f) => shapeFields.includes(f))) this.build();
      else if (e.detail.changed.includes("layer_activations")) showActivations(this.activationSelects, store.config);
    });
    store.addEventListener("view", (e) => {
      if (e.detail.changed.includes("presenter")) this.build();
      else if (e.detail.changed.some((k) => k === "palette" || k === "discretize")) this.repaint();
    });
    store.addEventListener("frame", () => this.draw());
    store.addEventListener("hide", () => this.build());
    new ResizeObserver(() => {
      if (this.el.clientWidth !== this.width) this.build();
    }).observe(el);
    // presenter mode: the nodes shrink until the diagram ends inside the window
    const refit = () => {
      if (this.store.view.presenter && this.nodeSize() !== this.S) this.build();
    };
    window.addEventListener("resize", refit);
    new ResizeObserver(refit).observe(document.body); // what is above the diagram may grow
    this.build();
  }

  /** The node size: the stylesheet's, or in presenter mode what fits the window's height. */
  nodeSize() {
    const { store, el } = this;
    const css = parseFloat(getComputedStyle(document.documentElement).getPropertyValue("--node-size")) || 30;
    if (!store.view.presenter) return css;
    const rows = Math.max(store.options.features.length, ...store.config.hidden, outputCount(store.config));
    const room = window.innerHeight - (el.getBoundingClientRect().top + window.scrollY) - FIT_MARGIN;
    // and wide enough apart that the links between the columns show
    const columns = store.config.hidden.length + 1;
    let S = Math.floor(Math.min(css, (el.clientWidth - 4) / (3.1 + COLUMN_GAP * columns)));
    while (S > MIN_NODE && networkHeight(S, rows) > room) S -= 1;
    return Math.max(MIN_NODE, S);
  }

  // -- structure ------------------------------------------------------------------------
  build() {
    const { store, el } = this;
    const { options, config } = store;
    this.width = el.clientWidth;
    const S = this.nodeSize();
    this.S = S;
    el.style.setProperty("--node-size", `${S}px`);
    const outputs = outputCount(config);
    const names = Array.from({ length: outputs }, (_, j) => className(j, config.classes));
    const layout = layoutNetwork(options.features, config.features, config.hidden, this.width, S, outputs, names);
    this.sizes = layout.nodes.map((column) => column.length);
    el.style.height = `${layout.height}px`;
    el.closest("[data-network-column]")?.style.setProperty("--features-width", `${layout.inputX + S + 8}px`);

    el.replaceChildren();
    this.card.hide();
    store.setHover(null); // the hovered node may be gone
    const root = svg("svg", { class: "links", width: layout.width, height: layout.height });
    const linkGroup = svg("g", { class: "link-lines" });
    const hitGroup = svg("g", { class: "link-hits" });
    const biasGroup = svg("g", { class: "bias-markers" });
    root.append(linkGroup, hitGroup, biasGroup);
    this.linkGroup = linkGroup;
    el.append(root);

    this.buildInputs(layout);
    this.buildHidden(layout);
    this.buildOutputs(layout.nodes.at(-1));
    this.activationSelects = buildLayerControls(this.el, store, config.hidden, layout);

    this.links = layout.links.map((link) => {
      const line = svg("path", { d: link.d, class: "link", stroke: "#ccc", "stroke-width": 1 });
      const label = `Weight from ${link.from} to ${link.to}`;
      const hit = svg("path", { d: link.d, class: "link-hit", tabindex: 0, role: "button", "aria-label": label });
      this.bindEditable(hit, { kind: "weight", layer: link.layer, neuron: link.neuron, input: link.input, label });
      linkGroup.append(line);
      hitGroup.append(hit);
      return { line, layer: link.layer, index: link.index };
    });
    this.biases = layout.biases.map((bias) => {
      const label = `Bias of ${bias.of}`;
      const rect = svg("rect", {
        x: bias.x,
        y: bias.y,
        width: bias.size,
        height: bias.size,
        class: "bias",
        tabindex: 0,
        role: "button",
        "aria-label": label,
      });
      this.bindEditable(rect, { kind: "bias", layer: bias.layer, neuron: bias.neuron, label });
      biasGroup.append(rect);
      return { rect, layer: bias.layer, index: bias.neuron };
    });
    this.el.classList.add("stale");
    this.draw();
  }

  buildInputs({ inputs }) {
    const { store } = this;
    const M = store.options.feature_map_size;
    const scale = scaleFor(store.view.palette);
    for (const { feature: f, x, y } of inputs) {
      const on = store.config.features.includes(f.name);
      const label = html("span", { class: "node-label", "aria-hidden": "true" }, f.label);
      label.style.top = `${y}px`;
      label.style.width = `${x - 8}px`;
      const button = html("button", {
        type: "button",
        class: "node node-input",
        "aria-pressed": String(on),
        "aria-label": f.label,
        "data-feature": f.name,
      });
      button.disabled = store.hide.has("features"); // a guided demo can lock the inputs
      button.style.left = `${x}px`;
      button.style.top = `${y}px`;
      const canvas = html("canvas", { width: M, height: M });
      paintGrid(canvas, this.featureMaps[f.name], M, scale.lut);
      button.append(canvas);
      button.addEventListener("click", () => this.toggleFeature(f.name));
      const hover = () => store.setHover({ kind: "feature", name: f.name });
      const leave = () => store.setHover(null);
      button.addEventListener("pointerenter", hover);
      button.addEventListener("pointerleave", leave);
      button.addEventListener("focus", hover);
      button.addEventListener("blur", leave);
      this.el.append(label, button);
    }
  }

  buildHidden({ nodes }) {
    const { store } = this;
    this.maps = [];
    let index = 0;
    nodes.slice(1, -1).forEach((column, k) => {
      column.forEach((p, j) => {
        const node = html("div", {
          class: "node node-hidden",
          tabindex: 0,
          role: "img",
          "aria-label": `Neuron ${j + 1} of layer ${k + 1}`,
        });
        node.style.left = `${p.x}px`;
        node.style.top = `${p.y}px`;
        const canvas = html("canvas", { width: 1, height: 1 });
        node.append(canvas);
        const hover = { kind: "neuron", index, layer: k, neuron: j };
        node.addEventListener("pointerenter", () => store.setHover(hover));
        node.addEventListener("pointerleave", () => store.setHover(null));
        node.addEventListener("focus", () => store.setHover(hover));
        node.addEventListener("blur", () => store.setHover(null));
        this.el.append(node);
        this.maps.push(canvas);
        index += 1;
      });
    });
  }

  buildOutputs(column) {
    this.outputs = column.map((p, j) => {
      const label = column.length === 1 ? "Output node" : `Output node for ${className(j, column.length)}`;
      const node = html("div", { class: "node node-output", role: "img", "aria-label": label });
      node.style.left = `${p.x}px`;
      node.style.top = `${p.y}px`;
      const canvas = html("canvas", { width: 1, height: 1 });
      node.append(canvas);
      this.el.append(node);
      return canvas;
    });
  }

  bindEditable(el, target) {
    el.addEventListener("pointerenter", (e) => this.card.hover(target, e.pageX, e.pageY));
    el.addEventListener("pointerleave", () => this.card.leave());
    el.addEventListener("click", (e) => {
      e.stopPropagation();
      this.card.edit(target, e.pageX, e.pageY, el);
    });
    el.addEventListener("keydown", (e) => {
      if (e.key !== "Enter" && e.key !== " ") return;
      e.preventDefault();
      e.stopPropagation();
      const r = el.getBoundingClientRect();
      this.card.edit(target, r.left + window.scrollX + r.width / 2, r.top + window.scrollY + r.height / 2, el);
    });
  }

  toggleFeature(name) {
    const { store } = this;
    const current = store.config.features;
    if (current.includes(name)) {
      if (current.length === 1) {
        store.showBanner("The network needs at least one input feature.", "error");
        return;
      }
      store.setConfig({ features: current.filter((f) => f !== name) });
    } else {
      const order = store.options.features.map((f) => f.name);
      store.setConfig({ features: order.filter((f) => f === name || current.includes(f)) });
    }
  }

  // -- values ---------------------------------------------------------------------------
  repaint() {
    const { store } = this;
    const M = store.options.feature_map_size;
    const scale = scaleFor(store.view.palette);
    for (const button of this.el.querySelectorAll("[data-feature]")) {
      paintGrid(button.querySelector("canvas"), this.featureMaps[button.dataset.feature], M, scale.lut);
    }
    this.draw();
  }

  draw() {
    const frame = this.store.frame;
    const fits =
      frame?.kind === "mlp" && frame.sizes.length === this.sizes.length && frame.sizes.every((n, i) => n === this.sizes[i]);
    // A frame of another shape is older than the config (a rebuild is on its way).
    this.el.classList.toggle("stale", !fits);
    if (!fits) return;
    const scale = scaleFor(this.store.view.palette);
    for (const { line, layer, index } of this.links) {
      const w = frame.weights[layer][index];
      line.setAttribute("stroke", scale.css(w));
      line.setAttribute("stroke-width", linkWidth(w).toFixed(2));
    }
    for (const { rect, layer, index } of this.biases) {
      rect.setAttribute("fill", scale.css(frame.biases[layer][index]));
    }
    if (frame.maps) {
      const M = frame.mapSize;
      this.maps.forEach((canvas, h) => paintGrid(canvas, frame.maps.subarray(h * M * M, (h + 1) * M * M), M, scale.lut));
    }
    const discrete = this.store.view.discretize;
    if (frame.classes > 0 && frame.confidence) {
      this.outputs.forEach((canvas, j) =>
        paintClasses(canvas, frame.grid, frame.confidence, frame.gridSize, frame.classes, { discrete, only: j }),
      );
    } else if (this.outputs.length === 1) {
      paintGrid(this.outputs[0], frame.grid, frame.gridSize, discrete ? scale.discrete : scale.lut);
    }
    // Links flow while training: one dash step per frame that shows progress (TFP).
    if (this.lastEpoch !== null && frame.epoch > this.lastEpoch) {
      this.dash = (this.dash - 1) % 1000;
      this.linkGroup.style.strokeDashoffset = String(this.dash);
    }
    this.lastEpoch = frame.epoch;
    this.card.refresh(frame);
  }
}
