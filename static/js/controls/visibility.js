// Guided demos: `<control>_hide=true` hides a control, `hideText=true` hides the
// explanations; in a class, the controls the teacher locked (store.session.room.locks,
// docs/rooms.md: the server refuses them too) are hidden as well. One generated
// stylesheet covers controls that views build later too.

import { HIDEABLE } from "../state/hash.js";

/** The names hidden on the page: the link's and the class's locks. */
export function hiddenNames(store) {
  return new Set([...store.hide, ...(store.session?.room?.locks ?? [])]);
}

export function bindVisibility(store) {
  const style = document.createElement("style");
  document.head.append(style);
  function render() {
    const hidden = hiddenNames(store);
    // Only names from the fixed list reach the stylesheet.
    const rules = HIDEABLE.filter((name) => hidden.has(name)).map(
      (name) => `[data-control="${name}"] { display: none !important; }`,
    );
    if (store.hideText) rules.push("[data-text] { display: none !important; }");
    const text = rules.join("\n");
    if (style.textContent !== text) style.textContent = text;
  }
  store.addEventListener("hide", render);
  store.addEventListener("session", render);
  render();
}
