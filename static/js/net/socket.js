// The websocket transport (docs/protocol.md): open a session's socket, send JSON, ack
// frames on the socket they came from, and reconnect with jittered backoff. It knows
// nothing of sessions beyond the close codes that say one is gone.

const BACKOFF_MS = [250, 500, 1000, 2000, 4000, 8000];
export const UNKNOWN_SESSION = 4404;
export const SESSION_CLOSED = 4410;

/** A frame's sequence number, without decoding the rest (docs/protocol.md). */
export function frameSeq(buffer) {
  return new DataView(buffer).getUint32(32, true);
}

export class Socket {
  /**
   * handlers: open(), message(data, from) with `from` the socket it came on (for ack),
   * close({gone, reason}) where gone means the server no longer knows the session.
   */
  constructor(handlers, location = window.location) {
    this.handlers = handlers;
    this.location = location;
    this.ws = null;
    this.attempt = 0; // failed tries in a row (the backoff step)
    this.timer = null;
  }

  /** Open the socket of session `id`, replacing any other. */
  open(id) {
    const scheme = this.location.protocol === "https:" ? "wss:" : "ws:";
    const ws = new WebSocket(`${scheme}//${this.location.host}/ws/sessions/${encodeURIComponent(id)}`);
    ws.binaryType = "arraybuffer";
    this.ws = ws;
    ws.addEventListener("open", () => {
      if (ws !== this.ws) return;
      this.attempt = 0;
      this.handlers.open();
    });
    ws.addEventListener("message", (e) => ws === this.ws && this.handlers.message(e.data, ws));
    ws.addEventListener("close", (e) => {
      if (ws !== this.ws) return;
      this.ws = null;
      this.handlers.close({ gone: e.code === UNKNOWN_SESSION || e.code === SESSION_CLOSED, reason: e.reason });
    });
  }

  get isOpen() {
    return this.ws !== null && this.ws.readyState === WebSocket.OPEN;
  }

  send(message) {
    if (!this.isOpen) return false;
    this.ws.send(JSON.stringify(message));
    return true;
  }

  /** "I have drawn a frame; send the next." A socket opened since then sends its own. */
  ack(from, seq) {
    if (from === this.ws) this.send(seq === undefined ? { type: "ack" } : { type: "ack", seq });
  }

  /** Call `again` after the next backoff delay; returns the delay in whole seconds. */
  retry(again) {
    const base = BACKOFF_MS[Math.min(this.attempt, BACKOFF_MS.length - 1)];
    const delay = Math.round(base * (0.75 + Math.random() * 0.5));
    this.attempt += 1;
    clearTimeout(this.timer);
    this.timer = setTimeout(again, delay);
    return Math.max(1, Math.round(delay / 1000));
  }

  /** No retry pending any more (a connect is starting now). */
  cancelRetry() {
    clearTimeout(this.timer);
  }

  /** Close for good: no retry, no close handler. */
  close(code = 1000, reason = "page closed") {
    clearTimeout(this.timer);
    const ws = this.ws;
    this.ws = null;
    if (ws) ws.close(code, reason);
  }

  /** Start the backoff again from its first step (a page shown again). */
  resetBackoff() {
    this.attempt = 0;
  }
}
