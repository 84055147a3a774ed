// Optimistic changes: a field the user changed shows at once and is sent; the server's
// older echoes (states that left before it arrived) do not undo it for PENDING_MS, or
// until the server echoes the new value.

const PENDING_MS = 3000;
const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

export class Pending {
  constructor(now = () => performance.now()) {
    this.now = now;
    this.fields = new Map(); // field -> {value, until}; "speed" is the view's speed
  }

  mark(field, value) {
    this.fields.set(field, { value, until: this.now() + PENDING_MS });
  }

  clear() {
    this.fields.clear();
  }

  /** A server state with the changes it has not echoed yet laid over it: {config, speed}. */
  overlay(session) {
    const now = this.now();
    const config = { ...session.config };
    let speed = session.speed;
    for (const [field, { value, until }] of this.fields) {
      const echoed = same(field === "speed" ? speed : config[field], value);
      if (echoed || until < now) this.fields.delete(field);
      else if (field === "speed") speed = value;
      else config[field] = value;
    }
    return { config, speed };
  }
}
