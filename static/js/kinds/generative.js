// The frame body of the generative kinds (gan.js, autoencoder.js): after the common
// header, a u32 length, that many bytes of JSON (the kind's numbers and a list of
// sections, each {name, dtype: "f4" | "u1", shape}), padded to 8, then each section's
// little-endian values, each padded to 8 (server/engine/kinds/generative.py frame_body).

const text = new TextDecoder();
const pad8 = (n) => Math.ceil(n / 8) * 8;

/** {meta, sections: {name: {values: Float32Array | Uint8Array, shape}}} from `offset`. */
export function decodeBody(view, offset) {
  const buffer = view.buffer;
  if (offset + 4 > buffer.byteLength) throw new Error("truncated frame");
  const length = view.getUint32(offset, true);
  if (offset + 4 + length > buffer.byteLength) throw new Error("truncated frame");
  const meta = JSON.parse(text.decode(new Uint8Array(buffer, offset + 4, length)));
  let at = offset + pad8(4 + length);
  const sections = {};
  for (const { name, dtype, shape } of meta.sections ?? []) {
    const count = shape.reduce((a, b) => a * b, 1);
    const bytes = count * (dtype === "f4" ? 4 : 1);
    if (at + bytes > buffer.byteLength) throw new Error("truncated frame");
    let values;
    if (dtype === "f4") {
      // the body may not start 4-aligned in the buffer: copy when it does not
      values = at % 4 === 0 ? new Float32Array(buffer, at, count) : new Float32Array(buffer.slice(at, at + bytes));
    } else {
      values = new Uint8Array(buffer, at, count);
    }
    sections[name] = { values, shape };
    at += pad8(bytes);
  }
  return { meta, sections };
}
