// The server's bounds of every numeric field (GET /api/options "bounds", and the seed's
// text rule "seed_text"): the one home of those facts is the server's config models. Here
// only what follows from them: a value's check, a link text's parse, and the words for
// what a field takes. A field the server names no bound for takes any number (the server
// still checks it; the page keeps no copy of its own).

const INTEGER = /^-?\d+$/;
const NUMBER = /^[-+0-9.eE]+$/;

/** The bound of `field`: {min, max, min_open?, max_open?, integer?}, or null. */
export const boundOf = (options, field) => options.bounds?.[field] ?? null;

/** Whether a number lies within a bound (any finite number without one). */
export function within(v, bound) {
  if (!Number.isFinite(v)) return false;
  if (!bound) return true;
  if (bound.integer && !Number.isInteger(v)) return false;
  const low = bound.min_open ? v > bound.min : v >= bound.min;
  const high = bound.max_open ? v < bound.max : v <= bound.max;
  return low && high;
}

/** Link text -> a number within the bound, or undefined. */
export function parseWithin(text, bound) {
  if (!(bound?.integer ? INTEGER : NUMBER).test(text)) return undefined;
  const v = Number(text);
  return within(v, bound) ? v : undefined;
}

/** What a bound takes, in words: "0 to 50", "above 0, at most 10", "below 1". */
export function boundText(bound) {
  if (!bound) return "a number";
  const { min, max, min_open: minOpen, max_open: maxOpen } = bound;
  if (!minOpen && !maxOpen) return `${min} to ${max}`;
  const low = minOpen ? `above ${min}` : `at least ${min}`;
  const high = maxOpen ? `below ${max}` : `at most ${max}`;
  return `${low}, ${high}`;
}

/** The seed's text rule as a RegExp (the server's pattern), or null when not served. */
export function seedPattern(options) {
  const source = options.seed_text?.pattern;
  return source ? new RegExp(source) : null;
}

/** A link's seed: digits within the seed bound are an integer seed (numpy); other text
 * the server's rule takes is a TFP seed string (seedrandom); anything else undefined. */
export function parseSeed(text, options) {
  if (INTEGER.test(text) && !text.startsWith("-")) {
    const v = Number(text);
    if (within(v, boundOf(options, "seed"))) return v;
  }
  const pattern = seedPattern(options);
  return pattern?.test(text) ? text : undefined;
}

/** What a seed may be, in words. */
export function seedText(options) {
  const seed = boundOf(options, "seed");
  const number = seed ? `a whole number ${boundText(seed)}` : "a whole number";
  const rule = options.seed_text;
  const text = rule ? `${rule.min_length} to ${rule.max_length} printable characters without & or =` : "text";
  return `${number}, or ${text}`;
}
