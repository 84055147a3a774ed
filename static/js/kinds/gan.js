// A GAN (server/engine/kinds/gan.py): the frame's header carries D's loss as the train
// loss and G's as the test loss; the body (kinds/generative.js) holds the real and the
// generated samples, the push on each generated point, D's map and G's manifold.

import { decodeBody } from "./generative.js";

export const NAME = "gan";
export const CODE = 1;

/** {meta, sections, gridSize}: sections real, fake, push (N, 2), dmap (G, G) bytes q/255
 * (D's probability of "real", rows from y = +6 down), manifold (M, 2) or (M, M, 2). */
export function decode(view, offset) {
  const body = decodeBody(view, offset);
  return { ...body, gridSize: body.meta.grid ?? 0 };
}

/** The server draws everything a GAN frame needs. */
export const complete = () => true;

/** The server draws this kind's frames ("server" render mode). */
export const canRender = () => false;
