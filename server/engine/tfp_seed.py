"""TensorFlow Playground's seeded ``Math.random``: seedrandom 2.4's ARC4 stream.

TFP puts a seed string in its URL (``seed=0.12345``) and calls ``Math.seedrandom(seed)``,
which replaces ``Math.random`` with a stream that depends on that string alone. Drawing from
the same stream in the same order (engine/tfp_datasets.py, then the weights) gives a TFP
link's very points and initial weights.

The algorithm, as seedrandom defines it: the seed's UTF-16 code units are mixed into a key
of at most 256 bytes; ARC4 is keyed with it and its first 256 output bytes are dropped; a
double takes 6 bytes as a 48-bit numerator over 2⁴⁸, then further bytes until it holds 52
significant bits, cut back so it never rounds up to 1.

The keystream does not depend on how it is read, so a stream's whole state is its seed and
how many bytes were read (``position``): that is what model files store.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal

import numpy as np

WIDTH = 256
CHUNKS = 6  # bytes that start every double
SIGNIFICANCE = 2**52
OVERFLOW = 2**53
START_DENOM = WIDTH**CHUNKS
BUFFER = 4096  # keystream bytes made at a time

MIN_SEED_LENGTH, MAX_SEED_LENGTH = 1, 64
# what a TFP seed may be here: printable ASCII (0x20..0x7e) without the hash's separators
# & (0x26) and = (0x3d) (TFP's own page splits its hash there, so its seeds never hold
# them). One regex source that Python and JavaScript read alike: /api/options sends it.
SEED_TEXT = rf"^[ -%'-<>-~]{{{MIN_SEED_LENGTH},{MAX_SEED_LENGTH}}}$"
SEED_PATTERN = re.compile(SEED_TEXT)
SEED_RULE = "1 to 64 printable ASCII characters without & or = (TFP writes 0.12345)"


def seed_error(seed: str) -> str | None:
    """Why ``seed`` is not an acceptable TFP seed string, or None."""
    if not SEED_PATTERN.fullmatch(seed):
        return f"a TFP seed must be {SEED_RULE}, got {seed[:80]!r}"
    return None


def _key(seed: str) -> list[int]:
    """seedrandom's mixkey: each code unit, smeared with the key byte it lands on."""
    units = np.frombuffer(seed.encode("utf-16-le"), dtype="<u2").tolist()
    key: list[int] = []
    smear = 0
    for j, unit in enumerate(units):
        slot = j & 255
        old = key[slot] if slot < len(key) else 0
        smear ^= old * 19
        value = (smear + unit) & 255
        if slot < len(key):
            key[slot] = value
        else:
            key.append(value)
    return key


def _run(s: list[int], i: int, j: int, count: int) -> tuple[bytearray, int, int]:
    """ARC4's next ``count`` output bytes; ``s`` is updated in place, (i, j) returned."""
    out = bytearray(count)
    for k in range(count):
        i = (i + 1) & 255
        t = s[i]
        j = (j + t) & 255
        s[i] = s[j]
        s[j] = t
        out[k] = s[(s[i] + t) & 255]
    return out, i, j


class SeedStream:
    """The stream ``Math.seedrandom(seed)`` gives ``Math.random``.

    Bytes are made BUFFER at a time, and only once the last were all read, so the ARC4
    state saved before each fill (``_base``) and the bytes read since say exactly where the
    stream stands (``state()``): a model file resumes from that in constant time."""

    def __init__(self, seed: str, position: int = 0) -> None:
        self.restart(seed, position)

    def restart(self, seed: str, position: int = 0) -> None:
        """Start over as ``Math.seedrandom(seed)`` would, then skip ``position`` bytes."""
        self.seed = seed
        key = _key(seed) or [0]
        s = list(range(WIDTH))
        j = 0
        for i in range(WIDTH):
            j = (j + key[i % len(key)] + s[i]) & 255
            s[i], s[j] = s[j], s[i]
        _, i, j = _run(s, 0, 0, WIDTH)  # RC4-drop[256]
        self._resume(s, i, j, 0)
        self.skip(position)

    def _resume(self, s: list[int], i: int, j: int, position: int) -> None:
        self._s, self._i, self._j = s, i, j
        self._base = (list(s), i, j)  # the state where self._bytes starts
        self._bytes = bytearray()
        self._read = 0  # bytes of self._bytes already used
        self._made = position  # keystream bytes made since the drop

    @property
    def position(self) -> int:
        """Keystream bytes read so far (after the dropped 256)."""
        return self._made - len(self._bytes) + self._read

    def _fill(self, count: int) -> None:
        self._base = (list(self._s), self._i, self._j)
        self._bytes, self._i, self._j = _run(self._s, self._i, self._j, count)
        self._read = 0
        self._made += count

    def _byte(self) -> int:
        if self._read >= len(self._bytes):
            self._fill(BUFFER)
        value = self._bytes[self._read]
        self._read += 1
        return value

    def skip(self, count: int) -> None:
        """Read and forget ``count`` bytes."""
        while count > 0:
            if self._read >= len(self._bytes):
                self._fill(max(BUFFER, min(count, 1 << 20)))
            step = min(count, len(self._bytes) - self._read)
            self._read += step
            count -= step

    def state(self) -> tuple[list[int], int, int]:
        """ARC4's (S, i, j) where the stream stands: after ``position`` bytes."""
        s, i, j = self._base
        s = list(s)
        _, i, j = _run(s, i, j, self._read)
        return s, i, j

    def resume(self, s: list[int], i: int, j: int, position: int) -> None:
        """Stand where ``state()`` said, ``position`` bytes in (checked by the caller:
        ``s`` a permutation of 0..255, ``i`` and ``j`` bytes)."""
        self._resume(list(s), i, j, position)

    def seek(self, position: int) -> None:
        """Stand where ``position`` bytes have been read."""
        if position < self.position:
            self.restart(self.seed, position)
        else:
            self.skip(position - self.position)

    def random(self) -> float:
        """The next ``Math.random()``: a double in [0, 1)."""
        n = 0
        for _ in range(CHUNKS):
            n = n * WIDTH + self._byte()
        d, x = START_DENOM, 0
        while n < SIGNIFICANCE:
            n = (n + x) * WIDTH
            d *= WIDTH
            x = self._byte()
        while n >= OVERFLOW:
            n //= 2  # n is even here: it was just multiplied by 256
            d //= 2
            x >>= 1
        value: float = (n + x) / d
        return value

    def uniform(self, count: int) -> np.ndarray:
        """``count`` draws, in order, as float64."""
        return np.fromiter((self.random() for _ in range(count)), dtype=np.float64, count=count)

    def copy(self) -> SeedStream:
        return SeedStream(self.seed, self.position)


def to_fixed5(value: float) -> str:
    """JavaScript's ``value.toFixed(5)`` for 0 <= value < 1e21 (ties round up, from the
    double's exact value)."""
    return str(Decimal(value).quantize(Decimal("0.00001"), rounding=ROUND_HALF_UP))


def next_seed(stream: SeedStream) -> str:
    """A new seed as TFP makes one from the running stream: ``Math.random().toFixed(5)``."""
    return to_fixed5(stream.random())
