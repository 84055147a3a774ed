// The one copy of the DOM helpers: an HTML element, an SVG element, an icon.

export const SVG = "http://www.w3.org/2000/svg";

function setAttributes(node, attrs) {
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  return node;
}

/** <tag attrs>text</tag>; text null (or omitted) leaves it empty. */
export function html(tag, attrs = {}, text = null) {
  const node = setAttributes(document.createElement(tag), attrs);
  if (text !== null && text !== undefined) node.textContent = text;
  return node;
}

/** An SVG element (in the SVG namespace), with text when given. */
export function svg(tag, attrs = {}, text = null) {
  const node = setAttributes(document.createElementNS(SVG, tag), attrs);
  if (text !== null && text !== undefined) node.textContent = text;
  return node;
}

/** A 16 px icon of one SVG path (24×24 view box), hidden from assistive technology. */
export function icon(path) {
  const node = svg("svg", { viewBox: "0 0 24 24", width: 16, height: 16, "aria-hidden": "true", class: "icon" });
  node.append(svg("path", { d: path }));
  return node;
}
