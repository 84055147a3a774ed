// A GAN's KL and JS divergence over iterations (bits), from each frame and, when a session
// is (re)opened, from the server's record (GET …/generative: every 10 iterations).

import { epochAxis, LossSeries } from "./lossChart.js";

const REDRAW_MS = 500;

export class DivergenceChart {
  constructor(el, store, api) {
    this.el = el;
    this.store = store;
    this.series = new LossSeries(); // train: KL, test: JS
    this.timer = null;
    this.sessionId = null;
    this.revision = 0;
    store.addEventListener("frame", () => {
      const f = store.frame;
      if (f?.kind !== "gan") return;
      this.series.add(f.epoch, f.meta.kl, f.meta.js);
      this.schedule();
    });
    store.addEventListener("session", async () => {
      const s = store.session;
      if (s.config.kind !== "gan" || s.id === this.sessionId) return;
      this.sessionId = s.id;
      this.series.clear();
      try {
        const view = await api.generative(s.id, 10);
        if (s.id !== store.session?.id) return;
        for (const [epoch, klValue, jsValue] of view.divergences ?? []) this.series.add(epoch, klValue, jsValue);
        this.schedule();
      } catch {
        // the frames fill it in
      }
    });
  }

  schedule() {
    if (this.timer || this.el.closest("[hidden]")) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.draw();
    }, REDRAW_MS);
  }

  draw() {
    const Plotly = window.Plotly;
    if (!Plotly) return;
    const s = this.series;
    const axis = { tickfont: { size: 9, color: "#666" }, gridcolor: "#eee", zeroline: false, linecolor: "#ddd", fixedrange: true };
    Plotly.react(
      this.el,
      [
        { x: s.epoch, y: s.test, name: "JS", mode: "lines", line: { color: "#0877bd", width: 1.5 } },
        { x: s.epoch, y: s.train, name: "KL", mode: "lines", line: { color: "#f59322", width: 1.5 }, yaxis: "y2" },
      ],
      {
        margin: { l: 34, r: 34, t: 6, b: 20 },
        showlegend: false,
        paper_bgcolor: "rgba(0,0,0,0)",
        plot_bgcolor: "rgba(0,0,0,0)",
        xaxis: { ...axis, ...epochAxis(s.epoch) },
        yaxis: { ...axis, range: [0, 1], nticks: 3, title: { text: "JS", font: { size: 9 } } },
        yaxis2: { ...axis, overlaying: "y", side: "right", rangemode: "tozero", nticks: 3, title: { text: "KL", font: { size: 9 } } },
        hovermode: "x",
        datarevision: ++this.revision, // the series' arrays change in place
      },
      { displayModeBar: false, responsive: true },
    );
  }
}
