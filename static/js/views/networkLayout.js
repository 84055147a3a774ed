// Where everything in the network diagram goes: pure geometry, no DOM. TFP's arrangement:
// the inputs in a column on the left (all features, active or not), hidden layers spread
// evenly, the output node on the right; every column starts at the top.

export const TOP_ROWS = 2.5; // node sizes above the first row: the per-layer buttons
export const ROW_STEP = 1.55; // node sizes from one row to the next

/** The diagram's height for node size S and the longest column's `rows` nodes. */
export const networkHeight = (S, rows) => Math.round(S * TOP_ROWS) + rows * Math.round(S * ROW_STEP);

/**
 * (features: [{name, label}], active: [names], hidden: [sizes], width, node size S,
 *  outputs: output neurons (k classes), classNames: what to call output j) ->
 * {width, height, S, inputX, rowY(r), columnX(k), inputs: [{feature, x, y}],
 *  nodes: [[{x, y, name}]] per layer from the active inputs to the output,
 *  links: [{layer, neuron, input, index, d, from, to}], biases: [{layer, neuron, x, y, size, of}]}
 */
export function layoutNetwork(features, active, hidden, width, S, outputs = 1, classNames = null) {
  const W = Math.max(width, 6 * S);
  const top = Math.round(S * TOP_ROWS); // room for the per-layer buttons and activation
  const step = Math.round(S * ROW_STEP);
  const inputX = Math.round(S * 2.1); // room for the feature labels
  const outputX = W - S - 4;
  const columnX = (k) => inputX + ((outputX - inputX) * (k + 1)) / (hidden.length + 1);
  const rowY = (r) => top + r * step;
  const height = networkHeight(S, Math.max(features.length, ...hidden, outputs));

  const inputs = features.map((feature, r) => ({ feature, x: inputX, y: rowY(r) }));
  const nodes = [
    inputs.filter((p) => active.includes(p.feature.name)).map((p) => ({ x: p.x, y: p.y, name: p.feature.label })),
    ...hidden.map((n, k) =>
      Array.from({ length: n }, (_, j) => ({ x: columnX(k), y: rowY(j), name: `neuron ${j + 1} of layer ${k + 1}` })),
    ),
    outputs === 1
      ? [{ x: outputX, y: rowY(0), name: "the output" }]
      : Array.from({ length: outputs }, (_, j) => ({
          x: outputX,
          y: rowY(j),
          name: `the output for ${classNames?.[j] ?? `class ${j}`}`,
        })),
  ];

  // Weight index [out][in] row-major, as in the frame.
  const links = [];
  const biases = [];
  const B = Math.max(5, Math.round(S / 5));
  for (let l = 0; l + 1 < nodes.length; l++) {
    nodes[l + 1].forEach((to, j) => {
      nodes[l].forEach((from, i) => {
        const x1 = from.x + S;
        const y1 = from.y + S / 2;
        const x2 = to.x;
        const y2 = to.y + S / 2;
        const mx = (x1 + x2) / 2;
        const d = `M${x1},${y1} C${mx},${y1} ${mx},${y2} ${x2},${y2}`;
        links.push({ layer: l, neuron: j, input: i, index: j * nodes[l].length + i, d, from: from.name, to: to.name });
      });
      biases.push({ layer: l, neuron: j, x: to.x - B - 2, y: to.y + S - B, size: B, of: to.name });
    });
  }
  return { width: W, height, S, inputX, rowY, columnX, inputs, nodes, links, biases };
}
