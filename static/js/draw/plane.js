// The plane every 2-D view shows: [-DOMAIN, DOMAIN]² with y up, as the server's grids
// (server/engine/render.py) and TFP draw it; mappings between it and a square of pixels.

export const DOMAIN = 6;

/** Plane x -> pixel column in a square of `size` pixels. */
export const toX = (x, size) => ((x + DOMAIN) / (2 * DOMAIN)) * size;

/** Plane y -> pixel row (y = +DOMAIN at the top). */
export const toY = (y, size) => ((DOMAIN - y) / (2 * DOMAIN)) * size;

/** A point inside a `rect` (a DOMRect) -> plane [x, y]. */
export function fromPixels(clientX, clientY, rect) {
  return [
    ((clientX - rect.left) / rect.width) * 2 * DOMAIN - DOMAIN,
    DOMAIN - ((clientY - rect.top) / rect.height) * 2 * DOMAIN,
  ];
}

/** Whether a point lies on the plane shown. */
export const onPlane = (x, y) => Math.abs(x) <= DOMAIN && Math.abs(y) <= DOMAIN;
