// The Plotly chart of training and test loss over epochs. It keeps at most MAX_POINTS points
// spread evenly over all epochs (the spacing doubles whenever it fills up) and redraws at
// most every REDRAW_MS, so it stays fast after hundreds of thousands of epochs.

export const MAX_POINTS = 1000;
const REDRAW_MS = 250;

// what the two curves are, by model kind (a GAN's "train" loss is D's, its "test" loss G's)
const NAMES = {
  mlp: ["Training loss", "Test loss"],
  gan: ["Discriminator loss", "Generator loss"],
  autoencoder: ["Training error", "Test error"],
};
const line = (color) => ({ color, width: 1.5 });
const finite = (v) => (v === null || v === undefined || !Number.isFinite(v) ? null : v);

/** Loss points over epochs, thinned to at most `max` points spread evenly over epochs. */
export class LossSeries {
  constructor(max = MAX_POINTS) {
    this.max = max;
    this.clear();
  }

  clear() {
    this.stride = 1; // epochs between kept points
    this.epoch = [];
    this.train = [];
    this.test = [];
    this.tail = false; // whether the last point is the newest epoch, kept only until the next
  }

  add(epoch, train, test) {
    const last = this.epoch.at(-1);
    if (last !== undefined && epoch < last) this.clear();
    if (this.tail || epoch === last) this.pop();
    const kept = this.epoch.at(-1);
    this.epoch.push(epoch);
    this.train.push(finite(train));
    this.test.push(finite(test));
    this.tail = kept !== undefined && epoch - kept < this.stride;
    if (this.epoch.length > this.max) this.thin();
  }

  pop() {
    this.epoch.pop();
    this.train.pop();
    this.test.pop();
    this.tail = false;
  }

  replace(history) {
    this.clear();
    const n = history.epoch.length;
    for (let i = 0; i < n; i++) this.add(history.epoch[i], history.train_loss[i], history.test_loss[i]);
  }

  thin() {
    while (this.epoch.length > this.max / 2) {
      this.stride *= 2;
      const keep = [];
      let lastKept = -Infinity;
      this.epoch.forEach((e, i) => {
        if (e - lastKept >= this.stride || i === this.epoch.length - 1) {
          keep.push(i);
          lastKept = e;
        }
      });
      this.epoch = keep.map((i) => this.epoch[i]);
      this.train = keep.map((i) => this.train[i]);
      this.test = keep.map((i) => this.test[i]);
      this.tail = false;
    }
  }
}

/**
 * The x axis over epochs: whole epochs only; 0..1 while there is one point (or none), so
 * epoch 0 reads as the start of the first epoch rather than a 0..0 or -1..1 axis.
 */
export function epochAxis(epochs) {
  const last = epochs.length ? epochs.at(-1) : 0;
  if (epochs.length < 2) return { range: [0, Math.max(1, last)], tick0: 0, dtick: 1, tickformat: "d" };
  if (last <= 5) return { range: [0, last], tick0: 0, dtick: 1, tickformat: "d" };
  return { rangemode: "tozero", autorange: true, nticks: 5, tickformat: "~s" };
}

/** A y range around lone loss values: [0, 2v] puts v mid-height ([0, 1] with none). */
export function lossRange(values) {
  const known = values.filter((v) => v !== null && Number.isFinite(v));
  const top = known.length ? Math.max(...known) : 0;
  return { range: [0, top > 0 ? 2 * top : 1] };
}

export class LossChart {
  constructor(el, store) {
    this.el = el;
    this.store = store;
    this.series = new LossSeries();
    this.timer = null;
    this.lastDraw = 0;
    this.sessionId = null;
    this.drawn = false;
    this.revision = 0; // Plotly.react redraws only when this changes (the arrays are reused)

    store.addEventListener("frame", () => {
      const f = store.frame;
      this.series.add(f.epoch, f.trainLoss, f.testLoss);
      this.schedule();
    });
    store.addEventListener("history", (e) => {
      this.series.replace(e.detail);
      this.schedule();
    });
    store.addEventListener("session", () => {
      if (store.session.id !== this.sessionId) {
        this.sessionId = store.session.id;
        this.series.clear();
        this.schedule();
      }
    });
    store.addEventListener("view", (e) => {
      if (e.detail.changed.includes("presenter")) this.draw(); // bigger numbers, then the size
    });
    new ResizeObserver(() => this.resize()).observe(el);
  }

  schedule() {
    if (this.timer) return;
    const wait = Math.max(0, this.lastDraw + REDRAW_MS - performance.now());
    this.timer = setTimeout(() => {
      this.timer = null;
      this.draw();
    }, wait);
  }

  resize() {
    if (this.drawn && window.Plotly) window.Plotly.Plots.resize(this.el);
  }

  draw() {
    this.lastDraw = performance.now();
    const Plotly = window.Plotly;
    if (!Plotly) return;
    const s = this.series;
    const alone = s.epoch.length < 2; // epoch 0, or a fresh page: one point or none
    const mode = alone ? "lines+markers" : "lines"; // a single point has no line to draw
    const [train, test] = NAMES[this.store.config?.kind] ?? NAMES.mlp;
    const traces = [
      { x: s.epoch, y: s.train, name: train, mode, line: line("#888"), hovertemplate: "%{y:.3f}" },
      { x: s.epoch, y: s.test, name: test, mode, line: line("#222"), hovertemplate: "%{y:.3f}" },
    ];
    const presenter = Boolean(this.store.view.presenter);
    const axis = {
      tickfont: { size: presenter ? 12 : 9, color: "#666" },
      gridcolor: "#eee",
      zeroline: false,
      linecolor: "#ddd",
      fixedrange: true,
    };
    const layout = {
      margin: presenter ? { l: 40, r: 8, t: 6, b: 22 } : { l: 34, r: 6, t: 6, b: 20 },
      showlegend: false,
      paper_bgcolor: "rgba(0,0,0,0)",
      plot_bgcolor: "rgba(0,0,0,0)",
      font: { family: "Helvetica, Arial, sans-serif" },
      xaxis: { ...axis, ...epochAxis(s.epoch) },
      yaxis: { ...axis, nticks: 4, ...(alone ? lossRange([...s.train, ...s.test]) : { rangemode: "tozero", autorange: true }) },
      hovermode: "x",
      uirevision: "loss",
      datarevision: ++this.revision,
    };
    Plotly.react(this.el, traces, layout, { displayModeBar: false, responsive: true });
    this.drawn = true;
  }
}
