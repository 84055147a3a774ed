// The share page, /s/<token>: a saved experiment, read-only (its name, epoch and losses,
// the boundary picture, the network, the loss chart, the setup) and "Open in my
// playground", which forks it into a session of the visitor's own and goes to "/".

import { shares } from "./net/api.js";
import { SESSION_KEY } from "./net/remember.js";
import { LossChart } from "./views/lossChart.js";
import { drawStaticNetwork } from "./views/staticNetwork.js";
import { describeSetup } from "./views/setupList.js";
import { formatEpoch, formatLoss } from "./views/status.js";
import { savedWhen } from "./views/gone.js";
import { applyPalette } from "./draw/colors.js";
import { html as el } from "./draw/dom.js";

const root = document.querySelector("[data-shared]");
const token = root.dataset.token;
const options = JSON.parse(document.getElementById("options").textContent);
const featureMaps = Object.fromEntries(
  options.features.map((f) => [f.name, Uint8Array.from(atob(f.map), (c) => c.charCodeAt(0))]),
);
const q = (name) => root.querySelector(`[data-shared-${name}]`);
applyPalette(document.documentElement, "default");

function missing() {
  q("loading").hidden = true;
  q("view").hidden = true;
  q("missing").hidden = false;
  document.title = "Link not found · Neural Playground";
}

/** A chart of `history` drawn by the live page's LossChart, fed as the page feeds it. */
function drawChart(where, history, config) {
  const feed = new EventTarget();
  feed.view = {};
  feed.config = config; // the curves' names follow the model kind
  const chart = new LossChart(where, feed);
  feed.dispatchEvent(new CustomEvent("history", { detail: history }));
  return chart;
}

function show(share) {
  q("loading").hidden = true;
  q("view").hidden = false;
  document.title = `${share.name} · Neural Playground`;
  q("name").textContent = share.name;
  const when = savedWhen(share.created);
  q("summary").textContent = `Epoch ${formatEpoch(share.epoch)}${when ? ` · saved ${when}` : ""}`;
  q("train-loss").textContent = formatLoss(share.train_loss);
  q("test-loss").textContent = formatLoss(share.test_loss);
  q("picture").src = share.picture;
  const list = q("setup");
  for (const [label, value] of describeSetup(share.config, options)) list.append(el("dt", {}, label), el("dd", {}, value));
  drawChart(q("chart"), share.history, share.config);
  if (share.config.kind && share.config.kind !== "mlp") {
    // a GAN or an autoencoder: the picture is its plot; the losses are its nets'
    const gan = share.config.kind === "gan";
    q("summary").textContent = `${gan ? "Iteration" : "Epoch"} ${formatEpoch(share.epoch)}${when ? ` · saved ${when}` : ""}`;
    q("test-loss").previousElementSibling.textContent = gan ? "Generator loss" : "Test error";
    q("train-loss").previousElementSibling.textContent = gan ? "Discriminator loss" : "Training error";
    q("network").closest("section").hidden = true;
    return;
  }
  const network = q("network");
  const draw = () => drawStaticNetwork(network, { config: share.config, params: share.params, options, featureMaps });
  draw();
  let width = network.clientWidth;
  new ResizeObserver(() => {
    if (network.clientWidth !== width) {
      width = network.clientWidth;
      draw();
    }
  }).observe(network);
}

async function fork(button) {
  const error = q("error");
  button.disabled = true;
  error.hidden = true;
  try {
    const session = await shares.fork(token);
    try {
      window.sessionStorage.setItem(SESSION_KEY, session.id); // "/" attaches to it
    } catch {
      // no storage in this tab: the playground then starts from its own setup
    }
    window.location.assign("/");
  } catch (failure) {
    error.textContent = `Could not open it in your playground: ${failure.message}`;
    error.hidden = false;
    button.disabled = false;
  }
}

q("fork").addEventListener("click", (e) => fork(e.currentTarget));
if (!token) {
  missing();
} else {
  shares.get(token).then(show, (failure) => {
    if (failure.status === 404) {
      missing();
    } else {
      q("loading").textContent = `This experiment could not be loaded: ${failure.message}`;
    }
  });
}
