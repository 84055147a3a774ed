// The wall's tiles: one per student, a 20×20 boundary picture (scaled up by CSS) and a few
// words. Tiles arrive faster than they are worth drawing: the newest of each member waits
// for the next animation frame, where all of them are painted at once and acked (each
// member's next tile waits for its ack). Sorting sets CSS `order`, so no tile moves in the
// DOM; text is written only where it changed. 200 tiles stay cheap.

import { paintFrame } from "../draw/generative.js";
import { decodeFrame } from "../net/frame.js";
import { paintClasses, paintGrid } from "../draw/canvas.js";
import { scaleFor } from "../draw/colors.js";
import { html as el } from "../draw/dom.js";
import { splitTile } from "./socket.js";

const SORT_EVERY_MS = 1000; // a sort by loss follows the numbers, not every tile

/** What a tile calls a member: "Student 7" while anonymised. */
export const displayName = (member, anonymise) => (anonymise || !member.nickname ? `Student ${member.number}` : member.nickname);

/** "loss 0.123 · 93 %" of a decoded frame. */
const GENERATIVE_TILE = 120; // pixels a side of a GAN's or an autoencoder's tile canvas

export function scoreText(frame) {
  const parts = [];
  if (frame.kind === "gan") return Number.isFinite(frame.meta?.js) ? `JS ${frame.meta.js.toFixed(3)}` : "–";
  if (Number.isFinite(frame.testLoss)) parts.push(`loss ${frame.testLoss.toFixed(3)}`);
  if (Number.isFinite(frame.testAccuracy) && frame.testAccuracy >= 0) parts.push(`${(frame.testAccuracy * 100).toFixed(0)}%`);
  return parts.join(" · ") || "–";
}

const loss = (m) => (Number.isFinite(m.testLoss) ? m.testLoss : Infinity);

/** Member comparison for the sort: by name, by test loss (lowest first) or by progress
 * (the leaderboard's rank first, then the lowest loss). */
export function compareBy(key, anonymise) {
  const byName = (a, b) => displayName(a, anonymise).localeCompare(displayName(b, anonymise), undefined, { numeric: true });
  if (key === "loss") return (a, b) => loss(a) - loss(b) || byName(a, b);
  if (key === "progress") return (a, b) => (a.rank ?? Infinity) - (b.rank ?? Infinity) || loss(a) - loss(b) || byName(a, b);
  return byName;
}

const setText = (node, text) => {
  if (node.textContent !== text) node.textContent = text;
};

export class TileBoard {
  /** ack(seq) acks a tile; openMenu(member, button) opens the actions of a member. */
  constructor(list, { ack, openMenu }) {
    this.list = list;
    this.ack = ack;
    this.openMenu = openMenu;
    this.tiles = new Map(); // number -> {member, li, canvas, name, stats, state}
    this.pending = new Map(); // number -> newest undrawn frame buffer
    this.scheduled = false;
    this.anonymise = false;
    this.sortKey = "name";
    this.sortedAt = 0;
    this.scale = scaleFor("default");
  }

  get size() {
    return this.tiles.size;
  }

  /** The roster changed: tiles for new members, none for those who left. */
  setMembers(members, anonymise) {
    this.anonymise = anonymise;
    const seen = new Set();
    for (const member of members) {
      seen.add(member.number);
      let tile = this.tiles.get(member.number);
      if (!tile) {
        tile = this.makeTile(member);
        this.tiles.set(member.number, tile);
        this.list.append(tile.li);
      }
      Object.assign(tile.member, member);
      this.label(tile);
    }
    for (const [number, tile] of this.tiles) {
      if (!seen.has(number)) {
        tile.li.remove();
        this.tiles.delete(number);
        this.pending.delete(number);
      }
    }
    this.sortBy();
  }

  /** The leaderboard's ranks, for the progress sort and a tile's badge. */
  setRanks(ranks) {
    for (const tile of this.tiles.values()) {
      const rank = ranks.get(tile.member.session) ?? null;
      tile.member.rank = rank;
      setText(tile.rank, rank ? `#${rank}` : "");
      tile.rank.hidden = !rank;
    }
    if (this.sortKey === "progress") this.sortBy();
  }

  member(session) {
    for (const tile of this.tiles.values()) if (tile.member.session === session) return tile.member;
    return null;
  }

  makeTile(member) {
    const li = el("li", { class: "tile", "data-tile": member.number });
    const canvas = el("canvas", { class: "tile-canvas", width: 20, height: 20, "aria-hidden": "true" });
    const words = el("div", { class: "tile-words" });
    const name = el("p", { class: "tile-name", "data-tile-name": "" });
    const stats = el("p", { class: "tile-stats", "data-tile-stats": "" }, "waiting…");
    const epoch = el("p", { class: "tile-state", "data-tile-epoch": "" });
    const state = el("p", { class: "tile-state", "data-tile-state": "" });
    const rank = el("span", { class: "tile-rank", "data-tile-rank": "" });
    rank.hidden = true;
    const menu = el("button", { type: "button", class: "tile-menu-button", "aria-haspopup": "menu", "data-tile-menu": "" }, "⋯");
    // the name has the tile's full width (two lines at most: a nickname is up to 24
    // characters), the picture and the numbers below it
    words.append(stats, epoch, state);
    li.append(name, menu, canvas, rank, words);
    const tile = { member: { ...member }, li, canvas, name, stats, epoch, state, rank, menu };
    menu.addEventListener("click", () => this.openMenu(tile.member, menu, tile));
    return tile;
  }

