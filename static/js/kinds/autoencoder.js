// An autoencoder (server/engine/kinds/autoencoder.py): the header's losses are the train
// and test reconstruction errors; the body (kinds/generative.js) holds every point, its
// reconstruction and its code, and the decoded manifold.

import { decodeBody } from "./generative.js";

export const NAME = "autoencoder";
export const CODE = 2;

/** {meta, sections}: points, recon (N, 2), codes (N, k), manifold (M, 2) or (M, M, 2). */
export function decode(view, offset) {
  return decodeBody(view, offset);
}

export const complete = () => true;

/** The server draws this kind's frames ("server" render mode). */
export const canRender = () => false;
