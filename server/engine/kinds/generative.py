"""What the two generative kinds (gan.py, autoencoder.py) share: two small nets each
(engine/dense.py) on 2-D points, their own sampling stream, stacking many models of one
shape into one set of tensors, and a frame body of named arrays.

Units: the page's plane is [-6, 6]²; the nets see points divided by SCALE (about
[-1, 1]²), and everything they report (samples, reconstructions, losses) is turned back
into the plane's units.
"""

from __future__ import annotations

import json
import struct
import zlib
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Self

import numpy as np
import torch

from server.engine import dense
from server.engine.data.split import Split
from server.engine.network import Uniform

SCALE = 6.0  # plane units per net unit
GAN_CODE, AUTOENCODER_CODE = 1, 2  # the kinds' bytes in a frame's header


def stream_of(generator: torch.Generator | Uniform, seed: Any) -> torch.Generator:
    """A torch generator for the weights: the session's own for integer seeds; for a
    TFP seed string (whose stream TFP's MLP draws from) one seeded from the string."""
    if isinstance(generator, torch.Generator):
        return generator
    g = torch.Generator()
    g.manual_seed(zlib.crc32(str(seed).encode()))
    return g


def points_of(split: Split, dtype: torch.dtype) -> tuple[torch.Tensor, torch.Tensor]:
    """The training and test points in net units: (n_train, 2), (n_test, 2)."""

    def tensor(x: np.ndarray) -> torch.Tensor:
        return torch.as_tensor(np.asarray(x, dtype=np.float64).reshape(-1, 2) / SCALE,
                               dtype=dtype)  # fmt: skip

    return tensor(split.train_x), tensor(split.test_x)


def net_key(net: dense.Net) -> Hashable:
    return (tuple(net.sizes), tuple(net.activations), net.optimizer)


class Generative:
    """What both generative kinds are made of and how (engine/kinds/registry.py builds
    them from a config's fields: ``options_key`` names the kind's own object)."""

    code: int
    options_key: str

    def __init__(
        self,
        options: Mapping[str, Any],
        split: Split,
        generator: torch.Generator,
        dtype: torch.dtype = torch.float64,
        device: torch.device | str = "cpu",
    ) -> None:
        self.options = dict(options)
        self.generator = generator
        self.dtype = dtype
        self.device = torch.device(device)
        self.accuracy = None  # (the MLP's batched accuracy; these kinds have none)
        self.stack: object | None = None  # the Stack its tensors are views of
        self.set_data(split)
        self.reset()

    @classmethod
    def from_options(
        cls,
        options: Mapping[str, Any],
        split: Split,
        generator: torch.Generator | Uniform,
        dtype: torch.dtype = torch.float64,
        device: torch.device | str = "cpu",
    ) -> Self:
        """The builder: the config's fields, of which the kind reads its own object."""
        own = stream_of(generator, options.get("seed"))
        return cls(options[cls.options_key], split, own, dtype, device)

    def set_data(self, split: Split) -> None:
        raise NotImplementedError

    def reset(self) -> None:
        raise NotImplementedError


@dataclass
class Section:
    """A named array of a frame body."""

    name: str
    values: torch.Tensor | np.ndarray
    dtype: str = "f4"  # f4 or u1


def frame_body(meta: Mapping[str, Any], sections: Sequence[Section]) -> bytes:
    """A generative kind's frame body (docs/protocol.md): a u32 length, that many bytes
    of JSON (``meta`` plus each section's name, dtype and shape), padded to 8, then each
    section's little-endian values, each padded to 8."""
    arrays = []
    described = []
    for s in sections:
        values = s.values.detach().cpu().numpy() if isinstance(s.values, torch.Tensor) else s.values
        array = np.ascontiguousarray(values, dtype="<f4" if s.dtype == "f4" else np.uint8)
        arrays.append(array)
        described.append({"name": s.name, "dtype": s.dtype, "shape": list(array.shape)})
    head = json.dumps({**meta, "sections": described}, separators=(",", ":")).encode()
    parts = [struct.pack("<I", len(head)), head, b"\0" * (-(4 + len(head)) % 8)]
    for array in arrays:
        raw = array.tobytes()
        parts += [raw, b"\0" * (-len(raw) % 8)]
    return b"".join(parts)


