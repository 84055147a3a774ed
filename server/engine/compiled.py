"""The compiled CPU path for one MLP (engine/kernel.py), as Model.train uses it.

``Bound`` gathers a model's weights, biases, dead links, carried gradients and optimizer
slots into the kernel's flat buffers and rebinds the model's tensors to views of them
(as engine/batched.Stack does for a stack), so the kernel trains the model's own tensors
and frames, exports and edits see every step with nothing copied. Any replacement of
those tensors (a rebuild, set_layers, a restored checkpoint, a stack) is noticed by
``holds`` and the next call binds afresh.

Compiling takes seconds the first time on a machine, then loads from numba's disk cache.
``prepare()`` does it in the background (a child process fills the cache, so the
compiler does not hold this process's GIL); until ``ready()``, and wherever numba is
missing or fails, the torch engine trains as before.
"""

from __future__ import annotations

import importlib.util
import logging
import math
import operator
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import torch

from server.engine.network import Network
from server.engine.optimizers import OptState
from server.engine.training import Accumulator, Hyper


class Model(Protocol):
    """What the kernel reads and writes of a model (engine/kinds/mlp.Model is one)."""

    net: Network
    acc: Accumulator
    opt: OptState
    hyper: Hyper
    loss: str
    cursor: int
    dtype: torch.dtype
    device: torch.device
    train_inputs: torch.Tensor
    train_y: torch.Tensor
    test_inputs: torch.Tensor
    test_y: torch.Tensor

    def tensors_identity(self) -> tuple[object, ...]: ...


log = logging.getLogger(__name__)

kernel: Any = None  # engine/kernel.py once loaded (importing numba takes seconds: lazily)

CHUNK = 0.0005  # seconds of training per kernel call, between two looks at ``stop``
FIRST_CHUNK = 64  # points in the first call, before the cost per point is measured
MAX_EPOCHS_PER_CALL = 256  # losses a call can return at most
SLOT_ROWS = {"velocity": 0, "m": 0, "v": 1}  # the optimizers' slots in S (kernel._step)

# failed: why it cannot be used; unit: seconds per unit of work (``estimate``); cpu: the
# compiling thread's CPU seconds, once it is done
_state: dict[str, Any] = {"ready": False, "failed": None, "unit": None, "cpu": 0.0}
_lock = threading.Lock()
_started: list[threading.Thread] = []


def available() -> bool:
    """Can the kernel be used here at all: numba installed, nothing failed yet."""
    return importlib.util.find_spec("numba") is not None and _state["failed"] is None


def ready() -> bool:
    """Compiled and loaded in this process: Model.train may take the kernel."""
    return bool(_state["ready"])


def why_not() -> str | None:
    """Why the kernel is not in use, if it is not (missing, failed, still compiling)."""
    if importlib.util.find_spec("numba") is None:
        return "numba is not installed"
    if _state["failed"] is not None:
        return str(_state["failed"])
    return None if _state["ready"] else "compiling"


def usable(model: Model) -> bool:
    """Can the kernel train this model: ready, on the CPU, in float64."""
    return ready() and model.device.type == "cpu" and model.dtype == torch.float64


def prepare(background: bool = True) -> None:
    """Compile (or load from the disk cache) and warm the kernel, once per process; in a
    background thread unless ``background`` is False."""
    if not available():
        return
    with _lock:
        if _started:
            thread = _started[0]
        else:
            thread = threading.Thread(target=_compile, name="kernel-compile", daemon=True)
            _started.append(thread)
            thread.start()
    if not background:
        thread.join()


