// A network drawn once, read-only, from saved parameters (the share page): the layout of
// the live diagram (networkLayout.js), links coloured by sign and sized by magnitude as
// there, dead links dashed, and each neuron's map rendered from the weights (kinds/mlp.js)
// where this page can; otherwise the neuron shows its bias colour.

import { paintGrid } from "../draw/canvas.js";
import { scaleFor } from "../draw/colors.js";
import { html, svg } from "../draw/dom.js";
import { canRender, renderFrame } from "../kinds/mlp.js";
import { className, outputCount } from "../state/rules.js";
import { layoutNetwork, TOP_ROWS } from "./networkLayout.js";
import { linkWidth } from "./network.js";

const NODE = 30; // px, as the live diagram's default --node-size
const MAP = 25; // cells of a neuron's map, as the live page asks for

/** params.layers [{weight: [[out][in]], bias: [out]}] as a frame's sizes, weights, biases. */
export function asFrame(params) {
  const layers = params.layers;
  const sizes = [layers[0].weight[0]?.length ?? 0, ...layers.map((l) => l.bias.length)];
  return {
    sizes,
    weights: layers.map((l) => Float64Array.from(l.weight.flat())),
    biases: layers.map((l) => Float64Array.from(l.bias)),
  };
}

/** Draw `params` of a network with `config` into `el`; options: the page's options. */
export function drawStaticNetwork(el, { config, params, options, featureMaps }) {
  const frame = asFrame(params);
  const features = config.features.map((n) => options.features.find((f) => f.name === n) ?? { name: n, label: n });
  const outputs = outputCount(config);
  const names = Array.from({ length: outputs }, (_, j) => className(j, config.classes));
  const width = Math.max(el.clientWidth, 320);
  const layout = layoutNetwork(features, config.features, config.hidden, width, NODE, outputs, names);
  const fits = layout.nodes.length === frame.sizes.length && layout.nodes.every((c, l) => c.length === frame.sizes[l]);
  const scale = scaleFor("default");
  el.replaceChildren();
  el.style.setProperty("--node-size", `${NODE}px`);
  // no per-layer buttons above the columns here: the room the live diagram keeps for them goes
  const spare = Math.round(NODE * (TOP_ROWS - 0.5));
  el.style.height = `${layout.height}px`;
  el.style.marginTop = `${-spare}px`;
  if (!fits) {
    el.append(html("p", { class: "explain" }, "This network's weights do not match its setup; it cannot be drawn."));
    return;
  }
  const dead = new Set((params.dead ?? []).map((d) => `${d.layer}:${d.neuron}:${d.input}`));
  const root = svg("svg", { class: "links", width: layout.width, height: layout.height, "aria-hidden": "true" });
  for (const link of layout.links) {
    const w = frame.weights[link.layer][link.index];
    const isDead = dead.has(`${link.layer}:${link.neuron}:${link.input}`);
    const path = svg("path", {
      d: link.d,
      class: "link",
      stroke: isDead ? "#bbb" : scale.css(w),
      "stroke-width": isDead ? 1 : linkWidth(w).toFixed(2),
    });
    if (isDead) path.setAttribute("stroke-dasharray", "3 3");
    path.append(svg("title", {}, `Weight from ${link.from} to ${link.to}: ${w.toFixed(3)}${isDead ? " (dead)" : ""}`));
    root.append(path);
  }
  for (const bias of layout.biases) {
    const b = frame.biases[bias.layer][bias.neuron];
    const rect = svg("rect", { x: bias.x, y: bias.y, width: bias.size, height: bias.size, class: "bias" });
    rect.style.fill = scale.css(b); // over the stylesheet's resting colour
    rect.append(svg("title", {}, `Bias of ${bias.of}: ${b.toFixed(3)}`));
    root.append(rect);
  }
  el.append(root);

  const rendered = canRender(config) && outputs === 1 ? renderFrame(frame, config, MAP, MAP) : null;
  const node = (p, cls, label, paint) => {
    const box = html("div", { class: `node ${cls}`, role: "img", "aria-label": label });
    box.style.left = `${p.x}px`;
    box.style.top = `${p.y}px`;
    const canvas = html("canvas", { width: 1, height: 1 });
    paint(canvas);
    box.append(canvas);
    el.append(box);
  };
  const M = options.feature_map_size;
  layout.nodes[0].forEach((p, i) => {
    const f = features[i];
    const label = html("span", { class: "node-label", "aria-hidden": "true" }, f.label);
    label.style.top = `${p.y}px`;
    label.style.width = `${p.x - 8}px`;
    el.append(label);
    node(p, "node-input", f.label, (c) => featureMaps[f.name] && paintGrid(c, featureMaps[f.name], M, scale.lut));
  });
  let offset = 0;
  layout.nodes.slice(1).forEach((column, k) => {
    const last = k === layout.nodes.length - 2;
    column.forEach((p, j) => {
      const label = last ? (outputs === 1 ? "Output node" : `Output node for ${names[j]}`) : `Neuron ${j + 1} of layer ${k + 1}`;
      node(p, last ? "node-output" : "node-hidden", label, (c) => {
        if (rendered && last) paintGrid(c, rendered.grid, MAP, scale.lut);
        else if (rendered) paintGrid(c, rendered.maps.subarray(offset * MAP * MAP, (offset + 1) * MAP * MAP), MAP, scale.lut);
        else paintGrid(c, Uint8Array.of(Math.round((Math.max(-1, Math.min(1, frame.biases[k][j])) + 1) * 127.5)), 1, scale.lut);
      });
      if (!last) offset += 1;
    });
  });
}
