// The session and its websocket (docs/protocol.md): create a session, stream frames, send
// controls, reconnect with backoff, and start a new session with the same setup when the
// old one is gone.

import { ApiError } from "./api.js";
import { decodeFrame } from "./frame.js";
import { canRender, renderFrame } from "./render.js";

const BACKOFF_MS = [250, 500, 1000, 2000, 4000, 8000];
const UNKNOWN_SESSION = 4404;
const SESSION_CLOSED = 4410;
const PENDING_MS = 3000; // how long a sent change overrides the server's older echo
// A hidden tab draws nothing (no animation frames) but still acks, slowly: a viewer that
// stops acking is closed by the server after its viewer_timeout (30 s by default).
const HIDDEN_FPS = 1;
const DATA_FIELDS = ["problem", "dataset", "noise", "train_ratio", "seed"];
// render "client": frames carry only weights and this page draws the maps (render.js), so
// the server spends nothing on grids; "server" where render.js cannot draw the network.
export const VIEW = { grid: 100, maps: true, map_size: 25, fps: 30, render: "client" };

/** A frame's sequence number, without decoding the rest (docs/protocol.md). */
function frameSeq(buffer) {
  return new DataView(buffer).getUint32(32, true);
}

export class Connection {
  constructor(store, api) {
    this.store = store;
    this.api = api;
    this.sessionId = null;
    this.ws = null;
    this.attempt = 0;
    this.timer = null;
    this.frameBuffer = null; // newest undrawn binary frame
    this.frameSocket = null; // the socket it came from
    this.drawScheduled = false;
    this.pending = new Map(); // field -> {value, until}: sent, not yet echoed by the server
    this.dataKey = null;
    this.serverSession = null; // the last SessionState as the server sent it
    this.historyWanted = false;
    this.stopped = false;
    this.lostSessions = 0; // sessions that vanished in a row (reset by a working stream)
    this.visibleFps = undefined; // the fps to go back to while the tab is hidden
    this.view = { ...VIEW };
  }

  start() {
    this.store.addEventListener("patch", (e) => this.sendConfig(e.detail));
    this.store.addEventListener("speed", (e) => this.sendSpeed(e.detail));
    window.addEventListener("pagehide", () => this.stop());
    window.addEventListener("pageshow", (e) => e.persisted && this.resume());
    document.addEventListener("visibilitychange", () => this.visibilityChanged());
    if (document.hidden) this.visibilityChanged();
    this.connect();
  }

  // -- session lifecycle --------------------------------------------------------------
  async connect() {
    clearTimeout(this.timer);
    if (this.stopped) return;
    try {
      if (!this.sessionId) await this.createSession();
      this.open();
    } catch (error) {
      if (error instanceof ApiError && error.status === 429) {
        this.store.showBanner("The server is full right now; the page keeps trying.", "warning");
      } else if (error instanceof ApiError && error.status < 500) {
        this.store.showBanner(`The server refused the session: ${error.message}`);
      }
      this.retry();
    }
  }

  async createSession() {
    this.store.setConnection("connecting", "Starting a session…");
    let config = { ...this.store.config };
    const defaults = this.store.options.defaults;
    // A field the server rejects falls back to its default, one field at a time.
    for (let tries = 0; ; tries++) {
      try {
        const session = await this.api.createSession(config);
        this.sessionId = session.id;
        this.dataKey = null;
        this.pending.clear();
        if (session.speed !== this.store.view.speed) this.markPending("speed", this.store.view.speed);
        this.acceptSession(session);
        return;
      } catch (error) {
        const field = error instanceof ApiError && error.status === 422 ? error.configField : null;
        if (!field || tries > Object.keys(config).length) throw error;
        config = { ...config, [field]: defaults[field] };
        if (field === "dataset" || field === "problem") {
          config.problem = defaults.problem;
          config.dataset = defaults.dataset;
        }
      }
    }
  }

