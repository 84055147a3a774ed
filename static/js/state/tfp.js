// TensorFlow Playground's URL names (its src/state.ts and the HIDABLE_CONTROLS of
// playground.ts), so a teacher's old playground.tensorflow.org links open here with TFP's
// setup. Tables and one parser; hash.js applies them.

/** TFP's input booleans -> our features. TFP starts with x and y on, the others off. */
export const TFP_FEATURES = {
  x: "x1",
  y: "x2",
  xSquared: "x1_squared",
  ySquared: "x2_squared",
  xTimesY: "x1_x2",
  sinX: "sin_x1",
  sinY: "sin_x2",
};
export const TFP_DEFAULT_FEATURES = ["x1", "x2"];

/** In TFP's state but not inputs on its page (nor here): accepted, they add nothing. */
export const TFP_COS = ["cosX", "cosY"];
export const COS_NOTICE = "cos(X₁)/cos(X₂) are not inputs here, as in TensorFlow Playground.";

/** TFP's regression datasets (its `regDataset`) -> ours. */
export const TFP_REG_DATASETS = { "reg-plane": "plane", "reg-gauss": "multi_gauss" };

/** TFP's names of fields we have under another name. */
export const TFP_FIELDS = {
  learningRate: "learning_rate",
  regularizationRate: "regularization_rate",
  percTrainData: "train_ratio",
  batchSize: "batch_size",
  networkShape: "hidden",
  showTestData: "show_test",
  initZero: "init_zero",
};

/** TFP's BOOLEAN fields: present with a non-empty value means true unless "false". */
export const TFP_BOOLEANS = ["showTestData", "discretize", "initZero", "hideText", "collectStats"];

/** Kept in the hash as given, with no effect here: TFP's tutorial (it loads
 * tutorials/<name>.html; we have none), collectStats, and the cos inputs. */
export const TFP_KEPT = ["tutorial", "collectStats", ...TFP_COS];

/** TFP's "hide these controls" list: [label, TFP name, our name]. */
export const TFP_HIDABLE = [
  ["Show test data", "showTestData", "show_test"],
  ["Discretize output", "discretize", "discretize"],
  ["Play button", "playButton", "play"],
  ["Step button", "stepButton", "step"],
  ["Reset button", "resetButton", "reset"],
  ["Learning rate", "learningRate", "learning_rate"],
  ["Activation", "activation", "activation"],
  ["Regularization", "regularization", "regularization"],
  ["Regularization rate", "regularizationRate", "regularization_rate"],
  ["Problem type", "problem", "problem"],
  ["Which dataset", "dataset", "dataset"],
  ["Ratio train data", "percTrainData", "train_ratio"],
  ["Noise level", "noise", "noise"],
  ["Batch size", "batchSize", "batch_size"],
  ["# of hidden layers", "numHiddenLayers", "hidden"],
];

/** `<TFP name>_hide` -> the name we hide (a control, or an input feature). */
export const TFP_HIDE = {
  ...Object.fromEntries(TFP_HIDABLE.map(([, tfp, ours]) => [tfp, ours])),
  ...TFP_FEATURES,
  dataRegenButton: "regenerate",
  activations: "activation",
  regularizations: "regularization",
};

/** TFP's boolean rule (state.ts): "false" is false, any other non-empty text true; empty
 * text is as if the key were absent (undefined). */
export function tfpBool(text) {
  if (text.trim() === "") return undefined;
  return text !== "false";
}
