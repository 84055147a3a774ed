// Config rules the server applies (server/config_rules.py), mirrored so the page shows the
// right controls at once and sends a consistent patch: fields that follow a change.

/** The class range [low, high] of a dataset. */
export function classRange(options, dataset) {
  return options.datasets.find((d) => d.name === dataset)?.classes ?? [2, 2];
}

/** How many output neurons a config's network has: k for k > 2 classes, else one. */
export function outputCount(config) {
  return config.problem === "classification" && config.classes > 2 ? config.classes : 1;
}

/** Drop trailing nulls: [null, "relu", null] -> [null, "relu"] (the same network). */
export function trimActivations(list) {
  const out = [...list];
  while (out.length && (out.at(-1) === null || out.at(-1) === undefined)) out.pop();
  return out;
}

/**
 * The patch plus the fields that follow it: regression takes 2 classes and mse; a new
 * dataset keeps the class count if it can, else the nearest it makes; more than two
 * classes take cross-entropy; fewer hidden layers drop their activation overrides.
 */
export function followChanges(config, patch, options) {
  const out = { ...patch };
  if (out.problem === "regression" && config.problem !== "regression") {
    out.classes ??= 2;
    out.loss ??= "mse";
  }
  if ("dataset" in out && !("classes" in out)) {
    const [low, high] = classRange(options, out.dataset);
    const classes = Math.min(Math.max(config.classes, low), high);
    if (classes !== config.classes) out.classes = classes;
  }
  if ((out.classes ?? 2) > 2 && !("loss" in out) && config.loss !== "cross_entropy") {
    out.loss = "cross_entropy";
  }
  if ("hidden" in out && !("layer_activations" in out)) {
    const kept = trimActivations(config.layer_activations.slice(0, out.hidden.length));
    if (kept.length !== config.layer_activations.length) out.layer_activations = kept;
  }
  return out;
}

/** The label of each class as the server counts them: [-1, 1] for two, 0..k-1 for more. */
export function classLabels(classes) {
  return classes > 2 ? Array.from({ length: classes }, (_, c) => c) : [-1, 1];
}

/** How the page names a class label: "class 2", "class −1", "class +1". */
export function className(label, classes) {
  if (classes > 2) return `class ${label}`;
  return label < 0 ? "class −1" : "class +1";
}
