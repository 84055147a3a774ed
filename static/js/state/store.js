// The page's one state object. Views listen to its events and redraw from it; the URL hash
// mirrors config + view + hide flags so a copied link reproduces the setup.
//
// Events (CustomEvent, detail in brackets):
//   config [{changed, fromServer}]   view [{changed}]   hide   session   frame   data
//   connection   hover   banner   notice   gone   patch [config fields the user changed]
//   speed [speed]

import { formatHash, parseHash } from "./hash.js";
import { followChanges } from "./rules.js";

const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
const LOSS_FOLLOWERS = ["problem", "dataset", "classes"]; // changes the loss follows

/** The options without the input features a link removes (`sinX_hide=true`, as TFP deletes
 * them from its INPUTS): the network then has no row for them at all. */
function withoutFeatures(options, hide) {
  if (!options.features.some((f) => hide.has(f.name))) return options;
  return { ...options, features: options.features.filter((f) => !hide.has(f.name)) };
}

const hiddenFeatures = (options, hide) => options.features.filter((f) => hide.has(f.name)).map((f) => f.name);

export class Store extends EventTarget {
  constructor(options, location = window.location) {
    super();
    this.allOptions = options;
    this.location = location;
    const parsed = parseHash(location.hash, options);
    this.options = withoutFeatures(options, parsed.hide);
    this.config = parsed.config;
    this.view = parsed.view;
    this.hide = parsed.hide;
    this.hideText = parsed.hideText;
    this.kept = parsed.kept; // TFP fields kept in the hash with no effect here (tutorial, …)
    this.cos = parsed.cos; // TFP's cosX / cosY given true: not inputs here (a notice says so)
    this.refused = parsed.refused; // the link's values not used (a notice names them)
    // The loss the person picked (the loss menu, or a link's loss that differs from what
    // the data calls for), or null: it comes back after the data forced another one (a
    // 4-class dataset, then Circle again); otherwise the loss follows the data (rules.js).
    this.lossChoice = parsed.lossChoice;
    this.session = null; // the server's SessionState
    this.frame = null; // the newest decoded frame
    this.data = null; // {train, test} points
    this.connection = { state: "connecting", text: "Connecting…" };
    this.hover = null; // {kind: "neuron", index, layer, neuron} | {kind: "feature", name}
    this.banner = null; // {text, tone}
    this.notices = {}; // lasting notes about what the page cannot show, by topic
    // the page's session is gone: {id, copy: its last checkpoint or null, error?}; the
    // page shows no session until the person picks what next (views/gone.js)
    this.gone = null;
    this.lastHash = null;
  }

  emit(type, detail = null) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  /** Apply config fields; the user's own changes (with the fields that follow them, as the
   * server's rules say) also go out as a "patch" event. */
  setConfig(patch, { fromServer = false, lossChoice } = {}) {
    if (!fromServer) {
      if (lossChoice !== undefined) this.lossChoice = lossChoice;
      else if ("loss" in patch) this.lossChoice = patch.loss;
      patch = followChanges(this.config, patch, this.options, this.lossChoice);
    }
    const changed = Object.keys(patch).filter((k) => !same(patch[k], this.config[k]));
    if (!changed.length) return;
    this.config = { ...this.config, ...patch };
    this.emit("config", { changed, fromServer });
    if (!fromServer) {
      // a loss the rules named goes out with a data change even if it is unchanged: the
      // server, which does not know it was chosen, would otherwise let it follow the data
      const sent = changed.some((k) => LOSS_FOLLOWERS.includes(k)) && "loss" in patch ? [...new Set([...changed, "loss"])] : changed;
      this.emit("patch", Object.fromEntries(sent.map((k) => [k, patch[k]])));
    }
    this.writeHash();
  }

  setView(patch, { fromServer = false } = {}) {
    const changed = Object.keys(patch).filter((k) => !same(patch[k], this.view[k]));
    if (!changed.length) return;
    this.view = { ...this.view, ...patch };
    this.emit("view", { changed });
    if (changed.includes("speed") && !fromServer) this.emit("speed", this.view.speed);
    this.writeHash();
  }

  setSession(session) {
    this.session = session;
    this.setConfig(session.config, { fromServer: true });
    this.setView({ speed: session.speed }, { fromServer: true });
    this.emit("session");
  }

  setFrame(frame) {
    this.frame = frame;
    this.emit("frame");
  }

  /** Another session is coming: no frame of the old one is shown for it. */
  clearFrame() {
    this.frame = null;
  }

  setGone(gone) {
    if (gone === null && this.gone === null) return;
    this.gone = gone;
    this.emit("gone");
  }

  setData(data) {
    this.data = data;
    this.emit("data");
  }

  setConnection(state, text) {
    this.connection = { state, text };
    this.emit("connection");
  }

  setHover(hover) {
    if (same(hover, this.hover)) return;
    this.hover = hover;
    this.emit("hover");
  }

  showBanner(text, tone = "error") {
    this.banner = text ? { text, tone } : null;
    this.emit("banner");
  }

  /** A lasting note on `topic` (e.g. "kind"), or null to take it back. */
  setNotice(topic, text) {
    if ((this.notices[topic] ?? null) === text) return;
    this.notices = { ...this.notices, [topic]: text };
    this.emit("notice");
  }

  writeHash() {
    const hash = formatHash(this);
    if (hash === this.lastHash) return;
    this.lastHash = hash;
    if (this.location.hash.replace(/^#/, "") !== hash) {
      history.replaceState(null, "", `#${hash}`);
    }
  }

  /** A hash typed or pasted into the address bar of this page applies like control changes. */
  listenToHash() {
    window.addEventListener("hashchange", () => {
      if (this.location.hash.replace(/^#/, "") === this.lastHash) return;
      const parsed = parseHash(this.location.hash, this.allOptions);
      if (!same(hiddenFeatures(this.allOptions, parsed.hide), hiddenFeatures(this.allOptions, this.hide))) {
        this.location.reload(); // other inputs removed: the network is laid out anew, as TFP's page
        return;
      }
      this.hide = parsed.hide;
      this.hideText = parsed.hideText;
      this.kept = parsed.kept;
      this.cos = parsed.cos;
      this.refused = parsed.refused;
      this.emit("hide");
      this.setView(parsed.view);
      this.setConfig(parsed.config, { lossChoice: parsed.lossChoice });
      this.writeHash();
    });
  }
}
