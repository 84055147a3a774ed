// What the browser keeps between page loads: this tab's live session (sessionStorage
// "playground.session": per tab, it survives a reload) and the owner key of saved
// experiments (localStorage "playground.owner": one per browser, no accounts). Storage
// a browser refuses (private modes, disabled cookies) is no error: the page then only
// remembers for as long as it is open.

export const SESSION_KEY = "playground.session";
const HASH_KEY = "playground.hash"; // the address this tab showed when it left
export const OWNER_KEY = "playground.owner";
const OWNER_FORMAT = /^[A-Za-z0-9_-]{16,128}$/; // what the server takes as X-Owner-Key

function storageOf(name) {
  try {
    return window[name] ?? null;
  } catch {
    return null; // a sandboxed page throws on the very property
  }
}

function read(storage, key) {
  try {
    return storage?.getItem(key) ?? null;
  } catch {
    return null;
  }
}

function write(storage, key, value) {
  try {
    if (value === null) storage?.removeItem(key);
    else storage?.setItem(key, value);
  } catch {
    // full or refused: remembered while the page is open only
  }
}

/** This tab's session id, and whether a page load should go back to it. */
export class TabSession {
  constructor(storage = storageOf("sessionStorage"), location = window.location) {
    this.storage = storage;
    this.arrivedHash = location.hash.replace(/^#/, ""); // before the page rewrites it
    this.navigation = performance.getEntriesByType?.("navigation")?.[0]?.type ?? "navigate";
  }

  get id() {
    return read(this.storage, SESSION_KEY);
  }

  keep(id) {
    write(this.storage, SESSION_KEY, id);
  }

  forget() {
    write(this.storage, SESSION_KEY, null);
  }

  /** The page is leaving (a reload, another address): remember the address it showed. */
  leaving(hash) {
    write(this.storage, HASH_KEY, hash.replace(/^#/, ""));
  }

  /** Whether this load returns to the tab's session: a reload, Back or Forward, the bare
   * address (the share page's "Open in my playground" goes there), or the same link
   * again. Another link opened in this tab is a new setup: it gets a session of its own. */
  returning() {
    if (this.navigation === "reload" || this.navigation === "back_forward") return true;
    return !this.arrivedHash || this.arrivedHash === read(this.storage, HASH_KEY);
  }
}

function newKey() {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  const base64 = btoa(String.fromCharCode(...bytes));
  return base64.replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, ""); // base64url, 43 chars
}

/** The browser's owner key of saved experiments, made on first need. */
export class Owner {
  constructor(storage = storageOf("localStorage")) {
    this.storage = storage;
    this.made = null; // a key this page made where storage refused to keep it
  }

  get key() {
    const kept = read(this.storage, OWNER_KEY);
    if (kept && OWNER_FORMAT.test(kept)) return kept;
    this.made ??= newKey();
    write(this.storage, OWNER_KEY, this.made);
    return this.made;
  }
}

/** A spotlight (`/?follow=<session id>`): the page shows that session and never makes,
 * keeps or forgets one of its own (the teacher's wall opens it in an overlay). */
export class FollowSession {
  constructor(id) {
    this.followed = id;
  }

  get id() {
    return this.followed;
  }

  keep() {}

  forget() {}

  leaving() {}

  returning() {
    return true;
  }
}

export const JOINED_KEY = "playground.rooms.joined"; // {CODE: session id} of the classes joined
export const TEACHER_KEY = "playground.rooms.teacher"; // {CODE: {key, session}} of the classes started

/** A JSON object kept in localStorage under `key` ({} when absent or unreadable). */
export class KeptMap {
  constructor(key, storage = storageOf("localStorage")) {
    this.key = key;
    this.storage = storage;
  }

  all() {
    try {
      const value = JSON.parse(read(this.storage, this.key) ?? "{}");
      return value && typeof value === "object" && !Array.isArray(value) ? value : {};
    } catch {
      return {};
    }
  }

  get(name) {
    return this.all()[name] ?? null;
  }

  set(name, value) {
    const all = this.all();
    if (value === null) delete all[name];
    else all[name] = value;
    write(this.storage, this.key, JSON.stringify(all));
  }
}
