// A config as a readable list for people ("Activation: Tanh"): the share page's setup.

const titleIn = (list, name) => list?.find((x) => x.name === name)?.title ?? name;
const plain = (v) => (typeof v === "number" ? String(+v.toPrecision(6)) : String(v));

/** [[label, value]] of `config`, with the option lists' titles; fields that do not
 * apply (Adam's β for SGD, a regularization rate with none) are left out. */
export function describeSetup(config, options) {
  const rows = [];
  const add = (label, value) => value !== undefined && value !== null && rows.push([label, value]);
  const kind = config.kind ?? "mlp";
  if (kind !== "mlp" && config[kind] && options.generative?.[kind]) {
    // a GAN's or an autoencoder's settings, each with its field's title
    add("Model", kind === "gan" ? "GAN" : "Autoencoder");
    if (config[kind].source === "dataset") add("Dataset", titleIn(options.datasets, config.dataset));
    add("Seed", plain(config.seed));
    for (const field of options.generative[kind].fields) {
      const value = config[kind][field.name];
      const shown = Array.isArray(value) ? (value.length ? value.join(", ") : "none") : plain(value);
      add(field.title, field.name === "source" ? (options.generative.sources.find((s) => s.name === value)?.title ?? value) : shown);
    }
    return rows;
  }
  add("Problem", titleIn(options.problems, config.problem));
  add("Dataset", titleIn(options.datasets, config.dataset));
  if ((config.classes ?? 2) > 2) add("Classes", plain(config.classes));
  add("Noise", plain(config.noise));
  add("Training data", `${plain(config.train_ratio)} %`);
  add("Seed", plain(config.seed));
  const labels = config.features.map((n) => options.features.find((f) => f.name === n)?.label ?? n);
  add("Inputs", labels.join(", "));
  const n = config.hidden.length;
  add("Hidden layers", n ? `${n} (${config.hidden.join(", ")} neurons)` : "none");
  add("Activation", titleIn(options.activations, config.activation));
  const own = (config.layer_activations ?? []).map((a, i) => (a ? `layer ${i + 1}: ${titleIn(options.activations, a)}` : null));
  if (own.some(Boolean)) add("Per layer", own.filter(Boolean).join(", "));
  add("Learning rate", plain(config.learning_rate));
  add("Batch size", plain(config.batch_size));
  add("Regularization", titleIn(options.regularizations, config.regularization));
  if (config.regularization !== "none") add("Regularization rate", plain(config.regularization_rate));
  add("Loss", titleIn(options.losses, config.loss));
  add("Optimizer", titleIn(options.optimizers, config.optimizer));
  if (config.optimizer === "momentum") add("Momentum", plain(config.momentum));
  if (config.optimizer === "adam") {
    add("Adam β₁", plain(config.beta1));
    add("Adam β₂", plain(config.beta2));
    add("Adam ε", plain(config.epsilon));
  }
  if (config.same_init) add("Same initial weights on reset", "yes");
  return rows;
}