  open() {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const ws = new WebSocket(`${scheme}//${location.host}/ws/sessions/${encodeURIComponent(this.sessionId)}`);
    ws.binaryType = "arraybuffer";
    this.ws = ws;
    ws.addEventListener("open", () => {
      if (ws !== this.ws) return;
      this.attempt = 0;
      this.historyWanted = true;
      ws.send(JSON.stringify({ type: "view", ...this.view }));
      this.flushPending();
      this.store.setConnection("connected", "Connected");
    });
    ws.addEventListener("message", (e) => ws === this.ws && this.receive(e.data));
    ws.addEventListener("close", (e) => {
      if (ws !== this.ws) return;
      this.ws = null;
      if (this.stopped) return;
      if (e.code === UNKNOWN_SESSION || e.code === SESSION_CLOSED) {
        // The server no longer knows this session (restarted, expired): same setup, new
        // session; at once the first time, with backoff if new sessions keep vanishing.
        this.sessionId = null;
        this.lostSessions += 1;
        if (this.lostSessions > 1) {
          this.retry();
        } else {
          this.store.setConnection("connecting", "Session expired; starting a new one…");
          this.connect();
        }
      } else {
        this.retry();
      }
    });
  }

  retry() {
    if (this.stopped) return;
    const base = BACKOFF_MS[Math.min(this.attempt, BACKOFF_MS.length - 1)];
    const delay = Math.round(base * (0.75 + Math.random() * 0.5));
    this.attempt += 1;
    const seconds = Math.max(1, Math.round(delay / 1000));
    this.store.setConnection("offline", `Connection lost; retrying in ${seconds} s…`);
    this.timer = setTimeout(() => this.connect(), delay);
  }

