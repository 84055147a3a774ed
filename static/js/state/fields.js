// Each field of a link: text -> value (or undefined when the text is not acceptable),
// checked against the server's options, and what each field takes, in words, for the
// notice about a link's refused values.

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

// The seed: digits in range are our own integer seed (numpy); any other 1..64 printable
// ASCII characters without & or = are a TFP seed string (seedrandom: TFP's points), as the
// server takes them (docs/api.md, "Seeds").
const MAX_SEED = 2 ** 31 - 1;
const SEED_TEXT = /^[\x20-\x25\x27-\x3c\x3e-\x7e]{1,64}$/; // printable ASCII but & and =

export function parseSeed(text) {
  if (/^\d+$/.test(text) && Number(text) <= MAX_SEED) return Number(text);
  return SEED_TEXT.test(text) ? text : undefined;
}

/** A seed as TFP makes one for a page opened without: "0.12345". */
export const freshSeed = () => Math.random().toFixed(5);

function intIn(text, low, high) {
  if (!/^-?\d+$/.test(text)) return undefined;
  const v = Number(text);
  return v >= low && v <= high ? v : undefined;
}

export function numberIn(text, low, high, { openLow = false } = {}) {
  if (text === "" || !/^[-+0-9.eE]+$/.test(text)) return undefined;
  const v = Number(text);
  if (!Number.isFinite(v) || v > high || v < low || (openLow && v === low)) return undefined;
  return v;
}

export function bool(text) {
  return text === "true" ? true : text === "false" ? false : undefined;
}

const names = (list) => list.map((x) => x.name);
const listed = (list) => names(list).join(", ");
const range = ([low, high]) => `${low} to ${high}`;

/** Field parsers: text -> value, or undefined when the text is not acceptable. */
export function parsers(options) {
  const { max_layers: maxLayers, max_neurons: maxNeurons } = options.limits;
  const featureNames = names(options.features);
  return {
    problem: (t) => (names(options.problems).includes(t) ? t : undefined),
    dataset: (t) => (names(options.datasets).includes(t) ? t : undefined),
    noise: (t) => intIn(t, 0, 50),
    train_ratio: (t) => intIn(t, 10, 90),
    seed: parseSeed,
    features(t) {
      const list = t.split(",").filter(Boolean);
      if (!list.length || list.some((f) => !featureNames.includes(f))) return undefined;
      return featureNames.filter((f) => list.includes(f)); // canonical order, no repeats
    },
    hidden(t) {
      if (t === "") return [];
      const sizes = t.split(",").map((s) => intIn(s, 1, maxNeurons));
      return sizes.length <= maxLayers && sizes.every((s) => s !== undefined) ? sizes : undefined;
    },
    activation: (t) => (names(options.activations).includes(t) ? t : undefined),
    learning_rate: (t) => numberIn(t, 0, 10, { openLow: true }),
    batch_size: (t) => intIn(t, 1, 30),
    regularization(t) {
      const v = t.toLowerCase();
      return names(options.regularizations).includes(v) ? v : undefined;
    },
    regularization_rate: (t) => numberIn(t, 0, 10),
    classes: (t) => intIn(t, ...options.limits.classes),
    loss: (t) => (names(options.losses).includes(t) ? t : undefined),
    optimizer: (t) => (names(options.optimizers).includes(t) ? t : undefined),
    momentum: (t) => numberIn(t, ...options.limits.momentum),
    beta1: (t) => numberIn(t, ...options.limits.beta1),
    beta2: (t) => numberIn(t, ...options.limits.beta2),
    epsilon: (t) => numberIn(t, ...options.limits.epsilon, { openLow: true }),
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

/** What each field takes, in words, for the notice about a link's refused values. */
export function allowed(options) {
  const { max_layers: maxLayers, max_neurons: maxNeurons, classes } = options.limits;
  return {
    problem: listed(options.problems),
    dataset: listed(options.datasets),
    regDataset: "reg-plane, reg-gauss",
    noise: "0 to 50",
    train_ratio: "10 to 90",
    seed: `a whole number 0 to ${MAX_SEED}, or 1 to 64 printable characters without & or =`,
    features: listed(options.features),
    hidden: `at most ${maxLayers} layers of 1 to ${maxNeurons} neurons, comma-separated`,
    activation: listed(options.activations),
    layer_activations: `at most ${maxLayers} of ${listed(options.activations)}, or empty`,
    learning_rate: "above 0, at most 10",
    batch_size: "1 to 30",
    regularization: listed(options.regularizations),
    regularization_rate: "0 to 10",
    classes: range(classes),
    loss: listed(options.losses),
    optimizer: listed(options.optimizers),
    momentum: range(options.limits.momentum),
    beta1: range(options.limits.beta1),
    beta2: range(options.limits.beta2),
    epsilon: `above ${options.limits.epsilon[0]}, at most ${options.limits.epsilon[1]}`,
    speed: `above 0, at most 100000, or ${options.speeds.includes("max") ? "max" : "a number"}`,
    palette: PALETTE_NAMES.join(", "),
    add_class: `0 to ${classes[1] - 1}`,
    add_value: "-1 to 1",
  };
}

export function viewParsers(options) {
  return {
    speed: (t) => (t === "max" && options.speeds.includes("max") ? "max" : numberIn(t, 0, 100000, { openLow: true })),
    show_test: bool,
    discretize: bool,
    palette: (t) => (PALETTE_NAMES.includes(t) ? t : undefined),
    presenter: bool,
    extras: bool,
    details: bool,
    add_class: (t) => intIn(t, 0, options.limits.classes[1] - 1),
    add_value: (t) => numberIn(t, -1, 1),
  };
}

export function byType(example, text) {
  if (typeof example === "number") return numberIn(text, -Number.MAX_VALUE, Number.MAX_VALUE);
  if (typeof example === "boolean") return bool(text);
  if (typeof example === "string") return text;
  return undefined;
}

