// The big output plot: the decision boundary (or the hovered neuron's map) over [-6, 6]²,
// axes, training points and optionally test points (outlined). The map is translucent
// over a white plot, as TFP draws it, so the points stand out.

import { paintClasses, paintGrid } from "../draw/canvas.js";
import { classCss, scaleFor } from "../draw/colors.js";
import { svg } from "../draw/dom.js";
import { DOMAIN, onPlane, toX, toY } from "../draw/plane.js";

const MAPS = 25; // neuron map size normally (the thumbnails)
const SHARP_MAPS = 50; // while a hovered neuron fills the big plot
const SHARP_HOLD_MS = 1500; // keep them sharp a moment, so moving between neurons doesn't flap
// TFP paints the output at alpha 160/255 over a white plot, so the points stand out.
export const ALPHA = 160;
const AXES_BELOW = 30; // px under the plot for the x axis's numbers
const MIN_PLOT = 160; // px: presenter mode never shrinks the plot below this

export class Heatmap {
  constructor(figure, store, featureMaps, setView) {
    this.store = store;
    this.setView = setView;
    this.sharpTimer = null;
    this.featureMaps = featureMaps;
    this.plot = figure.querySelector("[data-heatmap-plot]");
    this.background = figure.querySelector("[data-heatmap-canvas]");
    this.points = figure.querySelector("[data-heatmap-points]");
    this.axes = figure.querySelector("[data-heatmap-axes]");
    this.caption = figure.querySelector("[data-heatmap-caption]");
    this.size = 0;

    store.addEventListener("frame", () => this.drawBackground());
    store.addEventListener("hover", () => {
      this.drawBackground();
      clearTimeout(this.sharpTimer);
      if (store.hover?.kind === "neuron") this.setView({ map_size: SHARP_MAPS });
      else this.sharpTimer = setTimeout(() => this.setView({ map_size: MAPS }), SHARP_HOLD_MS);
    });
    store.addEventListener("data", () => this.drawPoints());
    store.addEventListener("config", (e) => {
      if (e.detail.changed.includes("problem")) this.drawPoints();
    });
    store.addEventListener("view", (e) => {
      const changed = e.detail.changed;
      if (changed.includes("palette") || changed.includes("discretize")) this.drawBackground();
      if (changed.includes("palette") || changed.includes("show_test")) this.drawPoints();
    });
    new ResizeObserver(() => this.resize()).observe(this.plot);
    // presenter mode: the plot and its axes end inside the window
    const fit = () => this.fit();
    store.addEventListener("view", (e) => e.detail.changed.includes("presenter") && fit());
    window.addEventListener("resize", fit);
    new ResizeObserver(fit).observe(document.body); // what is above the plot may grow
    this.fit();
    this.resize();
  }

  /** In presenter mode, limit the plot's side to the height left below its top. */
  fit() {
    if (!this.store.view.presenter) {
      this.plot.style.removeProperty("--plot-limit");
      return;
    }
    const top = this.plot.getBoundingClientRect().top + window.scrollY;
    const room = Math.floor(window.innerHeight - top - AXES_BELOW);
    this.plot.style.setProperty("--plot-limit", `${Math.max(MIN_PLOT, room)}px`);
  }

  resize() {
    const size = this.plot.clientWidth;
    if (!size || size === this.size) return;
    this.size = size;
    this.drawAxes();
    this.drawPoints();
  }

  drawBackground() {
    if (this.paintBackground()) fade(this.background); // painted opaque: fade it once
  }

