// Wires the page: the store, the connection and the views. No logic of its own.

import { api } from "./api.js";
import { Connection } from "./connection.js";
import { bindControls } from "./controls.js";
import { bindExporter } from "./exporter.js";
import { bindExtras } from "./extras.js";
import { Heatmap } from "./heatmap.js";
import { HoverCard } from "./hovercard.js";
import { bindKeyboard } from "./keyboard.js";
import { bindLegend } from "./legend.js";
import { LossChart } from "./lossChart.js";
import { bindMetrics } from "./metrics.js";
import { NetworkView } from "./network.js";
import { bindNotes } from "./notes.js";
import { bindPoints } from "./points.js";
import { bindShare } from "./share.js";
import { bindStatus } from "./status.js";
import { Store } from "./store.js";
import { bindThumbnails } from "./thumbnails.js";
import { bindTooltips } from "./tooltip.js";
import { bindVisibility } from "./visibility.js";

const options = JSON.parse(document.getElementById("options").textContent);
const featureMaps = Object.fromEntries(
  options.features.map((f) => [f.name, Uint8Array.from(atob(f.map), (c) => c.charCodeAt(0))]),
);

const store = new Store(options);
const connection = new Connection(store, api);
const actions = {
  play: () => connection.play(),
  step: () => connection.step(),
  reset: () => connection.reset(),
  regenerate: () => connection.regenerate(),
  setWeight: (target) => connection.setWeight(target),
  addPoint: (x, y, label) => connection.addPoint(x, y, label),
  removePoint: (x, y) => connection.removePoint(x, y),
  clearPoints: () => connection.clearPoints(),
};

bindVisibility(store);
bindControls(document, store, actions);
bindExtras(document, store);
bindStatus(document, store);
bindMetrics(document, store, api);
bindPoints(document, store, actions, api);
bindExporter(document, store, api, () => connection.reloadHistory());
bindThumbnails(document, store, api);
bindShare(document, store);
bindNotes(document, store);
const card = new HoverCard(document.querySelector("[data-hovercard]"), store, actions);
new NetworkView(document.querySelector("[data-network]"), store, card, featureMaps);
new Heatmap(document.querySelector("[data-heatmap]"), store, featureMaps, (view) => connection.setView(view));
new LossChart(document.querySelector("[data-loss-chart]"), store);
bindTooltips(document);
bindKeyboard(document, actions);

bindLegend(document, store);

store.listenToHash();
store.writeHash();
connection.start();
window.playground = { store, connection }; // for the console and the browser tests
