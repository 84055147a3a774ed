// Config rules the server applies (server/sessions/rules.py), mirrored so the page shows the
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

// TFP's own two-class datasets train with TFP's loss (0.5·MSE) unless the person picks another.
export const TFP_DATASETS = ["circle", "xor", "gauss", "spiral"];
const DATA_FIELDS = ["problem", "dataset", "classes"];

/** The loss the data calls for: mse for regression and TFP's two-class datasets,
 * cross_entropy for more than two classes, null where either fits and the data does not
 * choose (our other two-class datasets). */
export function dataLoss({ problem, dataset, classes }) {
  if (problem === "regression") return "mse";
  if (classes > 2) return "cross_entropy";
  return TFP_DATASETS.includes(dataset) ? "mse" : null;
}

/** Whether a config with these data fields may train with `loss`. */
export function lossAllowed(loss, { problem, classes }) {
  if (problem === "regression") return loss === "mse";
  return classes > 2 ? loss === "cross_entropy" : true;
}

/**
 * The patch plus the fields that follow it: regression takes 2 classes; a new dataset
 * keeps the class count if it can, else the nearest it makes; fewer hidden layers drop
 * their activation overrides; the loss follows the data (dataLoss) unless the patch names
 * it. With lossChoice null this is exactly the server's rule (config_rules.follow_changes);
 * lossChoice is the loss the person picked earlier (the page remembers it, the server does
 * not): it comes back wherever the new data allows it, named in the patch so the server
 * keeps it too.
 */
export function followChanges(config, patch, options, lossChoice = null) {
  const out = { ...patch };
  if (out.problem === "regression" && config.problem !== "regression") {
    out.classes ??= 2;
  }
  if ("dataset" in out && !("classes" in out)) {
    const [low, high] = classRange(options, out.dataset);
    const classes = Math.min(Math.max(config.classes, low), high);
    if (classes !== config.classes) out.classes = classes;
  }
  if (!("loss" in out) && DATA_FIELDS.some((f) => f in out)) {
    const next = { ...config, ...out };
    if (lossChoice !== null && lossAllowed(lossChoice, next)) {
      out.loss = lossChoice;
    } else {
      const wanted = dataLoss(next);
      const chosen = config.problem === "classification" && dataLoss(config) === "mse" && config.loss !== "mse";
      if (wanted !== null && wanted !== config.loss && !(wanted === "mse" && chosen && next.problem === "classification")) {
        out.loss = wanted;
      }
    }
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
