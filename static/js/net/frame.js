// Decodes one binary frame (docs/protocol.md, "Binary frames"). All numbers little-endian.
// The 48-byte header is common to every model kind; its kind byte names the module in
// kinds/ that decodes the rest (kinds/index.js).

import { kindOf } from "../kinds/index.js";

export const PROTOCOL_VERSION = 2;
export const STATES = Object.freeze(["idle", "running", "paused", "diverged", "failed", "closed"]);
export const HEADER = 48;
export const KIND_OFFSET = 37; // the former flags2 byte: 0 is "mlp"

/** A frame of a kind this page has no module for: the page says so instead of drawing. */
export class UnknownKind extends Error {
  constructor(code) {
    super(`this server sends a model kind this page cannot draw: ${code}`);
    this.code = code;
  }
}

/** The common header: {version, state, epoch, speed, trainLoss, testLoss, seq,
 * trainAccuracy, testAccuracy, kindCode}. */
export function decodeHeader(view) {
  return {
    version: view.getUint8(0),
    state: STATES[view.getUint8(1)] ?? "idle",
    epoch: view.getUint32(8, true),
    speed: view.getFloat32(12, true),
    trainLoss: view.getFloat64(16, true),
    testLoss: view.getFloat64(24, true),
    seq: view.getUint32(32, true),
    kindCode: view.getUint8(KIND_OFFSET),
    trainAccuracy: view.getFloat32(40, true),
    testAccuracy: view.getFloat32(44, true),
  };
}

/**
 * ArrayBuffer -> the header's fields, `kind` (its name), and what the kind's decoder adds
 * (kinds/mlp.js: sizes, weights, biases, grid, ...). Throws UnknownKind for a kind byte
 * this page does not know, and Error for another version or a truncated frame.
 */
export function decodeFrame(buffer) {
  if (buffer.byteLength < HEADER) throw new Error("truncated frame");
  const view = new DataView(buffer);
  const header = decodeHeader(view);
  if (header.version !== PROTOCOL_VERSION) throw new Error(`unsupported frame version ${header.version}`);
  const kind = kindOf(header.kindCode);
  if (!kind) throw new UnknownKind(header.kindCode);
  return { ...header, kind: kind.NAME, ...kind.decode(view, HEADER) };
}
