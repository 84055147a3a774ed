// The URL hash <-> the page's setup. Pure functions: every field is checked on its own
// against the server's options and falls back to its default when missing or invalid.
// Both our names and TensorFlow Playground's (tfp.js) are read, mixed in any order: the
// later key wins where two give the same field. formatHash writes our names.

import {
  allowed, bool, byType, freshSeed, generativeRule, parseGenerative, parsers, VIEW_DEFAULTS, viewParsers,
} from "./fields.js";
import { classRange, dataLoss, trimActivations } from "./rules.js";
import {
  TFP_BOOLEANS, TFP_COS, TFP_DEFAULT_FEATURES, TFP_FEATURES, TFP_FIELDS, TFP_HIDE, TFP_KEPT,
  TFP_REG_DATASETS, tfpBool,
} from "./tfp.js";

// Parts of the page a guided demo may hide with `<name>_hide=true`.
export const HIDEABLE = [
  "play", "step", "reset", "epoch", "learning_rate", "activation", "regularization",
  "regularization_rate", "problem", "speed", "dataset", "train_ratio", "noise", "batch_size",
  "regenerate", "features", "hidden", "neurons", "loss", "test_loss", "show_test",
  "discretize", "palette", "presenter",
  // beyond TensorFlow Playground
  "classes", "extras", "loss_function", "optimizer", "momentum", "beta1", "beta2", "epsilon",
  "same_init", "layer_activations", "accuracy", "details", "points", "upload", "export", "import",
  "share",
];

