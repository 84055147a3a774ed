// The model kinds this page can draw, by name: each module says its frame byte (CODE),
// decodes its part of a frame (decode), and may draw a grid-less frame itself (complete).
// A new kind is one module in this folder and one line here.

import * as autoencoder from "./autoencoder.js";
import * as gan from "./gan.js";
import * as mlp from "./mlp.js";

export const KINDS = Object.freeze({ mlp, gan, autoencoder });

/** The kind module of a frame's kind byte, or undefined. */
export const kindOf = (code) => Object.values(KINDS).find((kind) => kind.CODE === code);
