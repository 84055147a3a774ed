// Two small read-outs about the setup, put into the page from here: which loss the network
// trains with (beside the loss figures), and a notice when a TensorFlow Playground link
// turns on inputs that neither TFP's page nor this one has (cosX, cosY), or has values this
// page could not use (each named with what its field takes), and the page's lasting notes
// (store.notices: a model kind it cannot draw).

import { refusedText } from "../state/hash.js";
import { COS_NOTICE } from "../state/tfp.js";

// How the label names each loss; an unknown one shows its menu title.
const LOSS_WORDS = { mse: "mean squared error", cross_entropy: "cross-entropy" };

/** "Loss: mean squared error" for a config. */
const GENERATIVE_LOSSES = {
  minimax: "minimax, G minimises log(1 − D(G(z)))",
  non_saturating: "non-saturating, G minimises −log D(G(z))",
  least_squares: "least squares (LSGAN)",
};

export function lossText(config, options) {
  if (config.kind === "gan") return `Loss: ${GENERATIVE_LOSSES[config.gan?.loss] ?? config.gan?.loss ?? ""}`;
  if (config.kind === "autoencoder") return "Loss: mean squared reconstruction error (plane units²)";
  const title = options.losses.find((l) => l.name === config.loss)?.title ?? config.loss;
  return `Loss: ${LOSS_WORDS[config.loss] ?? title}`;
}

export function bindNotes(root, store) {
  const label = document.createElement("p");
  label.className = "loss-kind";
  label.dataset.lossKind = "";
  label.dataset.tip = "The loss the network trains with. Pick another under More options.";
  const metrics = root.querySelector('[data-control="loss"]');
  const train = metrics?.querySelector('[data-loss="train"]')?.closest(".metric");
  if (train) train.after(label);
  else metrics?.prepend(label);

  const notice = document.createElement("p");
  notice.className = "notice";
  notice.dataset.notice = "";
  notice.setAttribute("role", "note"); // not "status": the connection indicator is the page's one status
  notice.hidden = true;
  const banner = root.querySelector("[data-banner]");
  if (banner) banner.after(notice);
  else root.body.prepend(notice);

  function render() {
    label.textContent = lossText(store.config, store.options);
    const lines = [
      ...Object.values(store.notices),
      store.cos.length ? COS_NOTICE : "",
      refusedText(store.refused ?? []),
    ];
    notice.textContent = lines.filter(Boolean).join(" ");
    notice.hidden = notice.textContent === "";
  }
  store.addEventListener("config", render);
  store.addEventListener("hide", render);
  store.addEventListener("notice", render);
  render();
}
