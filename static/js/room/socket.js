// The wall's websocket (docs/rooms.md, "The wall's websocket"): hello with the teacher
// key, then JSON "room" and "board" messages and binary tiles (u32 member number, u32 0,
// then a frame), each acked by its frame's seq. It reconnects with backoff unless the key
// was refused (4401), the room is unknown (4404) or closed (4410).

const BACKOFF_MS = [500, 1000, 2000, 4000, 8000];
export const BAD_KEY = 4401;
export const UNKNOWN_ROOM = 4404;
export const ROOM_CLOSED = 4410;
const FINAL = [BAD_KEY, UNKNOWN_ROOM, ROOM_CLOSED];
export const TILE_HEADER = 8;

/** A tile's member number and its frame (an ArrayBuffer for net/frame.js decodeFrame). */
export function splitTile(buffer) {
  return { number: new DataView(buffer).getUint32(0, true), frame: buffer.slice(TILE_HEADER) };
}

export class WallSocket {
  /** handlers: open(), message(json), tile(buffer), down(seconds), ended(code). */
  constructor(code, key, handlers, { fps = 3, location = window.location } = {}) {
    this.url = `${location.protocol === "https:" ? "wss:" : "ws:"}//${location.host}/ws/rooms/${encodeURIComponent(code)}`;
    this.key = key;
    this.fps = fps;
    this.handlers = handlers;
    this.ws = null;
    this.attempt = 0;
    this.timer = null;
    this.stopped = false;
  }

  open() {
    clearTimeout(this.timer);
    const ws = new WebSocket(this.url);
    ws.binaryType = "arraybuffer";
    this.ws = ws;
    ws.addEventListener("open", () => {
      if (ws !== this.ws) return;
      this.attempt = 0;
      ws.send(JSON.stringify({ type: "hello", key: this.key, fps: this.fps }));
      this.handlers.open();
    });
    ws.addEventListener("message", (e) => {
      if (ws !== this.ws) return;
      if (typeof e.data !== "string") {
        this.handlers.tile(e.data);
        return;
      }
      try {
        this.handlers.message(JSON.parse(e.data));
      } catch (error) {
        if (!(error instanceof SyntaxError)) throw error;
      }
    });
    ws.addEventListener("close", (e) => {
      if (ws !== this.ws) return;
      this.ws = null;
      if (this.stopped) return;
      if (FINAL.includes(e.code)) {
        this.handlers.ended(e.code);
        return;
      }
      const base = BACKOFF_MS[Math.min(this.attempt, BACKOFF_MS.length - 1)];
      const delay = Math.round(base * (0.75 + Math.random() * 0.5));
      this.attempt += 1;
      this.timer = setTimeout(() => this.open(), delay);
      this.handlers.down(Math.max(1, Math.round(delay / 1000)));
    });
  }

  send(message) {
    if (this.ws?.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify(message));
    return true;
  }

  ack(seq) {
    this.send({ type: "ack", seq });
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    this.ws?.close(1000, "wall closed");
    this.ws = null;
  }
}