def _compile() -> None:
    started = time.perf_counter()
    try:
        # a child process fills the disk cache: compiling here would hold our GIL for
        # seconds, and the worker and the event loop with it
        root = str(Path(__file__).resolve().parents[2])  # where ``server`` is importable
        path = os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))
        child = subprocess.run(  # from root: the very files this process imported
            [sys.executable, "-m", "server.engine.compiled"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=600,
            env={**os.environ, "PYTHONPATH": path},
        )
        if child.returncode != 0:
            log.warning("compiling the kernel in a child failed: %s", child.stderr[-2000:])
        warm()  # loads from the cache (or compiles here, if the child could not write it)
    except Exception as exc:
        _state["failed"] = f"the kernel failed to compile: {type(exc).__name__}: {exc}"
        log.warning("%s; torch trains every session", _state["failed"])
        return
    finally:
        _state["cpu"] = time.thread_time()
    _state["ready"] = True
    log.info("compiled CPU kernel ready in %.1f s", time.perf_counter() - started)


def compile_cpu() -> float:
    """CPU seconds the compiling thread has used (importing numba, loading the cache: a
    second or two at start, which frames' budget must not take for their own)."""
    thread = _started[0] if _started else None
    if thread is None or thread.ident is None or not thread.is_alive():
        return float(_state["cpu"])
    try:
        return time.clock_gettime(time.pthread_getcpuclockid(thread.ident))
    except (OSError, AttributeError):  # a platform without per-thread CPU clocks
        return float(_state["cpu"])


def warm() -> None:
    """Run every compiled function once on a tiny network (the one signature all share),
    then time an epoch of the default net: the cost per unit ``estimate`` scales."""
    global kernel
    from server.engine import kernel

    _run([2, 2, 1], 2, 1)
    sizes, points, epochs = [2, 4, 2, 1], 250, 20
    seconds = min(_run(sizes, points, epochs) for _ in range(3))
    _state["unit"] = seconds / (epochs * _units(sizes, points, points))


def _units(sizes: list[int], train: int, test: int) -> int:
    """An epoch's work as the kernel does it: points through (weights + biases), a
    training point about three times a loss point (forward, back, gradient sums)."""
    params = sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:], strict=False))
    return (3 * train + test) * params


def estimate(model: Model) -> float | None:
    """About what an epoch of ``model`` costs on the kernel, seconds (None: not timed yet).
    From the default net's timing: an overestimate for bigger nets, whose loops run longer."""
    unit = _state.get("unit")
    if unit is None:
        return None
    sizes = list(model.net.sizes)
    return float(unit) * _units(sizes, model.train_y.shape[-1], model.test_y.shape[-1])


def _run(sizes: list[int], points: int, epochs: int) -> float:
    """Seconds of ``epochs`` epochs of a seeded network and points of these sizes."""
    lay = kernel.layout(sizes)
    params = int(lay[-1, kernel.B_AT] + sizes[-1])
    rng = np.random.default_rng(0)
    X, Y = rng.uniform(-6, 6, (points, sizes[0])), np.sign(rng.uniform(-1, 1, points))
    P = rng.uniform(-0.5, 0.5, params)
    cfg = np.array([kernel.MSE, kernel.REG_NONE, kernel.SGD, 10, 0, 0], dtype=np.int64)
    hyp = np.array([0.03, 0.0, 0.9, 0.9, 0.999, 1e-8])
    started = time.perf_counter()
    kernel.run(
        X, Y, X, Y, P, np.ones(params, dtype=np.bool_), np.zeros(params),
        np.zeros((2, params)), np.zeros(1), lay, np.zeros(len(sizes) - 1, dtype=np.int64),
        cfg, hyp, np.zeros((3, sum(sizes))), np.zeros((epochs, 2)), epochs * points,
    )  # fmt: skip
    return time.perf_counter() - started