function pairs(hash) {
  const out = [];
  for (const part of hash.replace(/^#/, "").split("&")) {
    if (!part) continue;
    const eq = part.indexOf("=");
    try {
      const key = decodeURIComponent(eq < 0 ? part : part.slice(0, eq));
      const value = eq < 0 ? "" : decodeURIComponent(part.slice(eq + 1));
      if (key !== "") out.push([key, value]);
    } catch {
      // a malformed escape: skip this pair only
    }
  }
  return out;
}

/**
 * hash -> {config, view, hide: Set, hideText, kept, cos, lossChoice, refused}; never throws.
 * refused: the link's values that were not used, each with what its field takes.
 * kept: TFP fields carried on unchanged ({tutorial: "…"}); cos: the TFP cos inputs given
 * true; lossChoice: the loss the link picks against what the data calls for, or null.
 * A hash without a valid seed gets fresh() (TFP's way: "0.12345").
 */
export function parseHash(hash, options, { fresh = freshSeed } = {}) {
  const defaults = options.defaults;
  const config = structuredClone(defaults);
  const view = { ...VIEW_DEFAULTS, speed: options.default_speed };
  const hide = new Set();
  let hideText = false;
  const given = {};
  const kept = {};
  const cos = new Set();
  const configParsers = parsers(options);
  const vParsers = viewParsers(options);
  const featureNames = options.features.map((f) => f.name);
  const problemOf = (name) => options.datasets.find((d) => d.name === name)?.problem;
  const datasetFor = {}; // problem -> the dataset a key gave for it
  let impliedProblem; // our `dataset=plane` implies regression

  const rules = allowed(options);
  const refused = []; // [{key, value, rule}]: values of this link that were not used
  const refuse = (key, value, field = key) =>
    refused.push({ key, value, rule: rules[field] ?? "true or false" });

  function setField(key, text, rawKey = key) {
    let v;
    if (Object.hasOwn(configParsers, key)) {
      v = configParsers[key](text);
      if (v !== undefined) given[key] = v;
    } else if (Object.hasOwn(vParsers, key)) {
      v = vParsers[key](text);
      if (v !== undefined) view[key] = v;
    } else if (Object.hasOwn(defaults, key)) {
      v = byType(defaults[key], text); // a field this page has no control for yet
      if (v !== undefined) given[key] = v;
    } else {
      refused.push({ key: rawKey, value: text, rule: "not a setting of this page" });
      return;
    }
    if (v === undefined) refuse(rawKey, text, key);
  }

  const generative = options.generative ?? {};
  for (const [rawKey, value] of pairs(hash)) {
    const dot = rawKey.indexOf(".");
    if (dot > 0 && Object.hasOwn(generative, rawKey.slice(0, dot)) && generative[rawKey.slice(0, dot)].fields) {
      // a generative kind's setting: gan.d_steps=3
      const kind = rawKey.slice(0, dot);
      const field = generative[kind].fields.find((f) => f.name === rawKey.slice(dot + 1));
      const v = field ? parseGenerative(field, value) : undefined;
      if (v === undefined) {
        refused.push({ key: rawKey, value, rule: field ? generativeRule(field) : `not a setting of the ${kind}` });
      } else {
        given[kind] = { ...(given[kind] ?? generative[kind].defaults), [field.name]: v };
      }
      continue;
    }
    if (rawKey.endsWith("_hide")) {
      const name = rawKey.slice(0, -5);
      const ours = TFP_HIDE[name] ?? name;
      if (HIDEABLE.includes(ours) || featureNames.includes(ours)) {
        if (value === "true") hide.add(ours);
        else hide.delete(ours);
      } else {
        refused.push({ key: rawKey, value, rule: "not a control that can be hidden" });
      }
    } else if (rawKey === "hide_text") {
      hideText = bool(value) ?? hideText;
    } else if (Object.hasOwn(TFP_FEATURES, rawKey)) {
      const on = tfpBool(value);
      if (on === undefined) continue;
      const list = new Set(given.features ?? TFP_DEFAULT_FEATURES);
      if (on) list.add(TFP_FEATURES[rawKey]);
      else list.delete(TFP_FEATURES[rawKey]);
      given.features = featureNames.filter((f) => list.has(f));
    } else if (TFP_KEPT.includes(rawKey)) {
      if (value.trim() === "") continue;
      kept[rawKey] = value;
      if (TFP_COS.includes(rawKey)) {
        if (tfpBool(value)) cos.add(rawKey);
        else cos.delete(rawKey);
      }
    } else if (rawKey === "dataset") {
      const problem = problemOf(value);
      if (!problem) {
        refuse(rawKey, value);
        continue;
      }
      datasetFor[problem] = value;
      impliedProblem = problem;
    } else if (rawKey === "regDataset") {
      const name = TFP_REG_DATASETS[value];
      if (name && problemOf(name)) datasetFor[problemOf(name)] = name;
      else refuse(rawKey, value);
    } else if (TFP_BOOLEANS.includes(rawKey)) {
      const on = tfpBool(value);
      if (on === undefined) continue;
      if (rawKey === "hideText") hideText = on;
      else setField(TFP_FIELDS[rawKey] ?? rawKey, String(on), rawKey);
    } else {
      setField(TFP_FIELDS[rawKey] ?? rawKey, value, rawKey);
    }
  }
  Object.assign(config, given);
  // problem and dataset: TFP keeps one dataset per problem (dataset, regDataset) and the
  // problem picks; our `dataset=` of the other problem implies that problem
  config.problem = given.problem ?? impliedProblem ?? defaults.problem;
  const first = (problem) =>
    problemOf(defaults.dataset) === problem ? defaults.dataset : options.datasets.find((d) => d.problem === problem).name;
  config.dataset = datasetFor[config.problem] ?? first(config.problem);
  // inputs a link removes (`sinX_hide=true`) are off; the network keeps at least one
  config.features = config.features.filter((f) => !hide.has(f));
  if (!config.features.length) {
    refused.push({ key: "features", value: "none", rule: "at least one input" });
    const visible = featureNames.filter((f) => !hide.has(f));
    config.features = TFP_DEFAULT_FEATURES.filter((f) => visible.includes(f));
    if (!config.features.length) config.features = visible.slice(0, 1);
  }
  if (given.seed === undefined) config.seed = fresh();
  // a generative kind has its settings (the server fills the defaults in the same way)
  for (const kind of ["gan", "autoencoder"]) {
    if (config.kind === kind && !config[kind] && generative[kind]) config[kind] = structuredClone(generative[kind].defaults);
  }
  // the server's rules between fields (rules.js): a field that does not fit the others
  // falls back, the one given wins where it can
  if (config.problem === "regression") {
    config.classes = 2;
    config.loss = "mse";
  }
  const [low, high] = classRange(options, config.dataset);
  if (given.classes !== undefined && (given.classes < low || given.classes > high)) {
    refused.push({ key: "classes", value: String(given.classes), rule: `${low} to ${high} with ${config.dataset}` });
  }
  config.classes = Math.min(Math.max(config.classes, low), high);
  if (config.classes > 2) config.loss = "cross_entropy";
  config.layer_activations = trimActivations(config.layer_activations.slice(0, config.hidden.length));
  // our own links always carry the loss: it counts as chosen only where it is not what
  // the data calls for (cross-entropy on Circle)
  const lossChoice = given.loss !== undefined && given.loss !== (dataLoss(config) ?? defaults.loss) ? given.loss : null;
  return { config, view, hide, hideText, kept, cos: [...cos], lossChoice, refused };
}

/** The notice about a link's values that were not used: each key, its value and what it
 * takes (at most `most` of them, then how many more). */
export function refusedText(refused, most = 4) {
  if (!refused.length) return "";
  const shown = refused.slice(0, most).map(({ key, value, rule }) => {
    const text = value.length > 40 ? `${value.slice(0, 40)}…` : value;
    return `${key}=${text} (${rule})`;
  });
  const more = refused.length > most ? `, and ${refused.length - most} more` : "";
  return `Not used from this link, the defaults instead: ${shown.join("; ")}${more}.`;
}

const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

function formatValue(value) {
  return Array.isArray(value) ? value.join(",") : String(value);
}

/** {config, view, hide, hideText, kept} -> hash text without "#": every field, in a stable
 * order (hidden input features after the controls, in the order given). With `compact`
 * (the options) a short link, for a QR code: fields at their defaults are left out, but
 * never the seed (a link without one gets a fresh seed). */
export function formatHash({ config, view, hide, hideText, kept = {} }, { compact = null } = {}) {
  const parts = [];
  const defaults = compact?.defaults ?? {};
  const viewDefaults = { ...VIEW_DEFAULTS, speed: compact?.default_speed };
  const skip = (key, value) => compact !== null && key !== "seed" && key in defaults && same(defaults[key], value);
  for (const [key, value] of Object.entries(config)) {
    if (value !== null && typeof value === "object" && !Array.isArray(value)) {
      // a generative kind's settings, each as kind.field (only the kind in use)
      if (key === config.kind) for (const [k, v] of Object.entries(value)) parts.push([`${key}.${k}`, formatValue(v)]);
    } else if (value === null) {
      // a generative kind's settings not chosen yet: nothing to write
    } else if (!skip(key, value)) {
      parts.push([key, formatValue(value)]);
    }
  }
  for (const key of ["speed", "show_test", "discretize"]) {
    if (compact === null || view[key] !== viewDefaults[key]) parts.push([key, String(view[key])]);
  }
  if (view.palette !== VIEW_DEFAULTS.palette) parts.push(["palette", view.palette]);
  if (view.presenter) parts.push(["presenter", "true"]);
  for (const key of ["extras", "details", "add_class", "add_value"]) {
    if (view[key] !== VIEW_DEFAULTS[key]) parts.push([key, String(view[key])]);
  }
  for (const name of HIDEABLE) if (hide.has(name)) parts.push([`${name}_hide`, "true"]);
  for (const name of hide) if (!HIDEABLE.includes(name)) parts.push([`${name}_hide`, "true"]);
  if (hideText) parts.push(["hideText", "true"]);
  for (const key of TFP_KEPT) if (key in kept) parts.push([key, kept[key]]);
  return parts.map(([k, v]) => `${k}=${encodeURIComponent(v).replace(/%2C/g, ",")}`).join("&");
}
