// Dataset thumbnails drawn from real generated points (GET /api/datasets previews).

import { classCss, scaleFor } from "../draw/colors.js";
import { toX, toY } from "../draw/plane.js";

export function bindThumbnails(root, store, api) {
  let previews = null;

  function draw() {
    if (!previews) return;
    const scale = scaleFor(store.view.palette);
    for (const { name, preview, preview_classes: classes } of previews) {
      const canvas = root.querySelector(`[data-thumbnail="${CSS.escape(name)}"]`);
      if (!canvas || !preview) continue;
      const ctx = canvas.getContext("2d");
      const size = canvas.width;
      ctx.fillStyle = "#fff";
      ctx.fillRect(0, 0, size, size);
      const r = size / 40;
      const color = classes > 2 ? classCss : (label) => scale.css(label); // labels 0..k-1 or ±1
      for (const [x, y, label] of preview) {
        ctx.fillStyle = color(label);
        ctx.beginPath();
        ctx.arc(toX(x, size), toY(y, size), r, 0, 2 * Math.PI);
        ctx.fill();
      }
    }
  }

  store.addEventListener("view", (e) => e.detail.changed.includes("palette") && draw());
  api
    .datasets()
    .then((list) => {
      previews = list;
      draw();
    })
    .catch(() => {
      // thumbnails stay blank; the titles still name the datasets
    });
}
