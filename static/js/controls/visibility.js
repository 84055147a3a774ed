// Guided demos: `<control>_hide=true` hides a control, `hideText=true` hides the
// explanations. One generated stylesheet covers controls that views build later too.

import { HIDEABLE } from "../state/hash.js";

export function bindVisibility(store) {
  const style = document.createElement("style");
  document.head.append(style);
  function render() {
    // Only names from the fixed list reach the stylesheet.
    const rules = HIDEABLE.filter((name) => store.hide.has(name)).map(
      (name) => `[data-control="${name}"] { display: none !important; }`,
    );
    if (store.hideText) rules.push("[data-text] { display: none !important; }");
    style.textContent = rules.join("\n");
  }
  store.addEventListener("hide", render);
  render();
}
