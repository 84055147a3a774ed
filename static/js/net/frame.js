// Decodes one binary frame (docs/protocol.md, "Binary frames"). All numbers little-endian.

export const PROTOCOL_VERSION = 2;
export const STATES = ["idle", "running", "paused", "diverged", "failed", "closed"];
const HEADER = 48;

/**
 * ArrayBuffer -> {state, sizes, epoch, speed, trainLoss, testLoss, seq, classes,
 * trainAccuracy, testAccuracy, weights, biases, grid, confidence, gridSize, maps, mapSize}.
 * weights[l] is a Float64Array [out][in] row-major, biases[l] a Float64Array [out]; grid and
 * maps are Uint8Array views (q / 127.5 - 1). With classes > 0 (k-class softmax), grid holds
 * each cell's winning class and confidence its probability (q / 255).
 */
export function decodeFrame(buffer) {
  const view = new DataView(buffer);
  const version = view.getUint8(0);
  if (version !== PROTOCOL_VERSION) throw new Error(`unsupported frame version ${version}`);
  const n = view.getUint8(2);
  const flags = view.getUint8(3);
  const gridSize = view.getUint16(4, true);
  const mapSize = view.getUint16(6, true);
  const frame = {
    state: STATES[view.getUint8(1)] ?? "idle",
    gridSize,
    mapSize,
    epoch: view.getUint32(8, true),
    speed: view.getFloat32(12, true),
    trainLoss: view.getFloat64(16, true),
    testLoss: view.getFloat64(24, true),
    seq: view.getUint32(32, true),
    classes: view.getUint8(36),
    trainAccuracy: view.getFloat32(40, true),
    testAccuracy: view.getFloat32(44, true),
    sizes: [],
    weights: [],
    biases: [],
    grid: null,
    confidence: null,
    maps: null,
  };
  for (let i = 0; i < n; i++) frame.sizes.push(view.getUint16(HEADER + 2 * i, true));
  let offset = HEADER + Math.ceil((2 * n) / 8) * 8;
  const readF64 = (count) => {
    const out = new Float64Array(count);
    for (let i = 0; i < count; i++) out[i] = view.getFloat64(offset + 8 * i, true);
    offset += 8 * count;
    return out;
  };
  for (let l = 0; l + 1 < n; l++) frame.weights.push(readF64(frame.sizes[l + 1] * frame.sizes[l]));
  for (let l = 0; l + 1 < n; l++) frame.biases.push(readF64(frame.sizes[l + 1]));
  frame.grid = new Uint8Array(buffer, offset, gridSize * gridSize);
  offset += gridSize * gridSize;
  if (frame.classes > 0) {
    frame.confidence = new Uint8Array(buffer, offset, gridSize * gridSize);
    offset += gridSize * gridSize;
  }
  if (flags & 1 && mapSize > 0) {
    const hidden = frame.sizes.slice(1, -1).reduce((a, b) => a + b, 0);
    frame.maps = new Uint8Array(buffer, offset, hidden * mapSize * mapSize);
    offset += hidden * mapSize * mapSize;
  }
  if (offset > buffer.byteLength) throw new Error("truncated frame");
  return frame;
}
