// The plot of the generative kinds: a GAN's discriminator map (TFP's colours: blue where
// D says "real", orange where it says "generated"), the real points, the generated ones
// with their gradient arrows, and G's manifold (the noise grid mapped through G: a mesh
// for 2-D noise, a curve for 1-D); an autoencoder's points joined to their
// reconstructions, coloured by their code, and the decoded manifold. Click or drag to
// draw real points; shift-click removes the nearest.

import { scaleFor } from "../draw/colors.js";
import { DOMAIN, fromPixels, toX, toY } from "../draw/plane.js";

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
    const scale = scaleFor(this.store.view.palette);
    ctx.fillStyle = "#fff";
    ctx.fillRect(0, 0, size, size);
    const s = f.sections;
    const dot = Math.max(2, size / 160);
    if (f.kind === "gan") {
      if (this.shown.dmap && s.dmap) this.paintMap(ctx, s.dmap, size, scale);
      if (this.shown.manifold && s.manifold) this.mesh(ctx, s.manifold, size, "rgba(40,40,40,0.55)");
      if (this.shown.real) this.points(ctx, s.real.values, size, scale.css(1), dot, "#fff");
      const fake = this.interpolated(s.fake.values);
      if (this.shown.fake) this.points(ctx, fake, size, scale.css(-1), dot, "#fff");
      if (this.shown.push && s.push) this.arrows(ctx, fake, s.push.values, size);
    } else {
      const points = s.points.values;
      const recon = s.recon.values;
      if (this.shown.recon) this.joins(ctx, points, recon, size);
      if (this.shown.manifold && s.manifold) this.mesh(ctx, s.manifold, size, "rgba(40,40,40,0.8)");
      const colours = this.shown.codes ? this.codeColours(s.codes, f.meta.code_range, scale) : null;
      this.points(ctx, points, size, colours ?? scale.css(1), dot, "#fff");
      if (this.shown.recon) this.points(ctx, recon, size, scale.css(-1), dot * 0.7, null);
    }
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

  paintMap(ctx, dmap, size, scale) {
    const [rows, cols] = dmap.shape;
    const image = new ImageData(cols, rows);
    const pixels = new Uint32Array(image.data.buffer);
    for (let i = 0; i < rows * cols; i++) pixels[i] = scale.lut[Math.min(255, Math.round(dmap.values[i]))];
    const tile = document.createElement("canvas");
    tile.width = cols;
    tile.height = rows;
    tile.getContext("2d").putImageData(image, 0, 0);
    ctx.save();
    ctx.globalAlpha = 0.75;
    ctx.imageSmoothingEnabled = true;
    ctx.drawImage(tile, 0, 0, size, size);
    ctx.restore();
  }

  points(ctx, xy, size, colour, r, outline) {
    const fixed = typeof colour === "string";
    ctx.lineWidth = Math.max(1, r / 3);
    if (outline) ctx.strokeStyle = outline;
    for (let i = 0; i + 1 < xy.length; i += 2) {
      ctx.beginPath();
      ctx.arc(toX(xy[i], size), toY(xy[i + 1], size), r, 0, 2 * Math.PI);
      ctx.fillStyle = fixed ? colour : colour[i / 2];
      ctx.fill();
      if (outline) ctx.stroke();
    }
  }

  arrows(ctx, xy, push, size) {
    let longest = 0;
    for (let i = 0; i < push.length; i += 2) longest = Math.max(longest, Math.hypot(push[i], push[i + 1]));
    if (!longest) return;
    const reach = size / 24 / longest; // the longest arrow: a 24th of the plot
    ctx.strokeStyle = "rgba(30,30,30,0.7)";
    ctx.lineWidth = Math.max(1, size / 500);
    ctx.beginPath();
    for (let i = 0; i + 1 < xy.length; i += 4) { // every other point: arrows stay readable
      const x = toX(xy[i], size);
      const y = toY(xy[i + 1], size);
      const dx = push[i] * reach;
      const dy = -push[i + 1] * reach;
      ctx.moveTo(x, y);
      ctx.lineTo(x + dx, y + dy);
      const angle = Math.atan2(dy, dx);
      const head = Math.min(6, Math.hypot(dx, dy) / 3);
      ctx.lineTo(x + dx - head * Math.cos(angle - 0.5), y + dy - head * Math.sin(angle - 0.5));
      ctx.moveTo(x + dx, y + dy);
      ctx.lineTo(x + dx - head * Math.cos(angle + 0.5), y + dy - head * Math.sin(angle + 0.5));
    }
    ctx.stroke();
  }

  mesh(ctx, manifold, size, colour) {
    const v = manifold.values;
    ctx.strokeStyle = colour;
    ctx.lineWidth = Math.max(1, size / 400);
    ctx.beginPath();
    const at = (i) => [toX(v[2 * i], size), toY(v[2 * i + 1], size)];
    const line = (indices) => {
      indices.forEach((index, k) => {
        const [x, y] = at(index);
        if (k === 0) ctx.moveTo(x, y);
        else ctx.lineTo(x, y);
      });
    };
    if (manifold.shape.length === 2) {
      line([...Array(manifold.shape[0]).keys()]);
    } else {
      const [m, n] = manifold.shape;
      for (let r = 0; r < m; r++) line([...Array(n).keys()].map((c) => r * n + c));
      for (let c = 0; c < n; c++) line([...Array(m).keys()].map((r) => r * n + c));
    }
    ctx.stroke();
  }

  joins(ctx, a, b, size) {
    ctx.strokeStyle = "rgba(120,120,120,0.45)";
    ctx.lineWidth = 1;
    ctx.beginPath();
    for (let i = 0; i + 1 < a.length; i += 2) {
      ctx.moveTo(toX(a[i], size), toY(a[i + 1], size));
      ctx.lineTo(toX(b[i], size), toY(b[i + 1], size));
    }
    ctx.stroke();
  }

  /** Each point's colour from its first code, low (orange) to high (blue). */
  codeColours(codes, range, scale) {
    const k = codes.shape[1] ?? 1;
    const [low, high] = [range[0][0], range[1][0]];
    const out = [];
    for (let i = 0; i < codes.values.length; i += k) {
      out.push(scale.css(high > low ? (2 * (codes.values[i] - low)) / (high - low) - 1 : 0));
    }
    return out;
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
