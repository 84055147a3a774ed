// Tooltips: every element with data-tip explains itself in one sentence, on hover and on
// keyboard focus. The sentence is also the control's accessible description.

const DELAY_MS = 350;
const FOCUSABLE = "select, input, button, [role=radiogroup], [tabindex]";

export function bindTooltips(root) {
  const tip = root.querySelector("[data-tooltip]");
  let timer = null;
  let owner = null;
  let clicked = null; // no tooltip again for a control just clicked, until the pointer leaves it

  const describe = (el) => {
    const target = el.matches(FOCUSABLE) ? el : el.querySelector(FOCUSABLE);
    if (target && !target.hasAttribute("aria-description")) target.setAttribute("aria-description", el.dataset.tip);
  };
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
    const r = el.getBoundingClientRect();
    const width = tip.offsetWidth;
    const left = Math.min(Math.max(8, r.left + r.width / 2 - width / 2), document.documentElement.clientWidth - width - 8);
    tip.style.left = `${left + window.scrollX}px`;
    tip.style.top = `${r.bottom + window.scrollY + 8}px`;
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
