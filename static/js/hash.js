// The URL hash <-> the page's setup. Pure functions: every field is checked on its own
// against the server's options and falls back to its default when missing or invalid.

import { classRange, trimActivations } from "./rules.js";

export const VIEW_DEFAULTS = {
  speed: null, // filled in with options.default_speed
  show_test: false,
  discretize: false,
  palette: "default",
  presenter: false,
  extras: false, // the "more options" panel is open
  details: false, // per-class accuracy and confusion matrices are shown
  add_class: null, // the class a click on the plot adds (null: the first)
  add_value: 1, // the value a click adds in regression
};

const PALETTE_NAMES = ["default", "colorblind"];

// Parts of the page a guided demo may hide with `<name>_hide=true`.
export const HIDEABLE = [
  "play", "step", "reset", "epoch", "learning_rate", "activation", "regularization",
  "regularization_rate", "problem", "speed", "dataset", "train_ratio", "noise", "batch_size",
  "regenerate", "features", "hidden", "neurons", "loss", "test_loss", "show_test",
  "discretize", "palette", "presenter",
  // beyond TensorFlow Playground
  "classes", "extras", "loss_function", "optimizer", "momentum", "beta1", "beta2", "epsilon",
  "same_init", "layer_activations", "accuracy", "details", "points", "upload", "export", "import",
];

// TensorFlow Playground's names, so a teacher's old links keep working.
const ALIASES = {
  learningRate: "learning_rate",
  regularizationRate: "regularization_rate",
  percTrainData: "train_ratio",
  batchSize: "batch_size",
  networkShape: "hidden",
  numHiddenLayers: "hidden",
  showTestData: "show_test",
  playButton: "play",
  stepButton: "step",
  resetButton: "reset",
  dataRegenButton: "regenerate",
  activations: "activation",
  regularizations: "regularization",
};

const alias = (key) => ALIASES[key] ?? key;

function intIn(text, low, high) {
  if (!/^-?\d+$/.test(text)) return undefined;
  const v = Number(text);
  return v >= low && v <= high ? v : undefined;
}

function numberIn(text, low, high, { openLow = false } = {}) {
  if (text === "" || !/^[-+0-9.eE]+$/.test(text)) return undefined;
  const v = Number(text);
  if (!Number.isFinite(v) || v > high || v < low || (openLow && v === low)) return undefined;
  return v;
}

function bool(text) {
  return text === "true" ? true : text === "false" ? false : undefined;
}

/** Field parsers: text -> value, or undefined when the text is not acceptable. */
function parsers(options) {
  const names = (list) => list.map((x) => x.name);
  const { max_layers: maxLayers, max_neurons: maxNeurons } = options.limits;
  const featureNames = names(options.features);
  return {
    problem: (t) => (names(options.problems).includes(t) ? t : undefined),
    dataset: (t) => (names(options.datasets).includes(t) ? t : undefined),
    noise: (t) => intIn(t, 0, 50),
    train_ratio: (t) => intIn(t, 10, 90),
    seed: (t) => intIn(t, 0, 2 ** 31 - 1),
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

function viewParsers(options) {
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

function byType(example, text) {
  if (typeof example === "number") return numberIn(text, -Number.MAX_VALUE, Number.MAX_VALUE);
  if (typeof example === "boolean") return bool(text);
  if (typeof example === "string") return text;
  return undefined;
}

function pairs(hash) {
  const out = [];
  for (const part of hash.replace(/^#/, "").split("&")) {
    if (!part) continue;
    const eq = part.indexOf("=");
    try {
      const key = decodeURIComponent(eq < 0 ? part : part.slice(0, eq));
      const value = eq < 0 ? "" : decodeURIComponent(part.slice(eq + 1));
      out.push([key, value]);
    } catch {
      // a malformed escape: skip this pair only
    }
  }
  return out;
}

/** hash -> {config, view, hide: Set, hideText}; never throws. */
export function parseHash(hash, options) {
  const defaults = options.defaults;
  const config = structuredClone(defaults);
  const view = { ...VIEW_DEFAULTS, speed: options.default_speed };
  const hide = new Set();
  let hideText = false;
  const given = {};
  const configParsers = parsers(options);
  const vParsers = viewParsers(options);
  for (const [rawKey, value] of pairs(hash)) {
    if (rawKey.endsWith("_hide")) {
      const name = alias(rawKey.slice(0, -5));
      if (HIDEABLE.includes(name) && value === "true") hide.add(name);
      continue;
    }
    if (rawKey === "hideText" || rawKey === "hide_text") {
      hideText = value === "true";
      continue;
    }
    const key = alias(rawKey);
    if (Object.hasOwn(configParsers, key)) {
      const v = configParsers[key](value);
      if (v !== undefined) given[key] = v;
    } else if (Object.hasOwn(vParsers, key)) {
      const v = vParsers[key](value);
      if (v !== undefined) view[key] = v;
    } else if (Object.hasOwn(defaults, key)) {
      const v = byType(defaults[key], value); // a field this page has no control for yet
      if (v !== undefined) given[key] = v;
    }
  }
  Object.assign(config, given);
  // problem and dataset must agree: a valid dataset implies its problem
  const problemOf = (name) => options.datasets.find((d) => d.name === name)?.problem;
  if (given.dataset && !given.problem) config.problem = problemOf(given.dataset);
  if (problemOf(config.dataset) !== config.problem) {
    config.dataset = options.datasets.find((d) => d.problem === config.problem).name;
  }
  // the server's rules between fields (rules.js): a field that does not fit the others
  // falls back, the one given wins where it can
  if (config.problem === "regression") {
    config.classes = 2;
    config.loss = "mse";
  }
  const [low, high] = classRange(options, config.dataset);
  config.classes = Math.min(Math.max(config.classes, low), high);
  if (config.classes > 2) config.loss = "cross_entropy";
  config.layer_activations = trimActivations(config.layer_activations.slice(0, config.hidden.length));
  return { config, view, hide, hideText };
}

function formatValue(value) {
  return Array.isArray(value) ? value.join(",") : String(value);
}

/** {config, view, hide, hideText} -> hash text without "#": every field, in a stable order. */
export function formatHash({ config, view, hide, hideText }) {
  const parts = [];
  for (const [key, value] of Object.entries(config)) parts.push([key, formatValue(value)]);
  parts.push(["speed", String(view.speed)]);
  parts.push(["show_test", String(view.show_test)]);
  parts.push(["discretize", String(view.discretize)]);
  if (view.palette !== VIEW_DEFAULTS.palette) parts.push(["palette", view.palette]);
  if (view.presenter) parts.push(["presenter", "true"]);
  for (const key of ["extras", "details", "add_class", "add_value"]) {
    if (view[key] !== VIEW_DEFAULTS[key]) parts.push([key, String(view[key])]);
  }
  for (const name of HIDEABLE) if (hide.has(name)) parts.push([`${name}_hide`, "true"]);
  if (hideText) parts.push(["hideText", "true"]);
  return parts.map(([k, v]) => `${k}=${encodeURIComponent(v).replace(/%2C/g, ",")}`).join("&");
}
