// Colour scales. TFP: a linear scale over [-1, 0, 1] from orange through grey to blue for
// points, links and biases, and the same scale quantized into 31 shades for heatmaps.
// Every table is built once, when the module loads, and never changes.

export const PALETTES = Object.freeze({
  default: { negative: "#f59322", zero: "#e8eaeb", positive: "#0877bd" },
  // ColorBrewer PRGn ends: purple and green stay apart for every common colour vision
  // deficiency, and the palette is paired with square markers for negative points.
  colorblind: { negative: "#7b3294", zero: "#f7f7f7", positive: "#008837" },
});

export const SHADES = 31;

function rgb(hex) {
  const n = parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

function mix(a, b, t) {
  return a.map((v, i) => Math.round(v + (b[i] - v) * t));
}

/** A Uint32 pixel in ImageData's byte order (RGBA in memory, read little-endian). */
export function pack([r, g, b]) {
  return ((255 << 24) | (b << 16) | (g << 8) | r) >>> 0;
}

export const WHITE = pack([255, 255, 255]);

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
  return Object.freeze({
    palette,
    css(v) {
      const [r, g, b] = colorAt(v);
      return `rgb(${r},${g},${b})`;
    },
    lut,
    discrete,
  });
}

const SCALES = Object.freeze(Object.fromEntries(Object.entries(PALETTES).map(([name, p]) => [name, makeScale(p)])));

/** Give the stylesheet the palette's colours (--negative, --zero, --positive) and the
 * focus ring's (--focus: the default palette's positive blue, whatever the palette). */
export function applyPalette(root, palette) {
  const colors = PALETTES[palette] ?? PALETTES.default;
  for (const [name, value] of Object.entries(colors)) root.style.setProperty(`--${name}`, value);
  root.style.setProperty("--focus", PALETTES.default.positive);
}

/** The colour scale of one palette: css(v) for shapes, byte lookup tables for grids. */
export function scaleFor(palette) {
  return SCALES[palette] ?? SCALES.default;
}

// -- classes ------------------------------------------------------------------------------
// Okabe–Ito's colour-blind-safe categorical palette (yellow and black left out: yellow
// vanishes on white, black hides the outlines). The first two echo TFP's orange and blue.
export const CLASS_COLORS = Object.freeze(["#e69f00", "#0072b2", "#009e73", "#cc79a7", "#d55e00", "#56b4e9"]);
const CLASS_ZERO = rgb("#f4f4f4"); // a cell the network is unsure about fades to this

export function classCss(c) {
  return CLASS_COLORS[c] ?? "#999";
}

/**
 * Lookup tables for k classes: lut[c * 256 + q] is class c's colour at confidence q / 255,
 * from pale at 1/k (a guess) to the full colour at 1; discrete[c] is the full colour.
 */
function makeClassTables(k) {
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
  return Object.freeze({ lut, discrete });
}

// k runs from 2 to the number of class colours (the server's MAX_CLASSES is 6)
const CLASS_TABLES = Object.freeze(
  Array.from({ length: CLASS_COLORS.length + 1 }, (_, k) => (k >= 2 ? makeClassTables(k) : null)),
);

export function classTables(k) {
  return CLASS_TABLES[Math.min(Math.max(k, 2), CLASS_COLORS.length)];
}
