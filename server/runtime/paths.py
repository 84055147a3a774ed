"""Which engine trains a group of sessions on the CPU: torch, stacked (engine/batched.py),
or the compiled kernel (engine/compiled.py), each session alone. Picked per group from
measured costs: a lone session takes the kernel; for a group of n of one shape, the
kernel's measured cost per session-epoch (from lone turns; until then compiled.estimate's
guess from the points and weights) times n
against the stack's measured cost per epoch at about that size; the one that lost gets a
turn now and then (PROBE_EVERY), as costs move with the machine's load. Only shapes whose
epochs fit one kernel call (compiled.CHUNK) are split: their lone turns end between
epochs, so the group stays at one place in the epoch and can stack again. A group too big
for its lone turns to fit one pass (n turns of MIN_TURN over TICK) stays a stack: the pass,
and with it every viewer's frame rate, would stretch (measured: 100 default sessions
alone on the kernel gave 46 epochs/s each at 42 passes/s, stacked 60 at 55).

On a GPU torch trains everything (a stack of one on the device, worker.py)."""

from __future__ import annotations

from collections.abc import Hashable

from server.engine import compiled
from server.engine.kinds.mlp import Model
from server.engine.kinds.registry import AnyModel
from server.runtime.turns import MIN_TURN, TICK

PROBE_EVERY = 5.0  # seconds between turns given to the losing path of a group, to measure it
SMOOTHING = 0.3  # weight of the newest measurement in the running costs


def size_class(n: int) -> int:
    """Stack sizes measured together: 2-3, 4-7, 8-15, ... (a stack's cost per session
    falls slowly with its size; paced groups change size from pass to pass)."""
    return n.bit_length()


def _smoothed(old: float | None, new: float) -> float:
    return new if old is None else (1 - SMOOTHING) * old + SMOOTHING * new


class Paths:
    """The worker's memory of what each path costs (touched on the worker thread only)."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled  # the kernel may train (settings.kernel, the CPU)
        self.kernel: dict[Hashable, float] = {}  # seconds per session-epoch, by shape
        self.stack: dict[tuple[Hashable, int], float] = {}  # seconds per stack epoch
        self._probed: dict[tuple[Hashable, int], float] = {}
        self.chosen = {"kernel": 0, "stack": 0}  # groups of 2+ sent each way (for benches)

    def kernel_for(self, model: AnyModel) -> bool:
        """Does the kernel train this model when it trains alone? (MLPs only.)"""
        return self.enabled and isinstance(model, Model) and compiled.usable(model)

    def alone(self, model: AnyModel, n: int, now: float) -> bool:
        """Should a group of ``n`` > 1 sessions shaped as ``model`` train each alone on the
        kernel rather than as one stack?"""
        if not isinstance(model, Model) or not self.kernel_for(model) or n * MIN_TURN > TICK:
            return False
        shape = model.shape_key()
        each = self.kernel.get(shape) or compiled.estimate(model)  # measured, or guessed
        if each is None or each > compiled.CHUNK:
            choice = False  # epochs longer than a kernel call: lone turns would end at
            # different places in the epoch and the group would never stack again
        else:
            key = (shape, size_class(n))
            stacked = self.stack.get(key)
            choice = stacked is not None and each * n <= stacked
            if stacked is not None and now - self._probed.setdefault(key, now) >= PROBE_EVERY:
                self._probed[key] = now
                choice = not choice
        self.chosen["kernel" if choice else "stack"] += 1
        return choice

    def measured(self, model: AnyModel, n: int, on_kernel: bool, seconds: float) -> None:
        """A turn of ``n`` sessions took ``seconds`` per epoch (of the group)."""
        shape = model.shape_key()
        if on_kernel:
            self.kernel[shape] = _smoothed(self.kernel.get(shape), seconds)
        elif n > 1:
            key = (shape, size_class(n))
            self.stack[key] = _smoothed(self.stack.get(key), seconds)

    def forget(self, limit: int) -> None:
        """Drop every measurement once there are more than ``limit`` (shapes come and go)."""
        if len(self.kernel) + len(self.stack) > limit:
            self.kernel.clear()
            self.stack.clear()
            self._probed.clear()