class Bound:
    """A model's tensors as views of the kernel's flat buffers (see the module's text)."""

    def __init__(self, model: Model) -> None:
        assert kernel is not None
        net = model.net
        sizes = list(net.sizes)
        self.lay = lay = kernel.layout(sizes)
        n_weights = int(lay[-1, kernel.W_AT] + sizes[-1] * sizes[-2])
        size = n_weights + sum(sizes[1:])
        self.P, self.G = np.empty(size), np.empty(size)
        self.AL = np.empty(n_weights, dtype=np.bool_)
        # S's rows by slot name (an imported state may list adam's "v" before its "m")
        rows = {name: SLOT_ROWS[name] for name in model.opt.slots}
        self.S = np.zeros((2, size if rows else 0))
        self.steps = np.array([float(model.opt.steps)])
        self.acts = np.array(
            [kernel.ACT_CODES[a] for a in (*net.hidden_activations, net.output_activation)],
            dtype=np.int64,
        )
        self.tmp = np.zeros((3, sum(sizes)))
        self.cfg = np.zeros(6, dtype=np.int64)
        self.hyp = np.zeros(6)
        self.out = np.empty((MAX_EPOCHS_PER_CALL, 2))
        self.loss_code = kernel.CE if model.loss == "cross_entropy" else kernel.MSE
        # the data, contiguous (make_inputs' tensors usually are: then no copy)
        self.X = np.ascontiguousarray(model.train_inputs.numpy())
        self.Y = np.ascontiguousarray(model.train_y.numpy())
        self.TX = np.ascontiguousarray(model.test_inputs.numpy())
        self.TY = np.ascontiguousarray(model.test_y.numpy())
        self.seconds_per_point: float | None = None

        def view(buffer: np.ndarray, at: int, like: torch.Tensor) -> torch.Tensor:
            part = buffer[at : at + like.numel()]
            part[:] = like.detach().reshape(-1).numpy()
            return torch.from_numpy(part).view(like.shape)

        layers = len(net.weights)
        for layer in range(layers):
            w_at, b_at = int(lay[layer, kernel.W_AT]), int(lay[layer, kernel.B_AT])
            net.weights[layer] = view(self.P, w_at, net.weights[layer])
            net.biases[layer] = view(self.P, b_at, net.biases[layer])
            net.alive[layer] = view(self.AL, w_at, net.alive[layer])
            model.acc.weights[layer] = view(self.G, w_at, model.acc.weights[layer])
            model.acc.biases[layer] = view(self.G, b_at, model.acc.biases[layer])
            for name, row in rows.items():
                slots = model.opt.slots[name]
                slots[layer] = view(self.S[row], w_at, slots[layer])
                slots[layers + layer] = view(self.S[row], b_at, slots[layers + layer])
        model.opt.steps = torch.from_numpy(self.steps).view(())
        self._binding = model.tensors_identity()

    def holds(self, model: Model) -> bool:
        """Are the model's tensors still these buffers' views?"""
        return all(map(operator.is_, model.tensors_identity(), self._binding))

    def _budget(self, cursor: int) -> int:
        """Points for the next call: about CHUNK seconds; when an epoch takes less, whole
        epochs (from the cursor to an epoch's end), so turns end between epochs and
        sessions of one shape stay at one place in the epoch, ready to be stacked."""
        cost, n = self.seconds_per_point, self.X.shape[0]
        if cost is None:
            return FIRST_CHUNK
        points = max(1, int(CHUNK / cost))
        if n * cost > CHUNK:
            return points
        to_end = n - cursor
        return int(to_end + n * max(0, (points - to_end) // n))

    def train(self, model: Model, epochs: int, stop: Callable[[], bool] | None) -> np.ndarray:
        """Up to ``epochs`` epochs from the model's cursor, in calls of about CHUNK seconds
        with ``stop()`` asked after each (as Model.train's slots); (done, 2) losses. The
        model's carried count and cursor are read and written back; its hyper read now."""
        assert kernel is not None
        h = model.hyper
        cfg, hyp = self.cfg, self.hyp
        cfg[:] = (
            self.loss_code,
            kernel.REG_CODES[h.regularization],
            kernel.OPT_CODES[h.optimizer],
            h.batch_size,
            model.acc.count,
            model.cursor,
        )
        hyp[:] = (h.learning_rate, h.regularization_rate, h.momentum, h.beta1, h.beta2, h.epsilon)
        results: list[np.ndarray] = []
        left = epochs
        try:
            while left > 0:
                budget = self._budget(int(cfg[kernel.CURSOR]))
                out = self.out[: min(left, MAX_EPOCHS_PER_CALL)]
                started = time.perf_counter()
                before = int(cfg[kernel.CURSOR])
                done = kernel.run(
                    self.X, self.Y, self.TX, self.TY, self.P, self.AL, self.G, self.S,
                    self.steps, self.lay, self.acts, cfg, hyp, self.tmp, out, budget,
                )  # fmt: skip
                points = done * self.X.shape[0] + int(cfg[kernel.CURSOR]) - before
                if points > 0:
                    spent, cost = (time.perf_counter() - started) / points, self.seconds_per_point
                    self.seconds_per_point = spent if cost is None else 0.7 * cost + 0.3 * spent
                if done:
                    results.append(out[:done].copy())
                    left -= done
                    if not math.isfinite(out[done - 1, 0]):
                        break
                if (stop is not None and stop()) or (points == 0 and not done):
                    break
        finally:  # written back even if a call failed: the model stays consistent
            model.acc.count, model.cursor = int(cfg[kernel.CARRIED]), int(cfg[kernel.CURSOR])
        return np.concatenate(results) if results else np.empty((0, 2))


if __name__ == "__main__":  # the child that prepare() starts: fill the disk cache
    warm()