  label(tile) {
    const shown = displayName(tile.member, this.anonymise);
    setText(tile.name, shown);
    if (tile.name.title !== shown) tile.name.title = shown;
    tile.menu.setAttribute("aria-label", `Actions for ${shown}`);
  }

  relabel(anonymise) {
    this.anonymise = anonymise;
    for (const tile of this.tiles.values()) this.label(tile);
    if (this.sortKey === "name") this.sortBy();
  }

  /** A binary tile off the socket: drawn on the next animation frame (acked at once while
   * the tab is hidden, so the students' tiles keep coming; drawn when it is shown). */
  receive(buffer) {
    const { number, frame } = splitTile(buffer);
    this.pending.set(number, frame);
    if (document.hidden) this.ack(new DataView(frame).getUint32(32, true));
    else this.schedule();
  }

  schedule() {
    if (this.scheduled) return;
    this.scheduled = true;
    requestAnimationFrame(() => this.flush());
  }

  flush() {
    this.scheduled = false;
    const pending = this.pending;
    this.pending = new Map();
    const seqs = [];
    for (const [number, buffer] of pending) {
      let frame;
      try {
        frame = decodeFrame(buffer);
      } catch {
        seqs.push(new DataView(buffer).getUint32(32, true)); // undrawable: acked, not shown
        continue;
      }
      seqs.push(frame.seq);
      const tile = this.tiles.get(number);
      if (tile) this.paint(tile, frame);
    }
    for (const seq of seqs) this.ack(seq);
    if (this.sortKey === "loss" && performance.now() - this.sortedAt > SORT_EVERY_MS) this.sortBy();
  }

  paint(tile, frame) {
    if (frame.kind !== "mlp") {
      // a GAN's or an autoencoder's tile: its samples (on D's map), drawn small
      if (tile.canvas.width !== GENERATIVE_TILE) tile.canvas.width = tile.canvas.height = GENERATIVE_TILE;
      const size = tile.canvas.width;
      paintFrame(tile.canvas.getContext("2d"), frame, size, this.scale);
    } else if (frame.grid && frame.gridSize) {
      if (frame.classes > 0) paintClasses(tile.canvas, frame.grid, frame.confidence, frame.gridSize, frame.classes);
      else paintGrid(tile.canvas, frame.grid, frame.gridSize, this.scale.lut);
    }
    // a GAN sorts by how far its samples are from the real ones (JS), not by G's loss
    tile.member.testLoss = frame.kind === "gan" ? frame.meta?.js ?? Infinity : frame.testLoss;
    tile.member.epoch = frame.epoch;
    setText(tile.stats, scoreText(frame));
    const unit = frame.kind === "gan" ? "iteration" : "epoch";
    setText(tile.epoch, `${unit} ${frame.epoch.toLocaleString("en-US")}`);
    setText(tile.state, frame.state);
    if (tile.li.dataset.state !== frame.state) tile.li.dataset.state = frame.state;
  }

  sortBy(key = this.sortKey) {
    this.sortKey = key;
    this.sortedAt = performance.now();
    const compare = compareBy(key, this.anonymise);
    const order = [...this.tiles.values()].toSorted((a, b) => compare(a.member, b.member));
    order.forEach((tile, i) => {
      const value = String(i);
      if (tile.li.style.order !== value) tile.li.style.order = value;
    });
  }

  /** Rename a tile in place: an input where the name was; resolves with the new name, or
   * null when the teacher pressed Escape or left it empty. */
  editName(member) {
    const tile = this.tiles.get(member.number);
    if (!tile) return Promise.resolve(null);
    const input = el("input", { type: "text", class: "tile-rename", maxlength: 24, "aria-label": `New name for ${displayName(member, false)}` });
    input.value = member.nickname ?? "";
    tile.name.replaceWith(input);
    input.focus();
    input.select();
    return new Promise((resolve) => {
      let done = false;
      const finish = (value) => {
        if (done) return;
        done = true;
        input.replaceWith(tile.name);
        resolve(value);
      };
      input.addEventListener("keydown", (e) => {
        if (e.key === "Enter") finish(input.value.trim() || null);
        else if (e.key === "Escape") finish(null);
      });
      input.addEventListener("blur", () => finish(input.value.trim() && input.value.trim() !== member.nickname ? input.value.trim() : null));
    });
  }
}
