// The page's session on the server (docs/protocol.md), on top of the socket: go back to
// this tab's session (a reload, a server restart) or create one (falling back field by
// field where the server refuses a value), stream its frames, keep the user's changes
// optimistic until the server echoes them, refresh the points and the loss history, and
// when the session is truly gone say so (store.gone) until the person picks what next.

import { ApiError, createFitting } from "./api.js";
import { decodeFrame, UnknownKind } from "./frame.js";
import { SessionLoader } from "./loader.js";
import { Pending } from "./pending.js";
import { FramePump } from "./pump.js";
import { frameSeq, Socket } from "./socket.js";
import { KINDS } from "../kinds/index.js";

// A hidden tab draws nothing (no animation frames) but still acks, slowly: a viewer that
// stops acking is closed by the server after its viewer_timeout (30 s by default).
const HIDDEN_FPS = 1;
// render "client": frames carry only weights and this page draws the maps (kinds/mlp.js),
// so the server spends nothing on grids; "server" where the page cannot draw the network.
// The kind module of a config (configs name their kind; one without is an MLP).
const kindFor = (config) => KINDS[config?.kind ?? "mlp"];
export const VIEW = Object.freeze({ grid: 100, maps: true, map_size: 25, fps: 30, render: "client" });

export class Connection {
  /** tab: where this tab's session id is kept (net/remember.js TabSession). */
  constructor(store, api, tab) {
    this.store = store;
    this.api = api;
    this.tab = tab;
    this.returning = tab.returning(); // this load goes back to the tab's session
    this.sessionId = null;
    this.socket = new Socket({
      open: () => this.opened(),
      message: (data, from) => this.receive(data, from),
      close: ({ gone, reason }) => this.closed(gone, reason),
    });
    this.pump = new FramePump(this.socket, (buffer) => this.drawFrame(buffer));
    this.pending = new Pending(); // sent, not yet echoed by the server
    this.loader = new SessionLoader(store, api, () => this.sessionId);
    this.serverSession = null; // the last SessionState as the server sent it
    this.historyWanted = false;
    this.stopped = false;
    this.visibleFps = undefined; // the fps to go back to while the tab is hidden
    this.view = { ...VIEW };
  }

  /** The open websocket, or null (the console and tests close it to try a reconnect). */
  get ws() { return this.socket.ws; }

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
    if (this.stopped || this.store.gone) return;
    try {
      if (!this.sessionId) await this.findSession();
      if (this.sessionId) this.socket.open(this.sessionId);
    } catch (error) {
      if (error instanceof ApiError && error.status === 429) {
        this.store.showBanner("The server is full right now; the page keeps trying.", "warning");
      } else if (error instanceof ApiError && error.status < 500) {
        this.store.showBanner(`The server refused the session: ${error.message}`);
      }
      this.retry();
    }
  }

  /** The tab's session if it is still there (its config wins over the address), else a
   * new one with the page's setup; a 404 for the tab's session means it is gone. */
  async findSession() {
    const stored = this.returning ? this.tab.id : null;
    this.returning = true; // from now on the stored id is this page's own
    if (!stored) return this.createSession();
    this.store.setConnection("connecting", "Finding your session…");
    try {
      this.adopt(await this.api.session(stored));
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 404)) throw error;
      await this.lost(stored);
    }
  }

  async createSession() {
    this.store.setConnection("connecting", "Starting a session…");
    const session = await createFitting(this.api, this.store.config, this.store.options.defaults);
    this.adopt(session, { pageSpeed: true });
  }

  /** Show `session` from now on (the socket is opened by the caller); pageSpeed: the
   * page's speed is sent to it (a new session), else the session's wins. */
  adopt(session, { pageSpeed = false } = {}) {
    this.sessionId = session.id;
    this.tab.keep(session.id);
    this.loader.forget();
    this.pending.clear();
    if (pageSpeed && session.speed !== this.store.view.speed) this.pending.mark("speed", this.store.view.speed);
    this.pump.drop();
    this.store.setGone(null);
    this.store.clearFrame();
    this.acceptSession(session);
  }

  /** Switch to another live session (an experiment opened, a last copy): the old one is
   * left to the server (it pauses without viewers, then expires). */
  switchTo(session) {
    this.socket.close(1000, "switched session");
    this.adopt(session);
    if (!this.stopped) this.socket.open(session.id);
  }

  /** The session `id` is gone for good: what the server kept of it goes to store.gone,
   * and the page waits for the person (the banner's buttons) instead of starting over. */
  async lost(id, reason = "") {
    this.socket.close(1000, "session gone");
    this.sessionId = null;
    this.serverSession = null;
    this.tab.forget();
    this.store.setConnection("ended", "No session");
    // none kept (404), or the server cannot say now: the banner offers a fresh start
    const copy = await this.api.lastCopy(id).catch(() => null);
    this.store.setGone({ id, copy, reason });
  }

  /** The gone banner's "Open the last saved copy". */
  async openLastCopy() {
    const gone = this.store.gone;
    if (!gone) return;
    try {
      this.switchTo(await this.api.openLastCopy(gone.id));
    } catch (error) {
      this.store.setGone({ ...gone, copy: null, error: `The last saved copy could not be opened: ${error.message}` });
    }
  }

  /** The gone banner's "Start fresh": a new session with the page's setup. */
  startFresh() {
    this.store.setGone(null);
    this.socket.resetBackoff();
    this.connect();
  }

  opened() {
    this.historyWanted = true;
    this.loader.forget(); // a restarted server restored the points: show its copy
    this.socket.send({ type: "view", ...this.view });
    this.flushPending();
    this.store.setConnection("connected", "Connected");
  }

  closed(gone, reason) {
    if (this.stopped) return;
    // a dropped connection or a restarting server comes back to the same session (the
    // server restores it); one the server no longer knows (expired, deleted) is lost
    if (gone && this.sessionId) this.lost(this.sessionId, reason);
    else this.retry();
  }

  retry() {
    if (this.stopped) return;
    const seconds = this.socket.retry(() => this.connect());
    this.store.setConnection("offline", `Connection lost; retrying in ${seconds} s…`);
  }

  /** Leave (a reload, another address, the bfcache): close the socket and keep the
   * session, which the tab finds again when it comes back. */
  stop() {
    this.stopped = true;
    this.tab.leaving(window.location.hash);
    this.socket.close(1000, "page closed");
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
    this.loader.points(session);
    if (this.historyWanted) {
      this.historyWanted = false;
      if (session.epoch > 0) this.loader.history(session.id);
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

  /** After an upload or an import replaced the session's setup: the chart's history. */
  reloadHistory() {
    if (this.sessionId) this.loader.history(this.sessionId);
  }
}
