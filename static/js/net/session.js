// The page's session on the server (docs/protocol.md), on top of the socket: create it
// (falling back field by field where the server refuses a value), stream its frames, keep
// the user's changes optimistic until the server echoes them, refresh the points and the
// loss history, and start a new session with the same setup when the old one is gone.

import { ApiError, createFitting } from "./api.js";
import { decodeFrame, UnknownKind } from "./frame.js";
import { Pending } from "./pending.js";
import { FramePump } from "./pump.js";
import { frameSeq, Socket } from "./socket.js";
import { KINDS } from "../kinds/index.js";

// A hidden tab draws nothing (no animation frames) but still acks, slowly: a viewer that
// stops acking is closed by the server after its viewer_timeout (30 s by default).
const HIDDEN_FPS = 1;
const DATA_FIELDS = ["problem", "dataset", "noise", "train_ratio", "seed"];
// render "client": frames carry only weights and this page draws the maps (kinds/mlp.js),
// so the server spends nothing on grids; "server" where the page cannot draw the network.
// The kind module of a config (configs name their kind; one without is an MLP).
const kindFor = (config) => KINDS[config?.kind ?? "mlp"];
export const VIEW = Object.freeze({ grid: 100, maps: true, map_size: 25, fps: 30, render: "client" });

export class Connection {
  constructor(store, api) {
    this.store = store;
    this.api = api;
    this.sessionId = null;
    this.socket = new Socket({
      open: () => this.opened(),
      message: (data, from) => this.receive(data, from),
      close: ({ gone }) => this.closed(gone),
    });
    this.pump = new FramePump(this.socket, (buffer) => this.drawFrame(buffer));
    this.pending = new Pending(); // sent, not yet echoed by the server
    this.dataKey = null;
    this.serverSession = null; // the last SessionState as the server sent it
    this.historyWanted = false;
    this.stopped = false;
    this.lostSessions = 0; // sessions that vanished in a row (reset by a working stream)
    this.visibleFps = undefined; // the fps to go back to while the tab is hidden
    this.view = { ...VIEW };
  }

  /** The open websocket, or null (the console and tests close it to try a reconnect). */
  get ws() {
    return this.socket.ws;
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
    this.socket.cancelRetry();
    if (this.stopped) return;
    try {
      if (!this.sessionId) await this.createSession();
      this.socket.open(this.sessionId);
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
    const session = await createFitting(this.api, this.store.config, this.store.options.defaults);
    this.sessionId = session.id;
    this.dataKey = null;
    this.pending.clear();
    if (session.speed !== this.store.view.speed) this.pending.mark("speed", this.store.view.speed);
    this.acceptSession(session);
  }

  opened() {
    this.historyWanted = true;
    this.socket.send({ type: "view", ...this.view });
    this.flushPending();
    this.store.setConnection("connected", "Connected");
  }

  closed(gone) {
    if (this.stopped) return;
    if (!gone) {
      this.retry();
      return;
    }
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
  }

  retry() {
    if (this.stopped) return;
    const seconds = this.socket.retry(() => this.connect());
    this.store.setConnection("offline", `Connection lost; retrying in ${seconds} s…`);
  }

  /** Leave: free the server's session (the page may come back from the bfcache). */
  stop() {
    this.stopped = true;
    const id = this.sessionId;
    this.socket.close(1000, "page closed");
    if (id) this.api.deleteSession(id).catch(() => {});
    this.sessionId = null;
  }

  resume() {
    this.stopped = false;
    this.socket.resetBackoff();
    this.connect();
  }

  /** Hidden: one frame a second, acked unseen; shown again: the usual rate, drawn. */
  visibilityChanged() {
    if (document.hidden) {
      this.visibleFps ??= this.view.fps;
      this.setView({ fps: HIDDEN_FPS });
      this.pump.hidden();
    } else if (this.visibleFps !== undefined) {
      this.setView({ fps: this.visibleFps });
      this.visibleFps = undefined;
      this.pump.shown();
    }
  }

  // -- incoming -------------------------------------------------------------------------
  receive(data, from) {
    this.lostSessions = 0;
    if (typeof data !== "string") {
      this.pump.receive(data, from);
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

  /** Decode and show one frame; returns its sequence number for the ack. A frame of a
   * kind this page has no module for is acked and named in a notice, not drawn. */
  drawFrame(buffer) {
    let seq;
    try {
      const frame = decodeFrame(buffer);
      seq = frame.seq;
      this.store.setNotice("kind", null);
      // a grid-less frame the page cannot fill waits for the server's frames
      if (!KINDS[frame.kind].complete(frame, this.serverSession?.config, this.view)) return seq;
      this.store.setFrame(frame);
    } catch (error) {
      if (error instanceof UnknownKind) {
        this.store.setNotice("kind", `${error.message[0].toUpperCase()}${error.message.slice(1)}.`);
        return frameSeq(buffer);
      }
      this.store.showBanner(`Could not draw a frame: ${error.message}`);
    }
    return seq;
  }

  acceptSession(session) {
    this.serverSession = session;
    const render = kindFor(session.config)?.canRender(session.config) ? "client" : "server";
    if (render !== this.view.render) this.setView({ render });
    this.store.setSession({ ...session, ...this.pending.overlay(session) });
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
    return this.socket.send(message);
  }

  sendConfig(patch) {
    for (const [field, value] of Object.entries(patch)) this.pending.mark(field, value);
    this.send({ type: "config", config: patch });
  }

  sendSpeed(speed) {
    this.pending.mark("speed", speed);
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

  /** The page's actions (buttons, keys, the plot, the hover card): messages to the server. */
  actions() {
    const send = (type, body = {}) => this.send({ type, ...body });
    return {
      play: () => send(this.store.session?.state === "running" ? "pause" : "play"),
      step: () => send("step"),
      reset: () => send("reset"),
      regenerate: () => send("regenerate"),
      setWeight: (target) => this.setWeight(target),
      // your own points (docs/protocol.md): the weights and the epoch stay
      addPoint: (x, y, label, split = "train") => send("add_point", { x, y, label, split }),
      removePoint: (x, y) => send("remove_point", { x, y }),
      clearPoints: () => send("clear_points"),
    };
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
