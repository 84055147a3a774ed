// Drawing the generative kinds' frames on a canvas of `size` pixels showing the plane
// (views/generative.js draws the big plot with these, room/tiles.js the wall's tiles).

import { toX, toY } from "./plane.js";

export function paintMap(ctx, dmap, size, scale) {
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

export function points(ctx, xy, size, colour, r, outline) {
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

export function arrows(ctx, xy, push, size) {
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

export function mesh(ctx, manifold, size, colour) {
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

export function joins(ctx, a, b, size) {
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
export function codeColours(codes, range, scale) {
  const k = codes.shape[1] ?? 1;
  const [low, high] = [range[0][0], range[1][0]];
  const out = [];
  for (let i = 0; i < codes.values.length; i += k) {
    out.push(scale.css(high > low ? (2 * (codes.values[i] - low)) / (high - low) - 1 : 0));
  }
  return out;
}

/** A whole frame: what `shown` turns on (all of it when not given). */
export function paintFrame(ctx, frame, size, scale, shown = {}, fake = null) {
  const on = (key) => shown[key] ?? key !== "codes";
  const s = frame.sections;
  const dot = Math.max(1.5, size / 160);
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, size, size);
  if (frame.kind === "gan") {
    if (on("dmap") && s.dmap) paintMap(ctx, s.dmap, size, scale);
    if (on("manifold") && s.manifold) mesh(ctx, s.manifold, size, "rgba(40,40,40,0.55)");
    if (on("real")) points(ctx, s.real.values, size, scale.css(1), dot, size > 200 ? "#fff" : null);
    const moved = fake ?? s.fake.values;
    if (on("fake")) points(ctx, moved, size, scale.css(-1), dot, size > 200 ? "#fff" : null);
    if (on("push") && s.push && size > 200) arrows(ctx, moved, s.push.values, size);
    return;
  }
  if (on("recon")) joins(ctx, s.points.values, s.recon.values, size);
  if (on("manifold") && s.manifold) mesh(ctx, s.manifold, size, "rgba(40,40,40,0.8)");
  const colours = on("codes") ? codeColours(s.codes, frame.meta.code_range, scale) : null;
  points(ctx, s.points.values, size, colours ?? scale.css(1), dot, size > 200 ? "#fff" : null);
  if (on("recon")) points(ctx, s.recon.values, size, scale.css(-1), dot * 0.7, null);
}
