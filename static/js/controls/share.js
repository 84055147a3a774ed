// The Share menu: a link to this exact setup (with the address students can reach when
// this page runs on the server's own machine), a Copy button, a QR code of the link drawn
// by the server (GET /api/qr), and TensorFlow Playground's "hide these controls"
// checkboxes, which build a guided-demo link (`<name>_hide=true`) without hiding anything
// on this page.

import { html as el } from "../draw/dom.js";
import { formatHash, HIDEABLE } from "../state/hash.js";
import { TFP_HIDABLE } from "../state/tfp.js";

const COPIED_MS = 2000;
const LOOPBACK = ["localhost", "127.0.0.1", "[::1]"];

// Our own hideable parts beyond TFP's list, with the words the panel shows for them.
const OUR_LABELS = {
  epoch: "Epoch counter",
  speed: "Speed",
  regenerate: "Regenerate button",
  features: "Input features (locked)",
  neurons: "Neuron + / − buttons",
  loss: "Loss figures and chart",
  test_loss: "Test loss",
  palette: "Colour-blind palette",
  presenter: "Presenter mode",
  classes: "Classes",
  extras: "More options",
  loss_function: "Loss function",
  optimizer: "Optimizer",
  momentum: "Momentum",
  beta1: "Adam β₁",
  beta2: "Adam β₂",
  epsilon: "Adam ε",
  same_init: "Same initial weights",
  layer_activations: "Activation per layer",
  accuracy: "Accuracy",
  details: "Per-class details",
  points: "Your points",
  upload: "Upload CSV",
  export: "Export menu",
  import: "Import model",
  share: "Share menu",
};

/** [label, our name] of every hideable part: TFP's list first, in its order, then ours. */
export function hideChoices() {
  const tfp = TFP_HIDABLE.map(([label, , ours]) => [label, ours]);
  const taken = new Set(tfp.map(([, ours]) => ours));
  return [...tfp, ...HIDEABLE.filter((n) => !taken.has(n)).map((n) => [OUR_LABELS[n] ?? n, n])];
}

/** The base others open: the page's own, or the server's LAN address when the page runs
 * on the server's machine (localhost means nothing on a student's phone). */
export function shareBase(location, lanUrls) {
  if (LOOPBACK.includes(location.hostname) || LOOPBACK.includes(`[${location.hostname}]`)) {
    if (lanUrls.length) return lanUrls[0];
  }
  return location.origin;
}

/** Where the QR code of `text` is drawn (server/web/share.py). */
export const qrUrl = (text) => `/api/qr?text=${encodeURIComponent(text)}`;

/** Copy the text of `input` to the clipboard; true when it worked. Where the page has no
 * clipboard API (a plain-http LAN address is not a secure context) the text is selected
 * and copied the old way. */
export async function copyText(input) {
  try {
    await navigator.clipboard.writeText(input.value);
    return true;
  } catch {
    input.focus();
    input.select();
    try {
      return document.execCommand("copy");
    } catch {
      return false;
    }
  }
}

async function lanAddresses() {
  const response = await fetch("/api/share", { headers: { accept: "application/json" } });
  if (!response.ok) return [];
  return (await response.json()).lan_urls ?? [];
}

export function bindShare(root, store) {
  const menu = root.querySelector("[data-share]");
  const panel = root.querySelector("[data-share-panel]");
  if (!menu || !panel) return;
  let lanUrls = [];
  const linkHide = new Map(); // our name -> hidden in the shared link (overrides this page)

  const linkTitle = el("p", { class: "menu-title", id: "share-link-title" }, "Link to this setup");
  const link = el("input", {
    type: "text",
    readonly: "",
    class: "share-link",
    "aria-labelledby": "share-link-title",
    "data-share-link": "",
    spellcheck: "false",
  });
  const copy = el("button", { type: "button", class: "basic-button share-copy", "data-share-copy": "" }, "Copy link");
  const copied = el("span", { class: "share-copied", "aria-live": "polite", "data-share-copied": "" });
  const row = el("div", { class: "share-row" });
  row.append(copy, copied);
  const where = el("p", { class: "share-where", "data-share-where": "" });
  const qr = el("img", {
    class: "share-qr",
    alt: "QR code of the link, for phones",
    width: "176",
    height: "176",
    "data-share-qr": "",
  });
  const hideTitle = el("p", { class: "menu-title", id: "share-hide-title" }, "Shown in the shared link");
  const hideNote = el(
    "p",
    { class: "share-note" },
    "Untick a control to hide it for whoever opens the link (a guided demo); this page keeps it.",
  );
  const boxes = el("div", { class: "share-hide", role: "group", "aria-labelledby": "share-hide-title" });
  for (const [label, name] of hideChoices()) {
    const box = el("input", { type: "checkbox", "data-share-hide": name });
    const item = el("label", { class: "share-hide-item" });
    item.append(box, document.createTextNode(` ${label}`));
    boxes.append(item);
    box.addEventListener("change", () => {
      linkHide.set(name, !box.checked);
      render();
    });
  }
  const top = el("div", { class: "share-top" });
  const left = el("div", { class: "share-main" });
  left.append(linkTitle, link, row, where);
  top.append(left, qr);
  // In the page only while open: its checkboxes carry the controls' own names ("Learning
  // rate"), which would otherwise be a second thing of that name.
  function attach() {
    if (menu.open && !panel.firstChild) panel.append(top, hideTitle, hideNote, boxes);
    else if (!menu.open) panel.replaceChildren();
  }

  /** The hash of the shared link: this page's setup with the panel's hide choices, fields
   * at their defaults left out (a shorter link makes a QR code a phone reads from afar). */
  function linkHash() {
    const hide = new Set(store.hide);
    for (const [name, hidden] of linkHide) {
      if (hidden) hide.add(name);
      else hide.delete(name);
    }
    return formatHash({ ...store, hide }, { compact: store.options });
  }

  function currentLink() {
    return `${shareBase(window.location, lanUrls)}${window.location.pathname}#${linkHash()}`;
  }

  function render() {
    if (!menu.open) return; // drawn when opened: the QR code is fetched only then
    const text = currentLink();
    if (link.value !== text) link.value = text;
    const src = qrUrl(text);
    if (qr.getAttribute("src") !== src) qr.setAttribute("src", src);
    for (const box of boxes.querySelectorAll("[data-share-hide]")) {
      const name = box.dataset.shareHide;
      box.checked = !(linkHide.get(name) ?? store.hide.has(name));
    }
    const onLoopback = LOOPBACK.includes(window.location.hostname);
    if (lanUrls.length && onLoopback) {
      where.textContent = `Students on this network open ${lanUrls[0]}.`;
    } else if (onLoopback) {
      where.textContent =
        "This server only listens on this computer: start it with --host 0.0.0.0 so others can open the link.";
    } else {
      where.textContent = "";
    }
    where.hidden = !where.textContent;
  }

  copy.addEventListener("click", async () => {
    if (!link.value) link.value = currentLink();
    const done = await copyText(link);
    copied.textContent = done ? "Copied" : "Selected: press Ctrl+C to copy";
    clearTimeout(copied.timer);
    copied.timer = setTimeout(() => (copied.textContent = ""), COPIED_MS);
  });
  link.addEventListener("focus", () => link.select());

  menu.addEventListener("toggle", () => {
    attach();
    render();
  });
  for (const type of ["config", "view", "hide"]) store.addEventListener(type, render);
  window.addEventListener("hashchange", render);
  lanAddresses()
    .then((urls) => {
      lanUrls = urls;
      render();
    })
    .catch(() => {}); // unreachable for now: the page's own address
}
