// The legend under the output: the continuous scale (data, neuron and weight values) and,
// with more than two classes, each class's colour.

import { paintLegend } from "../draw/canvas.js";
import { classCss, scaleFor } from "../draw/colors.js";
import { className, outputCount } from "../state/rules.js";

export function bindLegend(root, store) {
  const canvas = root.querySelector("[data-legend]");
  const classes = root.querySelector("[data-legend-classes]");
  const list = root.querySelector("[data-legend-swatches]");

  const drawScale = () => paintLegend(canvas, scaleFor(store.view.palette));
  function drawClasses() {
    const k = outputCount(store.config);
    classes.hidden = k < 3;
    list.replaceChildren();
    const shown = k > 2 ? k : 0; // two classes: the continuous scale says it all
    for (let c = 0; c < shown; c++) {
      const item = document.createElement("li");
      const swatch = document.createElement("span");
      swatch.className = "swatch";
      swatch.style.background = classCss(c);
      item.append(swatch, document.createTextNode(String(c)));
      item.setAttribute("aria-label", className(c, k));
      list.append(item);
    }
  }
  store.addEventListener("view", (e) => e.detail.changed.includes("palette") && drawScale());
  store.addEventListener("config", (e) => {
    if (e.detail.changed.some((f) => f === "classes" || f === "problem")) drawClasses();
  });
  drawScale();
  drawClasses();
}
