// Wires the page: the store, the connection and the views. No logic of its own.

import { api, experimentsApi } from "./net/api.js";
import { pageActions } from "./net/actions.js";
import { Connection } from "./net/session.js";
import { FollowSession, Owner, TabSession } from "./net/remember.js";
import { bindControls } from "./controls/controls.js";
import { bindExperiments } from "./controls/experiments.js";
import { bindExporter } from "./controls/exporter.js";
import { bindExtras } from "./controls/extras.js";
import { bindGenerative } from "./controls/generative.js";
import { DivergenceChart } from "./views/divergenceChart.js";
import { GenerativePlot } from "./views/generative.js";
import { bindGone } from "./views/gone.js";
import { Heatmap } from "./views/heatmap.js";
import { HoverCard } from "./views/hovercard.js";
import { bindKeyboard } from "./controls/keyboard.js";
import { bindLegend } from "./views/legend.js";
import { LossChart } from "./views/lossChart.js";
import { bindMetrics } from "./views/metrics.js";
import { NetworkView } from "./views/network.js";
import { bindNotes } from "./views/notes.js";
import { joinClass } from "./controls/join.js";
import { bindPoints } from "./controls/points.js";
import { bindRoom } from "./controls/room.js";
import { bindSave } from "./controls/save.js";
import { bindShare } from "./controls/share.js";
import { bindStartClass } from "./controls/startClass.js";
import { bindStatus } from "./views/status.js";
import { Store } from "./state/store.js";
import { bindThumbnails } from "./views/thumbnails.js";
import { bindTooltips } from "./views/tooltip.js";
import { bindVisibility } from "./controls/visibility.js";

const options = JSON.parse(document.getElementById("options").textContent);
const featureMaps = Object.fromEntries(
  options.features.map((f) => [f.name, Uint8Array.from(atob(f.map), (c) => c.charCodeAt(0))]),
);

// `/?follow=<session id>`: the teacher's spotlight on a student's session (never this tab's own)
const following = new URLSearchParams(window.location.search).get("follow");
const store = new Store(options);
const connection = new Connection(store, api, following ? new FollowSession(following) : new TabSession());
const actions = pageActions(connection, store);
const experiments = experimentsApi(new Owner());

bindVisibility(store);
bindControls(document, store, actions);
bindExtras(document, store);
bindStatus(document, store);
bindMetrics(document, store, api);
bindPoints(document, store, actions, api);
bindExporter(document, store, api, () => connection.reloadHistory());
bindThumbnails(document, store, api);
bindShare(document, store);
bindStartClass(document, () => connection.sessionId);
bindRoom(document, store, { following });
const showExperiments = bindExperiments(document, store, experiments, (session, experiment) => {
  connection.switchTo(session);
  store.showBanner(`Opened “${experiment.name}” at epoch ${session.epoch}: press play to train on.`, "info");
});
bindSave(document, store, experiments, showExperiments);
bindGone(document, store, {
  openCopy: () => connection.openLastCopy(),
  startFresh: () => connection.startFresh(),
  showExperiments: () => showExperiments(document.querySelector("[data-experiments-open]")),
});
document.querySelector("[data-experiments-open]").addEventListener("click", (e) => showExperiments(e.currentTarget));
bindNotes(document, store);
const card = new HoverCard(document.querySelector("[data-hovercard]"), store, actions);
new NetworkView(document.querySelector("[data-network]"), store, card, featureMaps);
new Heatmap(document.querySelector("[data-heatmap]"), store, featureMaps, (view) => connection.setView(view));
new LossChart(document.querySelector("[data-loss-chart]"), store);
const generativePlot = new GenerativePlot(document, store, actions);
bindGenerative(document, store, actions, generativePlot);
new DivergenceChart(document.querySelector("[data-divergence-chart]"), store, api);
bindTooltips(document);
bindKeyboard(document, actions);

bindLegend(document, store);

store.listenToHash();
store.writeHash();
// a join page (/join, /join/CODE) asks first; the joined seat is the page's session
joinClass(document, (id) => api.session(id)).then((seat) => {
  if (seat) connection.adopt(seat);
  connection.start();
});
