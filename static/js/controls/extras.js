// The controls beyond TensorFlow Playground's: the "more options" panel (loss, optimizer
// and its settings, same initial weights) and the classes slider. Which of them apply
// depends on the rest of the config; the values themselves go through controls.js.

import { classRange, lossAllowed } from "../state/rules.js";

const OPTIMIZER_SETTINGS = { momentum: ["momentum"], adam: ["beta1", "beta2", "epsilon"] };

export function bindExtras(root, store) {
  const panel = root.querySelector("[data-extras]");
  const toggle = root.querySelector("[data-extras-toggle]");
  const classes = root.querySelector("[data-classes-control]");
  const classesInput = classes.querySelector("input");
  const loss = root.querySelector('select[data-config="loss"]');

  toggle.addEventListener("click", () => store.setView({ extras: !store.view.extras }));

  function renderConfig() {
    const config = store.config;
    // the classes slider only where the dataset makes more than two
    const [low, high] = classRange(store.options, config.dataset);
    classes.hidden = config.problem !== "classification" || high <= 2;
    classesInput.min = String(low);
    classesInput.max = String(high);
    // 0.5·MSE has one output: not for more than two classes; cross-entropy not for regression
    for (const option of loss.options) option.disabled = !lossAllowed(option.value, config);
    const wanted = OPTIMIZER_SETTINGS[config.optimizer] ?? [];
    for (const name of ["momentum", "beta1", "beta2", "epsilon"]) {
      panel.querySelector(`[data-control="${name}"]`).hidden = !wanted.includes(name);
    }
  }

  function renderView() {
    panel.hidden = !store.view.extras;
    toggle.setAttribute("aria-expanded", String(Boolean(store.view.extras)));
  }

  store.addEventListener("config", renderConfig);
  store.addEventListener("view", (e) => e.detail.changed.includes("extras") && renderView());
  renderConfig();
  renderView();
}
