// Colour scales. TFP: a linear scale over [-1, 0, 1] from orange through grey to blue for
// points, links and biases, and the same scale quantized into 31 shades for heatmaps.

export const PALETTES = {
  default: { negative: "#f59322", zero: "#e8eaeb", positive: "#0877bd" },
  // ColorBrewer PRGn ends: purple and green stay apart for every common colour vision
  // deficiency, and the palette is paired with square markers for negative points.
  colorblind: { negative: "#7b3294", zero: "#f7f7f7", positive: "#008837" },
};

export const SHADES = 31;

function rgb(hex) {
  const n = parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

function mix(a, b, t) {
  return a.map((v, i) => Math.round(v + (b[i] - v) * t));
}

// Uint32 pixel in ImageData's byte order (RGBA in memory, read little-endian).
function pack([r, g, b]) {
  return ((255 << 24) | (b << 16) | (g << 8) | r) >>> 0;
}

const scales = new Map();

/** The colour scale of one palette: css(v) for shapes, byte lookup tables for grids. */
export function scaleFor(palette) {
  if (!scales.has(palette)) scales.set(palette, makeScale(PALETTES[palette] ?? PALETTES.default));
  return scales.get(palette);
}

function makeScale(palette) {
  const neg = rgb(palette.negative);
  const zero = rgb(palette.zero);
  const pos = rgb(palette.positive);
  const colorAt = (v) => {
    const c = Math.max(-1, Math.min(1, Number.isFinite(v) ? v : 0));
    return c < 0 ? mix(zero, neg, -c) : mix(zero, pos, c);
  };
  const shades = Array.from({ length: SHADES }, (_, i) => colorAt(-1 + (2 * i) / (SHADES - 1)));
  const shadeOf = (v) => shades[Math.min(SHADES - 1, Math.max(0, Math.floor(((v + 1) / 2) * SHADES)))];
  // Grids arrive as bytes q standing for q / 127.5 - 1 (see docs/protocol.md).
  const lut = new Uint32Array(256);
  const discrete = new Uint32Array(256);
  for (let q = 0; q < 256; q++) {
    const v = q / 127.5 - 1;
    lut[q] = pack(shadeOf(v));
    discrete[q] = pack(colorAt(q >= 128 ? 1 : -1));
  }
  return {
    palette,
    css(v) {
      const [r, g, b] = colorAt(v);
      return `rgb(${r},${g},${b})`;
    },
    lut,
    discrete,
  };
}

const images = new WeakMap();

/** The canvas sized size×size, its context, and an ImageData kept for it between frames. */
function surface(canvas, size) {
  if (canvas.width !== size || canvas.height !== size) {
    canvas.width = size;
    canvas.height = size;
  }
  const ctx = canvas.getContext("2d");
  let image = images.get(canvas);
  if (!image || image.width !== size) {
    image = ctx.createImageData(size, size);
    images.set(canvas, image);
  }
  return { ctx, image, pixels: new Uint32Array(image.data.buffer) };
}

/** Paint a size×size byte grid onto a canvas of that many pixels through a lookup table. */
export function paintGrid(canvas, bytes, size, lut) {
  const { ctx, image, pixels } = surface(canvas, size);
  const n = size * size;
  for (let i = 0; i < n; i++) pixels[i] = lut[bytes[i]];
  ctx.putImageData(image, 0, 0);
}

/** A horizontal legend of the continuous scale. */
export function paintLegend(canvas, scale) {
  const ctx = canvas.getContext("2d");
  const w = canvas.width;
  for (let x = 0; x < w; x++) {
    ctx.fillStyle = scale.css((x / (w - 1)) * 2 - 1);
    ctx.fillRect(x, 0, 1, canvas.height);
  }
}

// -- classes ------------------------------------------------------------------------------
// Okabe–Ito's colour-blind-safe categorical palette (yellow and black left out: yellow
// vanishes on white, black hides the outlines). The first two echo TFP's orange and blue.
export const CLASS_COLORS = ["#e69f00", "#0072b2", "#009e73", "#cc79a7", "#d55e00", "#56b4e9"];
const CLASS_ZERO = rgb("#f4f4f4"); // a cell the network is unsure about fades to this

export function classCss(c) {
  return CLASS_COLORS[c] ?? "#999";
}

const classLuts = new Map();

/**
 * Lookup tables for k classes: lut[c * 256 + q] is class c's colour at confidence q / 255,
 * from pale at 1/k (a guess) to the full colour at 1; discrete[c] is the full colour.
 */
export function classTables(k) {
  if (!classLuts.has(k)) {
    const lut = new Uint32Array(CLASS_COLORS.length * 256);
    const discrete = new Uint32Array(CLASS_COLORS.length);
    CLASS_COLORS.forEach((hex, c) => {
      const full = rgb(hex);
      discrete[c] = pack(full);
      for (let q = 0; q < 256; q++) {
        const t = Math.max(0, (q / 255 - 1 / k) / (1 - 1 / k)); // 0 at a guess, 1 when sure
        lut[c * 256 + q] = pack(mix(CLASS_ZERO, full, 0.15 + 0.85 * t));
      }
    });
    classLuts.set(k, { lut, discrete });
  }
  return classLuts.get(k);
}

/**
 * Paint a class grid (winning class per cell, its confidence q / 255) onto a canvas;
 * `only` paints one class and leaves the others white (an output neuron's region).
 */
export function paintClasses(canvas, classes, confidence, size, k, { discrete = false, only = null } = {}) {
  const { ctx, image, pixels } = surface(canvas, size);
  const tables = classTables(k);
  const white = pack([255, 255, 255]);
  const n = size * size;
  for (let i = 0; i < n; i++) {
    const c = Math.min(classes[i], CLASS_COLORS.length - 1);
    if (only !== null && c !== only) pixels[i] = white;
    else pixels[i] = discrete ? tables.discrete[c] : tables.lut[c * 256 + confidence[i]];
  }
  ctx.putImageData(image, 0, 0);
}