  paintBackground() {
    const { store } = this;
    const frame = store.frame;
    const scale = scaleFor(store.view.palette);
    const hover = store.hover;
    if (hover?.kind === "neuron" && frame?.kind === "mlp" && frame.maps) {
      const M = frame.mapSize;
      const maps = frame.maps;
      if ((hover.index + 1) * M * M <= maps.length) {
        paintGrid(this.background, maps.subarray(hover.index * M * M, (hover.index + 1) * M * M), M, scale.lut);
        this.caption.textContent = `Showing neuron ${hover.neuron + 1} of layer ${hover.layer + 1}`;
        return true;
      }
    }
    if (hover?.kind === "feature") {
      const feature = store.options.features.find((f) => f.name === hover.name);
      paintGrid(this.background, this.featureMaps[hover.name], store.options.feature_map_size, scale.lut);
      this.caption.textContent = `Showing the input ${feature.label}`;
      return true;
    }
    this.caption.textContent = "";
    if (frame?.kind !== "mlp") return false; // none yet, or another kind's (its own plot)
    const discrete = store.view.discretize;
    if (frame.classes > 0 && frame.confidence) {
      paintClasses(this.background, frame.grid, frame.confidence, frame.gridSize, frame.classes, { discrete });
    } else {
      paintGrid(this.background, frame.grid, frame.gridSize, discrete ? scale.discrete : scale.lut);
    }
    return true;
  }

  drawPoints() {
    const { store, size } = this;
    if (!size) return;
    const ratio = window.devicePixelRatio || 1;
    const canvas = this.points;
    canvas.width = Math.round(size * ratio);
    canvas.height = Math.round(size * ratio);
    const ctx = canvas.getContext("2d");
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, size, size);
    const data = store.data;
    if (!data) return;
    const scale = scaleFor(store.view.palette);
    const many = data.classes > 2; // labels are class numbers 0..k-1
    const color = many ? classCss : (label) => scale.css(label);
    const squares = !many && store.view.palette === "colorblind" && store.config.problem === "classification";
    const r = Math.max(2.5, size / 100);
    const draw = (points, stroke) => {
      ctx.lineWidth = 1;
      ctx.strokeStyle = stroke;
      for (const [x, y, label] of points) {
        if (!onPlane(x, y)) continue;
        ctx.fillStyle = color(label);
        ctx.beginPath();
        const [px, py] = [toX(x, size), toY(y, size)];
        if (squares && label < 0) ctx.rect(px - r, py - r, 2 * r, 2 * r);
        else ctx.arc(px, py, r, 0, 2 * Math.PI);
        ctx.fill();
        ctx.stroke();
      }
    };
    draw(data.train, "rgba(255,255,255,0.9)");
    if (store.view.show_test) draw(data.test ?? [], "rgba(0,0,0,0.75)");
  }

  drawAxes() {
    const { size } = this;
    const axes = this.axes;
    axes.replaceChildren();
    axes.setAttribute("width", String(size + 30));
    axes.setAttribute("height", String(size + 24));
    const el = (tag, attrs, text) => axes.append(svg(tag, attrs, text));
    for (let t = -DOMAIN; t <= DOMAIN; t++) {
      const x = toX(t, size);
      const y = toY(t, size);
      const cls = t === 0 ? "tick zero" : "tick";
      el("line", { x1: x, y1: size, x2: x, y2: size + 4, class: cls });
      el("text", { x, y: size + 15, "text-anchor": "middle", class: cls }, String(t));
      el("line", { x1: size, y1: y, x2: size + 4, y2: y, class: cls });
      el("text", { x: size + 7, y: y + 3.5, "text-anchor": "start", class: cls }, String(t));
    }
  }
}

/**
 * What the plot in `figure` shows, as one canvas at the points' resolution: white, the
 * translucent map scaled up as on screen, the points (the PNG the Export menu saves).
 */
export function plotPicture(figure) {
  const background = figure.querySelector("[data-heatmap-canvas]");
  const points = figure.querySelector("[data-heatmap-points]");
  const canvas = document.createElement("canvas");
  canvas.width = points.width;
  canvas.height = points.height;
  const ctx = canvas.getContext("2d");
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  if (background.width) ctx.drawImage(background, 0, 0, canvas.width, canvas.height);
  ctx.drawImage(points, 0, 0);
  return canvas;
}

/** Multiply a canvas's alpha down to ALPHA / 255 (it was painted opaque). */
function fade(canvas) {
  if (!canvas.width) return;
  const ctx = canvas.getContext("2d");
  ctx.save();
  ctx.globalCompositeOperation = "destination-in";
  ctx.fillStyle = `rgba(0, 0, 0, ${ALPHA / 255})`;
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.restore();
}
