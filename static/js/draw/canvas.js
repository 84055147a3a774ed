// Painting byte grids onto canvases: one pixel per cell through a colour lookup table
// (draw/colors.js), the legend's continuous scale, and k-class grids.

import { CLASS_COLORS, classTables, WHITE } from "./colors.js";

// Each canvas keeps its ImageData between frames (the canvas owns it, not this module).
const IMAGE = Symbol("image");

/** The canvas sized size×size, its context, and the ImageData kept for it between frames. */
function surface(canvas, size) {
  if (canvas.width !== size || canvas.height !== size) {
    canvas.width = size;
    canvas.height = size;
  }
  const ctx = canvas.getContext("2d");
  let image = canvas[IMAGE];
  if (!image || image.width !== size) {
    image = ctx.createImageData(size, size);
    canvas[IMAGE] = image;
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

/**
 * Paint a class grid (winning class per cell, its confidence q / 255) onto a canvas;
 * `only` paints one class and leaves the others white (an output neuron's region).
 */
export function paintClasses(canvas, classes, confidence, size, k, { discrete = false, only = null } = {}) {
  const { ctx, image, pixels } = surface(canvas, size);
  const tables = classTables(k);
  const n = size * size;
  for (let i = 0; i < n; i++) {
    const c = Math.min(classes[i], CLASS_COLORS.length - 1);
    if (only !== null && c !== only) pixels[i] = WHITE;
    else pixels[i] = discrete ? tables.discrete[c] : tables.lut[c * 256 + confidence[i]];
  }
  ctx.putImageData(image, 0, 0);
}
