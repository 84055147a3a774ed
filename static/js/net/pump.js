// Frames from the socket to the screen: the newest frame replaces an undrawn one, it is
// drawn on the next animation frame, and acked once drawn (one frame in flight, as the
// server's flow control wants). A hidden tab draws nothing but still acks what arrives.

import { frameSeq } from "./socket.js";

export class FramePump {
  /** draw(buffer) draws one frame and returns its sequence number (undefined if unknown). */
  constructor(socket, draw) {
    this.socket = socket;
    this.draw = draw;
    this.buffer = null; // newest undrawn binary frame
    this.from = null; // the socket it came on
    this.scheduled = false;
  }

  receive(buffer, from) {
    this.buffer = buffer;
    this.from = from;
    if (document.hidden) this.socket.ack(from, frameSeq(buffer)); // drawn when shown again
    else this.schedule();
  }

  schedule() {
    if (this.scheduled) return;
    this.scheduled = true;
    requestAnimationFrame(() => this.flush());
  }

  /** Forget an undrawn frame (the page switched to another session). */
  drop() {
    this.buffer = null;
  }

  /** The tab was hidden: no animation frames will come, so the waiting frame is acked now. */
  hidden() {
    if (this.buffer) this.socket.ack(this.from, frameSeq(this.buffer));
  }

  /** The tab is shown again: draw the newest frame that came while hidden. */
  shown() {
    if (this.buffer) this.schedule();
  }

  flush() {
    this.scheduled = false;
    const { buffer, from } = this;
    this.buffer = null;
    if (!buffer) return;
    this.socket.ack(from, this.draw(buffer));
  }
}
