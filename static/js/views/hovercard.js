// The hover card over links and bias markers: shows the exact value, and on click (or
// Enter) becomes a small form that sets the weight or bias on the server.

function valueOf(frame, target) {
  if (frame?.kind !== "mlp") return null;
  if (target.kind === "bias") return frame.biases[target.layer]?.[target.neuron] ?? null;
  const inputs = frame.sizes[target.layer];
  return frame.weights[target.layer]?.[target.neuron * inputs + target.input] ?? null;
}

const show = (v) => (v === null ? "–" : String(Number(v.toPrecision(10))));

export class HoverCard {
  constructor(el, store, actions) {
    this.el = el;
    this.store = store;
    this.actions = actions;
    this.target = null;
    this.editing = false;
    this.returnFocus = null;
    this.kind = el.querySelector("[data-hovercard-kind]");
    this.value = el.querySelector("[data-hovercard-value]");
    this.hint = el.querySelector("[data-hovercard-hint]");
    this.form = el.querySelector("[data-hovercard-form]");
    this.label = el.querySelector("[data-hovercard-label]");
    this.input = el.querySelector("[data-hovercard-input]");

    this.form.addEventListener("submit", (e) => {
      e.preventDefault();
      const value = Number(this.input.value);
      if (this.input.value.trim() === "" || !Number.isFinite(value)) return;
      const { layer, neuron, input } = this.target;
      this.actions.setWeight({ layer, neuron, input, value });
      this.close();
    });
    this.input.addEventListener("keydown", (e) => {
      if (e.key === "Escape") {
        e.stopPropagation();
        this.close();
      }
    });
    document.addEventListener("pointerdown", (e) => {
      if (this.editing && !this.el.contains(e.target)) this.close(false);
    });
  }

  /** Beside the pointer (page pixels), inside the window: above it when below won't fit. */
  place(x, y) {
    this.el.style.left = "0px"; // measured at full width, wherever it was last
    const width = this.el.offsetWidth || 180;
    const height = this.el.offsetHeight;
    const left = Math.min(x + 14, window.scrollX + document.documentElement.clientWidth - width - 8);
    this.el.style.left = `${Math.max(window.scrollX + 4, left)}px`;
    const below = y + 14;
    const fits = below + height <= window.scrollY + window.innerHeight - 4;
    this.el.style.top = `${fits ? below : Math.max(window.scrollY + 4, y - 14 - height)}px`;
  }

  fill() {
    const v = valueOf(this.store.frame, this.target);
    this.kind.textContent = this.target.kind === "bias" ? "Bias" : "Weight";
    this.value.textContent = show(v);
    return v;
  }

  hover(target, x, y) {
    if (this.editing) return;
    this.target = target;
    this.fill();
    this.hint.hidden = false;
    this.form.hidden = true;
    this.el.hidden = false;
    this.place(x, y);
  }

  leave() {
    if (!this.editing) this.hide();
  }

  edit(target, x, y, from) {
    this.target = target;
    this.editing = true;
    this.returnFocus = from;
    const v = this.fill();
    this.hint.hidden = true;
    this.form.hidden = false;
    this.label.textContent = `New value for ${target.label.charAt(0).toLowerCase()}${target.label.slice(1)}`;
    this.input.value = v === null ? "" : show(v);
    this.el.hidden = false;
    this.place(x, y);
    this.input.focus();
    this.input.select();
  }

  refresh() {
    if (this.target && !this.el.hidden) this.value.textContent = show(valueOf(this.store.frame, this.target));
  }

  close(restoreFocus = true) {
    const from = this.returnFocus;
    this.hide();
    if (restoreFocus && from?.isConnected) from.focus();
  }

  hide() {
    this.editing = false;
    this.target = null;
    this.returnFocus = null;
    this.el.hidden = true;
  }
}
