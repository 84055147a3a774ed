// What the page fetches of its session over REST besides frames: the points (again
// whenever they changed) and the loss history for the chart (after (re)connecting).

const DATA_FIELDS = ["problem", "dataset", "noise", "train_ratio", "seed"];

export class SessionLoader {
  /** current() is the id of the session the page shows now. */
  constructor(store, api, current) {
    this.store = store;
    this.api = api;
    this.current = current;
    this.key = null; // the session and data version whose points the store has
  }

  /** Fetch the points again on the next state, changed or not. */
  forget() {
    this.key = null;
  }

  async points(session) {
    const key = `${session.id}:${session.data_version ?? JSON.stringify(DATA_FIELDS.map((f) => session.config[f]))}`;
    if (key === this.key) return;
    this.key = key;
    try {
      const data = await this.api.data(session.id);
      const { classes, problem } = session.config; // what the labels mean
      if (key === this.key) this.store.setData({ ...data, classes, problem });
    } catch {
      if (key === this.key) this.key = null; // try again on the next state
    }
  }

  async history(id) {
    try {
      const history = await this.api.history(id);
      if (id === this.current()) this.store.emit("history", history);
    } catch {
      // the chart simply starts from now
    }
  }
}