class Stack:
    """Models of one group key gathered on the stack dimension: each net's tensors are
    concatenated and every model's own become views into them, so training the stack
    trains them with nothing copied back (engine/batched.py does the same for the MLP)."""

    def __init__(self, models: Sequence[Any]) -> None:
        self.models = list(models)
        first = models[0]
        self.nets: dict[str, dense.Net] = {}
        for name, net in first.nets.items():
            gathered = {
                key: torch.cat([m.nets[name].tensors()[key] for m in models])
                for key in net.tensors()
            }
            self.nets[name] = dense.Net(net.sizes, net.activations, net.optimizer,
                                        gathered["p"], gathered["m"], gathered["v"],
                                        gathered["steps"])  # fmt: skip
            for i, m in enumerate(models):
                m.nets[name].bind({k: t[i : i + 1] for k, t in gathered.items()})
        for m in models:
            m.stack = self
        self.identity = [m.tensors_identity() for m in models]
        # a GAN's real points, (S, N, 2): the group key makes N one count for all
        self.real = torch.stack([m.real for m in models]) if hasattr(first, "real") else None
        self.rows = torch.arange(len(models)).unsqueeze(1)  # (S, 1), to gather batches

    def holds(self, models: Sequence[Any]) -> bool:
        """Is this stack still these models, with no tensors replaced since?"""
        return len(models) == len(self.models) and all(
            a is b and _same(a.tensors_identity(), ident)
            for a, b, ident in zip(models, self.models, self.identity, strict=True)
        )


def _same(now: tuple[object, ...], then: tuple[object, ...]) -> bool:
    """The very same objects (by identity: ``==`` on tensors compares their values)."""
    return len(now) == len(then) and all(a is b for a, b in zip(now, then, strict=True))


def stack_of(models: Sequence[Any]) -> Stack:
    """The models' stack: the last one made for them, or a new one."""
    stack = models[0].stack
    if isinstance(stack, Stack) and stack.holds(models):
        return stack
    return Stack(models)


def rates(models: Sequence[Any], field: str, dtype: torch.dtype) -> torch.Tensor:
    """Each model's setting ``field`` as an (S,) tensor."""
    return torch.tensor([m.options[field] for m in models], dtype=dtype)


def downsample(
    history: list[tuple[int, float, float]], most: int
) -> list[tuple[int, float, float]]:
    """Every other entry once there are more than ``most`` (the last one always kept)."""
    if len(history) <= most:
        return history
    return [*history[:-1:2], history[-1]]


# -- stored form (sessions/checkpoint.py packs it) ---------------------------------------
def flat_state(model: Any) -> np.ndarray:
    """Every net's parameters, adam moments and step count, float64, in ``model.nets``'
    order (the layout ``load_flat`` reads back)."""
    parts = [t[0].reshape(-1) for net in model.nets.values()
             for t in (net.flat, net.m, net.v, net.steps)]  # fmt: skip
    return torch.cat(parts).to("cpu", torch.float64).numpy()


def load_flat(model: Any, values: np.ndarray, limit: float) -> None:
    """Put ``flat_state``'s numbers back (ValueError if they do not fit the nets, are not
    finite or pass ``limit``, or a step count is not a whole number ≥ 0)."""
    want = sum(int(t[0].numel()) for net in model.nets.values()
               for t in (net.flat, net.m, net.v, net.steps))  # fmt: skip
    if values.size != want:
        raise ValueError(f"{values.size} numbers where the nets hold {want}")
    if not np.isfinite(values).all():
        raise ValueError("numbers that are not finite")
    if float(np.abs(values).max(initial=0)) > limit:
        raise ValueError(f"numbers beyond {limit:g} (a run that diverged is not stored)")
    at = 0
    for net in model.nets.values():
        at += sum(int(t[0].numel()) for t in (net.flat, net.m, net.v))
        steps = values[at : at + int(net.steps[0].numel())]
        at += int(net.steps[0].numel())
        if (steps < 0).any() or (steps != np.round(steps)).any():
            raise ValueError("a step count that is not a whole number of at least 0")
    at = 0
    for net in model.nets.values():
        for t in (net.flat, net.m, net.v, net.steps):
            size = int(t[0].numel())
            t[0].copy_(torch.from_numpy(values[at : at + size].copy()).reshape(t[0].shape))
            at += size
    model.stack = None
