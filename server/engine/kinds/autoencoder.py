"""An autoencoder on 2-D points: an encoder maps a point to a code of 1 or 2 numbers (the
bottleneck), a decoder maps the code back to a point; both learn to make the decoded
point the input again (the mean squared error). With ``input_noise`` the encoder sees
each training point moved by Gaussian noise of that spread (plane units) and must still
give back the clean point: a denoising autoencoder.

An epoch is one pass over the training points in a shuffled order, minibatch by
minibatch (``batch_size``); losses are the mean over points and both coordinates of the
squared error, in plane units², on the training and the test points. With linear
activations and a bottleneck of 1 the decoded line is the data's first principal axis.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import Any

import numpy as np
import torch

from server.engine import dense
from server.engine.data.split import Split
from server.engine.kinds.base import EpochResult, Snapshot
from server.engine.kinds.generative import (
    AUTOENCODER_CODE,
    SCALE,
    Generative,
    Section,
    frame_body,
    net_key,
    points_of,
    rates,
    stack_of,
)
from server.engine.render import DOMAIN

MANIFOLD_1D, MANIFOLD_2D = 80, 15  # codes along the decoded curve / each side of the sheet
STEP_SECONDS = 0.4e-3  # one minibatch update (2×16 nets), for estimates
MARGIN = 0.1  # the manifold spans the codes' range widened by this fraction each side


class Autoencoder(Generative):
    """Encoder, decoder, their points and where the epoch stands."""

    code = AUTOENCODER_CODE
    options_key = "autoencoder"

    def set_data(self, split: Split) -> None:
        self.split = split
        self.train_x, self.test_x = points_of(split, self.dtype)  # (N, 2) net units
        self.train_y = torch.ones(len(self.train_x))
        self.cursor = 0
        self.order = torch.arange(len(self.train_x))
        self.stack = None  # a stack gathered the old points
        if hasattr(self, "nets"):
            self.refresh_losses()

    def reset(self) -> None:
        o = self.options
        k = o["bottleneck"]
        enc, dec = o["encoder"], o["decoder"]
        self.nets: dict[str, dense.Net] = {
            "encoder": dense.build([2, *enc, k], [*[o["encoder_activation"]] * len(enc), "linear"],
                                   o["optimizer"], self.generator, self.dtype),
            "decoder": dense.build([k, *dec, 2], [*[o["decoder_activation"]] * len(dec), "linear"],
                                   o["optimizer"], self.generator, self.dtype),
        }  # fmt: skip
        self.rng = torch.Generator()
        self.rng.manual_seed(int(torch.randint(0, 2**62, (1,), generator=self.generator)))
        self.epoch = 0
        self.cursor = 0
        self.order = torch.randperm(len(self.train_x), generator=self.rng)
        self.stack = None
        self.refresh_losses()

    def set_options(self, options: Mapping[str, Any]) -> None:
        """A new rate, batch size, input noise or optimizer; the nets stay (a new
        optimizer starts its state over)."""
        old, self.options = self.options, dict(options)
        if options["optimizer"] != old["optimizer"]:
            for name, net in self.nets.items():
                self.nets[name] = dense.Net(
                    net.sizes, net.activations, options["optimizer"], net.flat.clone()
                )
            self.stack = None

    def tensors_identity(self) -> tuple[object, ...]:
        return (self.nets["encoder"].weights[0], self.nets["decoder"].weights[0], self.train_x)

    # -- training -----------------------------------------------------------------------
    def train(
        self, epochs: int, stop: Callable[[], bool] | None = None, kernel: bool = False
    ) -> list[EpochResult]:
        first = self.epoch + 1
        out = train_together([self], epochs, stop)
        return [EpochResult(first + i, float(tr), float(te)) for i, (tr, te) in
                enumerate(out[:, 0].tolist())]  # fmt: skip

    def seconds(self, epochs: int) -> float:
        """About how long ``epochs`` take the worker alone, growing with the minibatches and
        the nets' size (measured on a 2-core CPU: 2×16 nets 0.4 ms a minibatch, 6×16 about
        0.7 ms)."""
        steps = -(-len(self.train_x) // self.options["batch_size"])
        size = sum(int(net.flat.shape[1]) for net in self.nets.values())
        return float(epochs * (steps + 2) * STEP_SECONDS * (0.6 + size / 2000))

    def train_epoch(self) -> EpochResult:
        return self.train(1)[0]

    def refresh_losses(self) -> None:
        self.train_loss = self._loss(self.train_x)
        self.test_loss = self._loss(self.test_x)

    def _loss(self, x: torch.Tensor) -> float:
        if not len(x):
            return math.nan
        out = self.reconstruct(x.unsqueeze(0))[0]
        return float(((out - x) ** 2).mean()) * SCALE**2

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return dense.forward(self.nets["encoder"], x)[0]

    def decode(self, code: torch.Tensor) -> torch.Tensor:
        return dense.forward(self.nets["decoder"], code)[0]

    def reconstruct(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(x))

    # -- as a kind ----------------------------------------------------------------------
    @property
    def fraction(self) -> float:
        n = len(self.train_x)
        return self.cursor / n if n else 0.0

    def metrics(self) -> dict[str, object]:
        return {
            "train_accuracy": None,
            "test_accuracy": None,
            "train_mse": _finite(self.train_loss),
            "test_mse": _finite(self.test_loss),
        }

    def shape_key(self) -> Hashable:
        o = self.options
        return ("autoencoder", net_key(self.nets["encoder"]), net_key(self.nets["decoder"]),
                o["batch_size"], o["input_noise"] > 0, len(self.train_x), len(self.test_x),
                self.dtype, self.device)  # fmt: skip

    def group_key(self) -> Hashable:
        return (self.shape_key(), self.cursor)

    def snapshot(self) -> Snapshot:
        return Snapshot(AUTOENCODER_CODE, None, [], self.epoch, self.train_loss,
                        self.test_loss)  # fmt: skip

    def views(self) -> dict[str, Any]:
        """In plane units: every point (training then test), its reconstruction, its code
        (N, k), and the decoded manifold over the codes' range: a curve (M, 2) for a
        bottleneck of 1, a sheet (M, M, 2) for 2."""
        x = torch.cat([self.train_x, self.test_x]).unsqueeze(0)
        codes = self.encode(x)[0]
        k = self.options["bottleneck"]
        if len(codes):
            low, high = codes.min(0).values, codes.max(0).values
        else:
            low, high = -torch.ones(k, dtype=self.dtype), torch.ones(k, dtype=self.dtype)
        pad = (high - low).clamp(min=1e-6) * MARGIN
        low, high = low - pad, high + pad
        if k == 1:
            grid = torch.linspace(0, 1, MANIFOLD_1D, dtype=self.dtype).reshape(-1, 1)
            shape: tuple[int, ...] = (MANIFOLD_1D,)
        else:
            axis = torch.linspace(0, 1, MANIFOLD_2D, dtype=self.dtype)
            a, b = torch.meshgrid(axis, axis, indexing="ij")
            grid = torch.stack([a.reshape(-1), b.reshape(-1)], dim=1)
            shape = (MANIFOLD_2D, MANIFOLD_2D)
        manifold = self.decode((low + grid * (high - low)).unsqueeze(0))[0]
        return {
            "points": x[0] * SCALE,
            "recon": self.decode(codes.unsqueeze(0))[0] * SCALE,
            "codes": codes,
            "code_range": [low.tolist(), high.tolist()],
            "manifold": manifold.reshape(*shape, 2) * SCALE,
        }

    def frame(self, grid: int) -> bytes:
        v = self.views()
        meta = {"kind": "autoencoder", "domain": DOMAIN, "bottleneck": self.options["bottleneck"],
                "code_range": v["code_range"], "train_points": len(self.train_x)}  # fmt: skip
        return frame_body(meta, [Section("points", v["points"]), Section("recon", v["recon"]),
                                 Section("codes", v["codes"]),
                                 Section("manifold", v["manifold"])])  # fmt: skip


def train_together(
    models: Sequence[Autoencoder], epochs: int, stop: Callable[[], bool] | None = None
) -> np.ndarray:
    """Up to ``epochs`` epochs of every model at once (one group key: one shape, at one
    place in the epoch), asking ``stop()`` after each minibatch; returns both losses
    after each epoch completed, (done, S, 2)."""
    stack = stack_of(models)
    enc, dec = stack.nets["encoder"], stack.nets["decoder"]
    first = models[0]
    o = first.options
    n, batch = len(first.train_x), o["batch_size"]
    rate = rates(models, "learning_rate", first.dtype)
    x_all = torch.stack([m.train_x for m in models])  # (S, N, 2)
    rows = torch.arange(len(models)).unsqueeze(1)
    out: list[np.ndarray] = []
    while len(out) < epochs and n:
        cursor = first.cursor
        end = min(cursor + batch, n)
        index = torch.stack([m.order[cursor:end] for m in models])  # (S, b)
        x = x_all[rows, index]  # (S, b, 2)
        seen = x
        if o["input_noise"] > 0:
            spread = torch.tensor([m.options["input_noise"] / SCALE for m in models],
                                  dtype=first.dtype).reshape(-1, 1, 1)  # fmt: skip
            shape = (1, *x.shape[1:])
            noise = [torch.randn(shape, generator=m.rng, dtype=first.dtype) for m in models]
            seen = x + spread * torch.cat(noise)
        code, enc_cache = dense.forward(enc, seen)
        y, dec_cache = dense.forward(dec, code)
        grad = 2 * (y - x) / (x.shape[1] * 2)  # d(mean squared error)/d(output)
        dec_grads, dcode = dense.backward(dec, dec_cache, grad)
        enc_grads, _ = dense.backward(enc, enc_cache, dcode)
        dense.step(dec, dec_grads, rate)
        dense.step(enc, enc_grads, rate)
        for m in models:
            m.cursor = end
        if end >= n:
            losses = _stack_losses(enc, dec, x_all, torch.stack([m.test_x for m in models]))
            for m, (train, test) in zip(models, losses.tolist(), strict=True):
                m.cursor = 0
                m.epoch += 1
                m.order = torch.randperm(n, generator=m.rng)
                m.train_loss, m.test_loss = train, test
            out.append(losses)
            if not np.isfinite(out[-1][:, 0]).all():
                break
        if stop is not None and stop():
            break
    return np.stack(out) if out else np.zeros((0, len(models), 2))


def _stack_losses(
    enc: dense.Net, dec: dense.Net, train: torch.Tensor, test: torch.Tensor
) -> np.ndarray:
    """Every model's training and test error at once, (S, 2), plane units² (NaN without
    points), as Autoencoder.refresh_losses computes each one's."""

    def error(x: torch.Tensor) -> torch.Tensor:
        if not x.shape[1]:
            return torch.full((x.shape[0],), math.nan, dtype=x.dtype)
        y = dense.forward(dec, dense.forward(enc, x)[0])[0]
        return ((y - x) ** 2).mean((1, 2)) * SCALE**2

    return torch.stack([error(train), error(test)], dim=1).numpy()


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None
