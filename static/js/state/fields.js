// Each field of a link: text -> value (or undefined when the text is not acceptable),
// checked against the server's options, and what each field takes, in words, for the
// notice about a link's refused values.

import { boundOf, boundText, parseSeed, parseWithin, seedText } from "./bounds.js";
import { trimActivations } from "./rules.js";

export const VIEW_DEFAULTS = Object.freeze({
  speed: null, // filled in with options.default_speed
  show_test: false,
  discretize: false,
  palette: "default",
  presenter: false,
  extras: false, // the "more options" panel is open
  details: false, // per-class accuracy and confusion matrices are shown
  add_class: null, // the class a click on the plot adds (null: the first)
  add_value: 1, // the value a click adds in regression
});

const PALETTE_NAMES = ["default", "colorblind"];

/** A seed as TFP makes one for a page opened without: "0.12345". */
export const freshSeed = () => Math.random().toFixed(5);


export function bool(text) {
  return text === "true" ? true : text === "false" ? false : undefined;
}

const names = (list) => list.map((x) => x.name);
const listed = (list) => names(list).join(", ");
// Bounds the page itself sets: the value a click adds in regression (targets are about
// [-1, 1]) and which class a click adds (from 0 to the most classes less one).
const ADD_VALUE = Object.freeze({ min: -1, max: 1 });
const addClass = (options) => {
  const classes = boundOf(options, "classes");
  return classes ? { min: 0, max: classes.max - 1, integer: true } : { min: 0, max: Infinity, integer: true };
};

/** Field parsers: text -> value, or undefined when the text is not acceptable. */
export function parsers(options) {
  const maxLayers = boundOf(options, "layers")?.max ?? Infinity;
  const neurons = boundOf(options, "neurons");
  const featureNames = names(options.features);
  const bounded = (field) => (t) => parseWithin(t, boundOf(options, field));
  return {
    kind: (t) => ((options.kinds ?? ["mlp"]).includes(t) ? t : undefined),
    problem: (t) => (names(options.problems).includes(t) ? t : undefined),
    dataset: (t) => (names(options.datasets).includes(t) ? t : undefined),
    noise: bounded("noise"),
    train_ratio: bounded("train_ratio"),
    seed: (t) => parseSeed(t, options),
    features(t) {
      const list = t.split(",").filter(Boolean);
      if (!list.length || list.some((f) => !featureNames.includes(f))) return undefined;
      return featureNames.filter((f) => list.includes(f)); // canonical order, no repeats
    },
    hidden(t) {
      if (t === "") return [];
      const sizes = t.split(",").map((s) => parseWithin(s, neurons));
      return sizes.length <= maxLayers && sizes.every((s) => s !== undefined) ? sizes : undefined;
    },
    activation: (t) => (names(options.activations).includes(t) ? t : undefined),
    learning_rate: bounded("learning_rate"),
    batch_size: bounded("batch_size"),
    regularization(t) {
      const v = t.toLowerCase();
      return names(options.regularizations).includes(v) ? v : undefined;
    },
    regularization_rate: bounded("regularization_rate"),
    classes: bounded("classes"),
    loss: (t) => (names(options.losses).includes(t) ? t : undefined),
    optimizer: (t) => (names(options.optimizers).includes(t) ? t : undefined),
    momentum: bounded("momentum"),
    beta1: bounded("beta1"),
    beta2: bounded("beta2"),
    epsilon: bounded("epsilon"),
    same_init: bool,
    layer_activations(t) {
      if (t === "") return [];
      const list = t.split(",").map((a) => (a === "" ? null : a));
      const known = names(options.activations);
      if (list.length > maxLayers || list.some((a) => a !== null && !known.includes(a))) return undefined;
      return trimActivations(list);
    },
  };
}

/** A generative kind's setting from a link (`gan.d_steps=3`): text -> value or undefined,
 * checked against the server's description of the field (options.generative). */
export function parseGenerative(field, text) {
  // a rate: any number the server takes, though the menu lists the usual ones
  if (field.number) return parseWithin(text, { min: field.min, max: field.max, min_open: true });
  if (field.type === "choice") return field.values.find((v) => String(v) === text);
  if (field.type === "layers") {
    if (text === "") return [];
    const sizes = text.split(",").map((s) => parseWithin(s, { min: 1, max: field.max_neurons, integer: true }));
    return sizes.length <= field.max_layers && sizes.every((s) => s !== undefined) ? sizes : undefined;
  }
  return parseWithin(text, { min: field.min, max: field.max, integer: field.type === "int" });
}

/** What a generative setting takes, in words. */
export function generativeRule(field) {
  if (field.number) return `above ${field.min}, at most ${field.max}`;
  if (field.type === "choice") return field.values.join(", ");
  if (field.type === "layers") return `at most ${field.max_layers} layers of 1 to ${field.max_neurons} neurons, comma-separated`;
  return `${field.type === "int" ? "a whole number" : "a number"} from ${field.min} to ${field.max}`;
}

/** What each field takes, in words, for the notice about a link's refused values. */
export function allowed(options) {
  const words = (field) => boundText(boundOf(options, field));
  const layers = boundOf(options, "layers");
  const most = layers ? `at most ${layers.max}` : "any number of";
  const neurons = boundOf(options, "neurons");
  const sizes = neurons ? `${neurons.min} to ${neurons.max} neurons` : "neurons";
  const speed = boundOf(options, "speed");
  return {
    kind: (options.kinds ?? ["mlp"]).join(", "),
    problem: listed(options.problems),
    dataset: listed(options.datasets),
    regDataset: "reg-plane, reg-gauss",
    noise: words("noise"),
    train_ratio: words("train_ratio"),
    seed: seedText(options),
    features: listed(options.features),
    hidden: `${most} layers of ${sizes}, comma-separated`,
    activation: listed(options.activations),
    layer_activations: `${most} of ${listed(options.activations)}, or empty`,
    learning_rate: words("learning_rate"),
    batch_size: words("batch_size"),
    regularization: listed(options.regularizations),
    regularization_rate: words("regularization_rate"),
    classes: words("classes"),
    loss: listed(options.losses),
    optimizer: listed(options.optimizers),
    momentum: words("momentum"),
    beta1: words("beta1"),
    beta2: words("beta2"),
    epsilon: words("epsilon"),
    speed: `${boundText(speed)}, or ${options.speeds.includes("max") ? "max" : "a number"}`,
    palette: PALETTE_NAMES.join(", "),
    add_class: boundText(addClass(options)),
    add_value: boundText(ADD_VALUE),
  };
}

export function viewParsers(options) {
  const speed = boundOf(options, "speed");
  return {
    speed: (t) => (t === "max" && options.speeds.includes("max") ? "max" : parseWithin(t, speed)),
    show_test: bool,
    discretize: bool,
    palette: (t) => (PALETTE_NAMES.includes(t) ? t : undefined),
    presenter: bool,
    extras: bool,
    details: bool,
    add_class: (t) => parseWithin(t, addClass(options)),
    add_value: (t) => parseWithin(t, ADD_VALUE),
  };
}

/** A field this page has no control for yet: any value of its default's type. */
export function byType(example, text) {
  if (typeof example === "number") return parseWithin(text, null);
  if (typeof example === "boolean") return bool(text);
  if (typeof example === "string") return text;
  return undefined;
}