  /** Leave: free the server's session (the page may come back from the bfcache). */
  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    const id = this.sessionId;
    if (this.ws) this.ws.close(1000, "page closed");
    this.ws = null;
    if (id) this.api.deleteSession(id).catch(() => {});
    this.sessionId = null;
  }

  resume() {
    this.stopped = false;
    this.attempt = 0;
    this.connect();
  }

  /** Hidden: one frame a second, acked unseen; shown again: the usual rate, drawn. */
  visibilityChanged() {
    if (document.hidden) {
      this.visibleFps ??= this.view.fps;
      this.setView({ fps: HIDDEN_FPS });
      if (this.frameBuffer) this.ack(this.frameSocket, frameSeq(this.frameBuffer));
    } else if (this.visibleFps !== undefined) {
      this.setView({ fps: this.visibleFps });
      this.visibleFps = undefined;
      if (this.frameBuffer && !this.drawScheduled) {
        this.drawScheduled = true;
        requestAnimationFrame(() => this.drawFrame());
      }
    }
  }

  // -- incoming -------------------------------------------------------------------------
  receive(data) {
    this.lostSessions = 0;
    if (typeof data !== "string") {
      this.frameBuffer = data;
      this.frameSocket = this.ws;
      if (document.hidden) {
        this.ack(this.ws, frameSeq(data)); // drawn when the tab is shown again
      } else if (!this.drawScheduled) {
        this.drawScheduled = true;
        requestAnimationFrame(() => this.drawFrame());
      }
      return;
    }
    let message;
    try {
      message = JSON.parse(data);
    } catch {
      return;
    }
    if (message.type === "state") this.acceptSession(message.session);
    else if (message.type === "error") this.serverError(message);
  }

  drawFrame() {
    this.drawScheduled = false;
    const buffer = this.frameBuffer;
    const socket = this.frameSocket;
    this.frameBuffer = null;
    if (!buffer) return;
    let seq;
    try {
      const frame = decodeFrame(buffer);
      seq = frame.seq;
      if (frame.gridSize === 0 && !this.drawLocally(frame)) return this.ack(socket, seq);
      this.store.setFrame(frame);
    } catch (error) {
      this.store.showBanner(`Could not draw a frame: ${error.message}`);
    }
    this.ack(socket, seq);
  }

  /** "I have drawn a frame; send the next." (A socket opened since then sends its own.) */
  ack(socket, seq) {
    if (socket === this.ws) this.send(seq === undefined ? { type: "ack" } : { type: "ack", seq });
  }

  /** Fill a grid-less frame's maps from its weights; false if this page cannot. */
  drawLocally(frame) {
    const config = this.serverSession?.config;
    if (!config || !canRender(config) || frame.classes > 0) return false;
    if (config.features.length !== frame.sizes[0] || frame.sizes.at(-1) !== 1) return false;
    const mapSize = this.view.maps ? this.view.map_size : 0;
    const { grid, maps } = renderFrame(frame, config, this.view.grid, mapSize);
    Object.assign(frame, { grid, maps, gridSize: this.view.grid, mapSize });
    return true;
  }

  acceptSession(session) {
    this.serverSession = session;
    const render = canRender(session.config) ? "client" : "server";
    if (render !== this.view.render) this.setView({ render });
    const now = performance.now();
    const config = { ...session.config };
    let speed = session.speed;
    for (const [field, { value, until }] of this.pending) {
      const echoed = JSON.stringify(field === "speed" ? speed : config[field]) === JSON.stringify(value);
      if (echoed || until < now) this.pending.delete(field);
      else if (field === "speed") speed = value;
      else config[field] = value;
    }
    this.store.setSession({ ...session, config, speed });
    if (session.state === "diverged" || session.state === "failed") {
      this.store.showBanner(session.message ?? `Training ${session.state}.`, "warning");
    } else if (this.store.banner?.tone === "warning") {
      this.store.showBanner(null);
    }
    this.refreshData(session);
    if (this.historyWanted) {
      this.historyWanted = false;
      if (session.epoch > 0) this.loadHistory(session.id);
    }
  }

  async refreshData(session) {
    const key = `${session.id}:${session.data_version ?? JSON.stringify(DATA_FIELDS.map((f) => session.config[f]))}`;
    if (key === this.dataKey) return;
    this.dataKey = key;
    try {
      const data = await this.api.data(session.id);
      const { classes, problem } = session.config; // what the labels mean
      if (key === this.dataKey) this.store.setData({ ...data, classes, problem });
    } catch {
      if (key === this.dataKey) this.dataKey = null; // try again on the next state
    }
  }

  async loadHistory(id) {
    try {
      const history = await this.api.history(id);
      if (id === this.sessionId) this.store.emit("history", history);
    } catch {
      // the chart simply starts from now
    }
  }

  serverError(message) {
    this.pending.clear();
    const where = message.field ? ` (${message.field})` : "";
    this.store.showBanner(`${message.message}${where}`);
    if (this.serverSession) this.store.setSession(this.serverSession); // undo optimistic changes
  }

  // -- outgoing -------------------------------------------------------------------------
  send(message) {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify(message));
    return true;
  }

  markPending(field, value) {
    this.pending.set(field, { value, until: performance.now() + PENDING_MS });
  }

  sendConfig(patch) {
    for (const [field, value] of Object.entries(patch)) this.markPending(field, value);
    this.send({ type: "config", config: patch });
  }

  sendSpeed(speed) {
    this.markPending("speed", speed);
    this.send({ type: "speed", speed });
  }

  /** After (re)connecting: send whatever the user changed while the socket was down. */
  flushPending() {
    const session = this.serverSession;
    if (!session) return;
    const patch = {};
    for (const [field, value] of Object.entries(this.store.config)) {
      if (JSON.stringify(session.config?.[field]) !== JSON.stringify(value)) patch[field] = value;
    }
    if (Object.keys(patch).length) this.sendConfig(patch);
    if (session.speed !== this.store.view.speed) this.sendSpeed(this.store.view.speed);
  }

  /** Change what frames this page wants (docs/protocol.md, "view"). */
  setView(patch) {
    const view = { ...this.view, ...patch };
    if (JSON.stringify(view) === JSON.stringify(this.view)) return;
    this.view = view;
    this.send({ type: "view", ...view });
  }

  play() {
    this.send({ type: this.store.session?.state === "running" ? "pause" : "play" });
  }

  step() {
    this.send({ type: "step" });
  }

  reset() {
    this.send({ type: "reset" });
  }

  regenerate() {
    this.send({ type: "regenerate" });
  }

  /** Your own points (docs/protocol.md): the weights and the epoch stay. */
  addPoint(x, y, label, split = "train") {
    this.send({ type: "add_point", x, y, label, split });
  }

  removePoint(x, y) {
    this.send({ type: "remove_point", x, y });
  }

  clearPoints() {
    this.send({ type: "clear_points" });
  }

  /** After an upload or an import replaced the session's setup: the chart's history. */
  reloadHistory() {
    if (this.sessionId) this.loadHistory(this.sessionId);
  }

  setWeight({ layer, neuron, input, value }) {
    const message = { type: "set_weight", layer, neuron, value };
    if (input !== undefined && input !== null) message.input = input;
    this.send(message);
  }
}
