// The MLP, TFP's network: decodes its part of a frame (layer sizes, weights and biases,
// the output grid and the neuron maps), and renders those maps in the browser from the
// weights: the same grid, features, activations and quantization as the server's
// server/engine/render.py, so a viewer in "client" render mode needs no grids on the wire.

import { DOMAIN } from "../draw/plane.js";

export const NAME = "mlp";
export const CODE = 0; // the frame's kind byte

const FLAG_MAPS = 1;

/**
 * The MLP's part of a frame, read from the common header's MLP bytes (n, flags, G, M,
 * classes) and the body at `offset`: {sizes, gridSize, mapSize, classes, weights, biases,
 * grid, confidence, maps}. weights[l] is a Float64Array [out][in] row-major, biases[l] a
 * Float64Array [out]; grid and maps are Uint8Array views (q / 127.5 - 1). With classes > 0
 * (k-class softmax), grid holds each cell's winning class and confidence its probability
 * (q / 255).
 */
export function decode(view, offset) {
  const buffer = view.buffer;
  const n = view.getUint8(2);
  const flags = view.getUint8(3);
  const gridSize = view.getUint16(4, true);
  const mapSize = view.getUint16(6, true);
  const classes = view.getUint8(36);
  const sizes = Array.from({ length: n }, (_, i) => view.getUint16(offset + 2 * i, true));
  let at = offset + Math.ceil((2 * n) / 8) * 8;
  const readF64 = (count) => {
    if (at + 8 * count > buffer.byteLength) throw new Error("truncated frame");
    const out = new Float64Array(count);
    for (let i = 0; i < count; i++) out[i] = view.getFloat64(at + 8 * i, true);
    at += 8 * count;
    return out;
  };
  const bytes = (count) => {
    if (at + count > buffer.byteLength) throw new Error("truncated frame");
    const out = new Uint8Array(buffer, at, count);
    at += count;
    return out;
  };
  const weights = [];
  const biases = [];
  for (let l = 0; l + 1 < n; l++) weights.push(readF64(sizes[l + 1] * sizes[l]));
  for (let l = 0; l + 1 < n; l++) biases.push(readF64(sizes[l + 1]));
  const grid = bytes(gridSize * gridSize);
  const confidence = classes > 0 ? bytes(gridSize * gridSize) : null;
  const hidden = sizes.slice(1, -1).reduce((a, b) => a + b, 0);
  const maps = flags & FLAG_MAPS && mapSize > 0 ? bytes(hidden * mapSize * mapSize) : null;
  return { sizes, gridSize, mapSize, classes, weights, biases, grid, confidence, maps };
}

/** Feature formulas by registry name (server/engine/features.py). Unknown -> null. */
const FEATURES = {
  x1: (x) => x,
  x2: (_x, y) => y,
  x1_squared: (x) => x * x,
  x2_squared: (_x, y) => y * y,
  x1_x2: (x, y) => x * y,
  sin_x1: (x) => Math.sin(x),
  sin_x2: (_x, y) => Math.sin(y),
};

const ACTIVATIONS = {
  tanh: Math.tanh,
  relu: (z) => (z > 0 ? z : 0),
  sigmoid: (z) => 1 / (1 + Math.exp(-z)),
  linear: (z) => z,
};

/** Can this page render a network with these features and activations itself? */
export function canRender(config) {
  const names = [config.activation, ...(config.layer_activations ?? []).filter(Boolean)];
  return (
    config.features.every((f) => f in FEATURES) &&
    names.every((a) => a in ACTIVATIONS) &&
    (config.classes ?? 2) <= 2
  );
}

/** [-1, 1] -> 0..255 as the server quantizes (NaN -> 128). */
export function quantize(value) {
  if (Number.isNaN(value)) return 128;
  const v = Math.min(1, Math.max(-1, value));
  return Math.round((v + 1) * 127.5);
}

function outputFunction(config) {
  if (config.problem === "regression") return ACTIVATIONS.linear;
  if (config.loss === "cross_entropy") return (z) => 2 * ACTIVATIONS.sigmoid(z) - 1; // shown as 2p - 1
  return ACTIVATIONS.tanh;
}

/**
 * Evaluate the network on a size×size grid (rows y = +6 down to -6, columns x = -6 to +6).
 * Returns Float64Arrays: output (size*size) and hidden[l] (neurons*size*size, neuron-major).
 */
export function evaluate(frame, config, size) {
  const { sizes, weights, biases } = frame;
  const features = config.features.map((f) => FEATURES[f]);
  const layers = sizes.length - 1;
  const hidden = sizes.slice(1, -1).map((n) => new Float64Array(n * size * size));
  const output = new Float64Array(size * size);
  const acts = [];
  for (let l = 0; l < layers - 1; l++) {
    acts.push(ACTIVATIONS[config.layer_activations?.[l] ?? config.activation]);
  }
  acts.push(outputFunction(config));
  let below = new Float64Array(Math.max(...sizes));
  let above = new Float64Array(Math.max(...sizes));
  const step = size > 1 ? (2 * DOMAIN) / (size - 1) : 0;
  for (let row = 0; row < size; row++) {
    const y = DOMAIN - row * step;
    for (let col = 0; col < size; col++) {
      const x = -DOMAIN + col * step;
      const cell = row * size + col;
      for (let i = 0; i < features.length; i++) below[i] = features[i](x, y);
      for (let l = 0; l < layers; l++) {
        const n_in = sizes[l];
        const n_out = sizes[l + 1];
        const w = weights[l];
        const b = biases[l];
        for (let j = 0; j < n_out; j++) {
          let z = b[j];
          for (let i = 0; i < n_in; i++) z += w[j * n_in + i] * below[i];
          above[j] = acts[l](z);
        }
        if (l < layers - 1) {
          const maps = hidden[l];
          for (let j = 0; j < n_out; j++) maps[j * size * size + cell] = above[j];
        }
        [below, above] = [above, below];
      }
      output[cell] = below[0];
    }
  }
  return { output, hidden };
}

/** The grid and neuron maps a server frame would carry, as Uint8Arrays. */
export function renderFrame(frame, config, gridSize, mapSize) {
  const grid = Uint8Array.from(evaluate(frame, config, gridSize).output, quantize);
  let maps = null;
  if (mapSize > 0) {
    const parts = evaluate(frame, config, mapSize).hidden;
    const total = parts.reduce((sum, p) => sum + p.length, 0);
    maps = new Uint8Array(total);
    let offset = 0;
    for (const part of parts) {
      maps.set(Uint8Array.from(part, quantize), offset);
      offset += part.length;
    }
  }
  return { grid, maps };
}

/**
 * Fill a grid-less frame (render "client") with the grid and maps the server would have
 * sent, for the config and the view it was asked with; false where this page cannot.
 */
export function complete(frame, config, view) {
  if (frame.gridSize > 0) return true; // the server drew them
  if (!config || !canRender(config) || frame.classes > 0) return false;
  if (config.features.length !== frame.sizes[0] || frame.sizes.at(-1) !== 1) return false;
  const mapSize = view.maps ? view.map_size : 0;
  const { grid, maps } = renderFrame(frame, config, view.grid, mapSize);
  Object.assign(frame, { grid, maps, gridSize: view.grid, mapSize });
  return true;
}
