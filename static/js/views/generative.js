// The plot of the generative kinds: a GAN's discriminator map (TFP's colours: blue where
// D says "real", orange where it says "generated"), the real points, the generated ones
// with their gradient arrows, and G's manifold (the noise grid mapped through G: a mesh
// for 2-D noise, a curve for 1-D); an autoencoder's points joined to their
// reconstructions, coloured by their code, and the decoded manifold. Click or drag to
// draw real points; shift-click removes the nearest.

import { scaleFor } from "../draw/colors.js";
import { paintFrame } from "../draw/generative.js";
import { DOMAIN, fromPixels } from "../draw/plane.js";

export const LAYERS = Object.freeze({
  gan: [
    ["dmap", "Discriminator's map", "D's output over the plane: blue where it calls a point real, orange where it calls it generated."],
    ["real", "Real points", "The points the generator has to learn to imitate."],
    ["fake", "Generated points", "Points the generator makes from the same noise values every frame, so you can follow each one."],
    ["push", "Gradients", "Where the generator's next step pushes each generated point: up the discriminator's slope towards 'real'."],
    ["manifold", "Generator's manifold", "The grid of noise values mapped through the generator: how it bends the noise onto the plane."],
  ],
  autoencoder: [
    ["points", "Points", "The points the autoencoder squeezes through its bottleneck."],
    ["recon", "Reconstructions", "Each point after encoding and decoding, joined to where it came from."],
    ["manifold", "Decoded manifold", "Every code decoded: the curve (or sheet) the autoencoder maps all points onto."],
    ["codes", "Colour by code", "Colour each point by its code: points with close codes get close colours."],
  ],
});
const DRAW_SPACING = 0.3; // plane units between the points a drag draws
const MOVE_MS = 600; // slow motion: how long the generated points take to move

const round = (v) => Math.round(Math.min(DOMAIN, Math.max(-DOMAIN, v)) * 1000) / 1000;

export class GenerativePlot {
  constructor(root, store, actions) {
    this.store = store;
    this.actions = actions;
    this.box = root.querySelector("[data-generative-canvas-box]");
    this.canvas = root.querySelector("[data-generative-canvas]");
    this.caption = root.querySelector("[data-generative-caption]");
    this.layersEl = root.querySelector("[data-generative-layers]");
    this.shown = { dmap: true, real: true, fake: true, push: true, manifold: true, points: true, recon: true, codes: false };
    this.from = null; // slow motion: the generated points' last positions, to move from
    this.moveStart = 0;
    this.kind = null;
    store.addEventListener("frame", () => this.onFrame());
    store.addEventListener("config", (e) => {
      if (e.detail.changed.includes("kind")) this.buildLayers();
    });
    store.addEventListener("view", (e) => {
      if (e.detail.changed.includes("palette")) this.draw();
    });
    new ResizeObserver(() => this.draw()).observe(this.box);
    this.bindDrawing();
    this.buildLayers();
  }

  buildLayers() {
    const kind = this.store.config.kind;
    if (kind === this.kind || !LAYERS[kind]) return;
    this.kind = kind;
    this.layersEl.replaceChildren(
      ...LAYERS[kind].map(([key, title, tip]) => {
        const label = document.createElement("label");
        label.dataset.tip = tip;
        const box = document.createElement("input");
        box.type = "checkbox";
        box.checked = this.shown[key];
        box.dataset.generativeLayer = key;
        box.addEventListener("change", () => {
          this.shown[key] = box.checked;
          this.draw();
        });
        label.append(box, ` ${title}`);
        return label;
      }),
    );
  }

  /** Slow motion: the next frame's generated points glide from where they are now. */
  animateNext() {
    const f = this.store.frame;
    this.from = f?.kind === "gan" ? Float32Array.from(f.sections.fake.values) : null;
  }

  onFrame() {
    const f = this.store.frame;
    if (!f || f.kind === "mlp") return;
    if (this.from && f.kind === "gan" && this.from.length === f.sections.fake.values.length) {
      this.moving = this.from;
      this.from = null;
      this.moveStart = performance.now();
      const tick = () => {
        this.draw();
        if (performance.now() - this.moveStart < MOVE_MS) requestAnimationFrame(tick);
        else this.moving = null;
      };
      requestAnimationFrame(tick);
      return;
    }
    this.draw();
  }

  // -- drawing ---------------------------------------------------------------------------
  draw() {
    const f = this.store.frame;
    if (!f || f.kind === "mlp" || !this.box.clientWidth) return;
    const size = Math.round(this.box.clientWidth * (window.devicePixelRatio || 1));
    if (this.canvas.width !== size) this.canvas.width = this.canvas.height = size;
    const ctx = this.canvas.getContext("2d");
    const fake = f.kind === "gan" ? this.interpolated(f.sections.fake.values) : null;
    paintFrame(ctx, f, size, scaleFor(this.store.view.palette), this.shown, fake);
    this.caption.textContent = this.captionText(f);
  }

  captionText(f) {
    if (f.kind === "gan") {
      const u = f.meta.updates ?? {};
      return `Iteration ${f.epoch.toLocaleString("en-US")} · D updates ${u.d ?? 0} · G updates ${u.g ?? 0}`;
    }
    return `Epoch ${f.epoch.toLocaleString("en-US")} · bottleneck ${f.meta.bottleneck}`;
  }

  interpolated(target) {
    if (!this.moving || this.moving.length !== target.length) return target;
    const t = Math.min(1, (performance.now() - this.moveStart) / MOVE_MS);
    const ease = t * t * (3 - 2 * t);
    return target.map((v, i) => this.moving[i] + (v - this.moving[i]) * ease);
  }

  // -- drawing your own points -------------------------------------------------------------
  bindDrawing() {
    let last = null;
    const editable = () => !this.store.hide.has("points") && this.store.connection.state === "connected";
    const place = (e) => fromPixels(e.clientX, e.clientY, this.canvas.getBoundingClientRect()).map(round);
    this.canvas.addEventListener("pointerdown", (e) => {
      if (!editable() || e.button !== 0) return;
      const [x, y] = place(e);
      if (e.shiftKey) {
        this.actions.removePoint(x, y);
        return;
      }
      this.canvas.setPointerCapture(e.pointerId);
      // the first point drawn replaces the generated distribution (clear, then add)
      if (!this.store.session?.custom_data) this.actions.clearPoints();
      this.actions.addPoint(x, y, 1);
      last = [x, y];
    });
    this.canvas.addEventListener("pointermove", (e) => {
      if (!last) return;
      const [x, y] = place(e);
      if (Math.hypot(x - last[0], y - last[1]) < DRAW_SPACING) return;
      this.actions.addPoint(x, y, 1);
      last = [x, y];
    });
    const end = () => {
      last = null;
    };
    this.canvas.addEventListener("pointerup", end);
    this.canvas.addEventListener("pointercancel", end);
  }
}
