// Metrics beside the losses: accuracy (from every frame) for classification, R² for
// regression, and on demand each class's accuracy with the confusion matrices. Frames
// carry only the two accuracies; the rest comes from state messages and, while the panel
// or R² is showing and training moves on, from GET …/metrics at most once a second.

import { classCss, scaleFor } from "../draw/colors.js";
import { html as el } from "../draw/dom.js";
import { classLabels, className } from "../state/rules.js";

const POLL_MS = 1000;

export const formatPercent = (v) => (v === null || v === undefined || !Number.isFinite(v) ? "–" : `${(100 * v).toFixed(1)}%`);
export const formatR2 = (v) => (v === null || v === undefined || !Number.isFinite(v) ? "–" : v.toFixed(3));

const TIPS = {
  accuracy: {
    test: "The share of test points the network puts in the right class. Higher is better.",
    train: "The share of training points the network puts in the right class.",
  },
  r2: {
    test: "How much of the spread of the test values the network explains: 1 is perfect, 0 is no better than the average.",
    train: "How much of the spread of the training values the network explains: 1 is perfect.",
  },
};

export function bindMetrics(root, store, api) {
  const values = { test: root.querySelector('[data-metric="test"]'), train: root.querySelector('[data-metric="train"]') };
  const labels = {
    test: root.querySelector('[data-metric-label="test"]'),
    train: root.querySelector('[data-metric-label="train"]'),
  };
  const toggle = root.querySelector("[data-details-toggle]");
  const panel = root.querySelector("[data-class-details]");
  let metrics = null; // the newest metrics, and the epoch they were asked at
  let metricsEpoch = -1;
  let asking = false;
  let lastAsk = 0;

  const regression = () => store.config.problem === "regression";
  const open = () => store.view.details && !store.hide.has("details") && !regression();

  function showKind() {
    const kind = regression() ? "r2" : "accuracy";
    for (const split of ["test", "train"]) {
      const word = split === "test" ? "Test" : "Training";
      labels[split].textContent = kind === "r2" ? `${word} R²` : `${word} accuracy`;
      labels[split].parentElement.dataset.tip = TIPS[kind][split];
      labels[split].parentElement.setAttribute("aria-description", TIPS[kind][split]);
    }
    toggle.hidden = regression();
    showR2();
  }

  function showR2() {
    if (!regression()) return;
    values.test.textContent = formatR2(metrics?.test_r2);
    values.train.textContent = formatR2(metrics?.train_r2);
  }

  function accept(m, epoch) {
    metrics = m;
    metricsEpoch = epoch;
    showR2();
    if (open()) renderDetails();
  }

  /** Ask the server for fresh metrics when they are shown and training moved on. */
  async function poll() {
    const frame = store.frame;
    const id = store.session?.id;
    if (!frame || !id || asking || !(regression() || open())) return;
    if (frame.epoch === metricsEpoch || performance.now() - lastAsk < POLL_MS) return;
    asking = true;
    lastAsk = performance.now();
    const epoch = frame.epoch;
    try {
      const m = await api.metrics(id);
      if (id === store.session?.id) accept(m, epoch);
    } catch {
      // keep the last ones; the next frame asks again
    } finally {
      asking = false;
    }
  }

  function swatch(label, k) {
    const color = k > 2 ? classCss(label) : scaleFor(store.view.palette).css(label);
    const span = el("span", { class: "swatch", "aria-hidden": "true" });
    span.style.background = color;
    return span;
  }

  function table(split, title) {
    const k = metrics.classes;
    const classes = classLabels(k);
    const confusion = metrics[`${split}_confusion`];
    const right = metrics[`${split}_class_accuracy`];
    const t = el("table", { class: "confusion", "data-confusion": split });
    t.append(el("caption", {}, `${title}: true class by row, predicted class by column`));
    const head = el("tr");
    head.append(el("th", { scope: "col" }, "true ╲ predicted"));
    for (const c of classes) {
      const th = el("th", { scope: "col", "aria-label": `predicted ${className(c, k)}` });
      th.append(swatch(c, k), document.createTextNode(k > 2 ? String(c) : c < 0 ? "−1" : "+1"));
      head.append(th);
    }
    head.append(el("th", { scope: "col" }, "right"));
    const thead = el("thead");
    thead.append(head);
    t.append(thead);
    const body = el("tbody");
    classes.forEach((c, i) => {
      const row = el("tr");
      const th = el("th", { scope: "row", "aria-label": `true ${className(c, k)}` });
      th.append(swatch(c, k), document.createTextNode(k > 2 ? String(c) : c < 0 ? "−1" : "+1"));
      row.append(th);
      (confusion[i] ?? []).forEach((count, j) => {
        row.append(el("td", { class: i === j ? "hit" : count ? "miss" : "" }, String(count)));
      });
      row.append(el("td", { class: "share", "data-class-accuracy": `${split}-${i}` }, formatPercent(right[i])));
      body.append(row);
    });
    t.append(body);
    return t;
  }

  function renderDetails() {
    panel.hidden = !open();
    toggle.setAttribute("aria-expanded", String(open()));
    if (!open()) return;
    if (!metrics || !metrics.classes) {
      panel.replaceChildren(el("p", { class: "explain" }, "Waiting for the numbers…"));
      return;
    }
    panel.replaceChildren(table("test", "Test points"), table("train", "Training points"));
  }

  toggle.addEventListener("click", () => store.setView({ details: !store.view.details }));
  store.addEventListener("frame", () => {
    const f = store.frame;
    if (!regression()) {
      values.test.textContent = formatPercent(f.testAccuracy);
      values.train.textContent = formatPercent(f.trainAccuracy);
    }
    poll();
  });
  store.addEventListener("session", () => {
    const s = store.session;
    if (s.metrics) accept(s.metrics, s.epoch);
    if (!store.frame && !regression()) {
      values.test.textContent = formatPercent(s.metrics?.test_accuracy);
      values.train.textContent = formatPercent(s.metrics?.train_accuracy);
    }
  });
  store.addEventListener("config", (e) => {
    if (e.detail.changed.includes("problem")) showKind();
  });
  store.addEventListener("view", (e) => {
    if (e.detail.changed.some((f) => f === "details" || f === "palette")) {
      renderDetails();
      poll();
    }
  });
  store.addEventListener("hide", renderDetails);
  showKind();
  renderDetails();
}
