// Tooltips: every element with data-tip explains itself in one sentence, on hover and on
// keyboard focus. The sentence is also the control's accessible description (unless it is
// the control's name, as on the dataset thumbnails). A tip never covers the control Tab
// goes to next.

const DELAY_MS = 350;
const FOCUSABLE = "select, input, button, [role=radiogroup], [tabindex]";
const TABBABLE = "a[href], button, input, select, [tabindex]:not([tabindex='-1'])";
const GAP = 8; // px between the tip and its control, and from the window's edges

const overlaps = (a, b) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;

/** The control (with its label: its own [data-tip] block) that Tab reaches after `el`. */
function nextControl(el) {
  for (const next of el.ownerDocument.querySelectorAll(TABBABLE)) {
    if (!(el.compareDocumentPosition(next) & Node.DOCUMENT_POSITION_FOLLOWING) || el.contains(next)) continue;
    if (!next.getClientRects().length || next.disabled) continue;
    const block = next.closest("[data-tip]");
    return (block && !block.contains(el) ? block : next).getBoundingClientRect();
  }
  return null;
}

/**
 * Where a width×height tip goes for a control at rect `r` (viewport pixels): below it,
 * else above, else beside it on the right, whichever first stays in the window and
 * leaves the next control (`next`) uncovered; below when none does.
 */
export function place(r, width, height, next, view = document.documentElement) {
  const maxLeft = view.clientWidth - width - GAP;
  const centred = Math.min(Math.max(GAP, r.left + r.width / 2 - width / 2), maxLeft);
  const candidates = [
    { left: centred, top: r.bottom + GAP },
    { left: centred, top: r.top - height - GAP },
    { left: Math.min(r.right + GAP, maxLeft), top: r.top },
  ];
  const fits = ({ left, top }) => {
    const box = { left, top, right: left + width, bottom: top + height };
    const inside = top >= GAP && box.bottom <= window.innerHeight - GAP && left >= GAP - 0.5;
    return inside && !(next && overlaps(box, next)) && !overlaps(box, r);
  };
  return candidates.find(fits) ?? candidates[0];
}

/** A control's tip is its accessible description too (unless it is the control's name). */
function describe(el) {
  const target = el.matches(FOCUSABLE) ? el : el.querySelector(FOCUSABLE);
  if (!target || target.hasAttribute("aria-description")) return;
  if (target.getAttribute("aria-label") === el.dataset.tip) return; // a name shown on hover
  target.setAttribute("aria-description", el.dataset.tip);
}

export function bindTooltips(root) {
  const tip = root.querySelector("[data-tooltip]");
  let timer = null;
  let owner = null;
  let clicked = null; // no tooltip again for a control just clicked, until the pointer leaves it
  root.querySelectorAll("[data-tip]").forEach(describe);
  new MutationObserver((records) => {
    for (const r of records) {
      for (const node of r.addedNodes) {
        if (node.nodeType !== 1) continue;
        if (node.matches("[data-tip]")) describe(node);
        node.querySelectorAll("[data-tip]").forEach(describe);
      }
    }
  }).observe(root.body, { childList: true, subtree: true });

  function show(el) {
    owner = el;
    tip.textContent = el.dataset.tip;
    tip.hidden = false;
    tip.style.left = "0px"; // measured at full width, wherever it was last
    const { left, top } = place(el.getBoundingClientRect(), tip.offsetWidth, tip.offsetHeight, nextControl(el));
    tip.style.left = `${left + window.scrollX}px`;
    tip.style.top = `${top + window.scrollY}px`;
  }

  function hide() {
    clearTimeout(timer);
    owner = null;
    tip.hidden = true;
  }

  const enter = (e) => {
    const el = e.target.closest?.("[data-tip]");
    if (!el || el === owner || el === clicked) return;
    clearTimeout(timer);
    timer = setTimeout(() => show(el), DELAY_MS);
  };
  const leave = (e) => {
    const el = e.target.closest?.("[data-tip]");
    if (el && !el.contains(e.relatedTarget)) {
      if (el === clicked && e.type === "pointerout") clicked = null;
      hide();
    }
  };
  root.addEventListener("pointerover", enter);
  root.addEventListener("pointerout", leave);
  root.addEventListener("focusin", enter);
  root.addEventListener("focusout", leave);
  root.addEventListener("pointerdown", (e) => {
    clicked = e.target.closest?.("[data-tip]") ?? null;
    hide();
  });
  root.addEventListener("keydown", (e) => e.key === "Escape" && hide());
}
