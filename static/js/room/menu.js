// One student's actions on the wall (a tile's ⋯ menu): Spotlight, Snapshot, Reset, Rename,
// Remove. One menu serves every tile (200 tiles need not carry 1000 buttons); it closes on
// Escape, on a click elsewhere or after an action.

import { html as el } from "../draw/dom.js";

const ITEMS = [
  ["spotlight", "Spotlight"],
  ["snapshot", "Snapshot"],
  ["reset", "Reset"],
  ["rename", "Rename"],
  ["remove", "Remove"],
];

/** actions: {spotlight, snapshot, reset, rename, remove}(member). */
export function tileMenu(actions) {
  const menu = el("div", { class: "tile-menu", role: "menu", "data-tile-actions": "" });
  let member = null;
  let opener = null;
  for (const [name, label] of ITEMS) {
    const item = el("button", { type: "button", role: "menuitem", class: "tile-menu-item", "data-tile-action": name }, label);
    item.addEventListener("click", () => {
      const who = member;
      close();
      actions[name](who);
    });
    menu.append(item);
  }
  function close({ focus = false } = {}) {
    if (!menu.isConnected) return;
    menu.remove();
    opener?.setAttribute("aria-expanded", "false");
    if (focus) opener?.focus();
    member = null;
  }
  menu.addEventListener("keydown", (e) => {
    const items = [...menu.querySelectorAll("[role=menuitem]")];
    const at = items.indexOf(document.activeElement);
    if (e.key === "Escape") close({ focus: true });
    else if (e.key === "ArrowDown") items[(at + 1) % items.length].focus();
    else if (e.key === "ArrowUp") items[(at - 1 + items.length) % items.length].focus();
    else return;
    e.preventDefault();
  });
  document.addEventListener("click", (e) => {
    if (menu.isConnected && !menu.contains(e.target) && e.target !== opener) close();
  });
  return {
    open(who, button, tile) {
      if (member?.number === who.number && menu.isConnected) {
        close();
        return;
      }
      close();
      member = who;
      opener = button;
      button.setAttribute("aria-expanded", "true");
      tile.li.append(menu);
      menu.querySelector("[role=menuitem]").focus();
    },
    close,
  };
}

/** Ask `question` in the wall's confirm dialog; resolves true for yes. */
export function confirmIn(dialog, title, text, yes) {
  dialog.querySelector("[data-confirm-title]").textContent = title;
  dialog.querySelector("[data-confirm-text]").textContent = text;
  dialog.querySelector("[data-confirm-ok]").textContent = yes;
  dialog.returnValue = "";
  dialog.showModal();
  return new Promise((resolve) => dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok"), { once: true }));
}
