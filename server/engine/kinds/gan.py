"""A generative adversarial network on 2-D points, as GAN Lab shows one: a generator G
maps noise (1-D or 2-D, uniform or Gaussian) to points; a discriminator D scores points
as real (1) or generated (0). An iteration is ``d_steps`` updates of D on a batch of real
and a batch of generated points, then ``g_steps`` updates of G through D.

Losses (s = sigmoid(D's logit)): D minimises −log s(real) − log(1 − s(fake)) (the mean
over each batch); G either the original minimax log(1 − s(fake)), or the non-saturating
−log s(fake); least squares (LSGAN) drops the sigmoid: D ½(D(real) − 1)² + ½D(fake)², G
½(D(fake) − 1)². A frame's "train loss" is D's, its "test loss" G's.

KL and JS divergence between the real and the generated density are estimated on a grid
(DIVERGENCE_GRID cells a side over the plane, from every real point and EVAL_SAMPLES
generated ones, in bits) every DIVERGENCE_EVERY iterations.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Mapping
from typing import Any

import torch

from server.engine import dense
from server.engine.data.split import Split
from server.engine.kinds.base import EpochResult, Snapshot
from server.engine.kinds.gan_math import (
    LOSSES as LOSSES,
)
from server.engine.kinds.gan_math import (
    d_loss,
    density,
    divergence_of,
    g_logit_grad,
    g_loss,
)
from server.engine.kinds.gan_training import DIVERGENCE_EVERY as DIVERGENCE_EVERY
from server.engine.kinds.gan_training import plan, stage, train_together
from server.engine.kinds.generative import (
    GAN_CODE,
    SCALE,
    Generative,
    Section,
    downsample,
    frame_body,
    net_key,
    points_of,
    stack_of,
)
from server.engine.render import DOMAIN, grid_points, quantize_probability

EVAL_SAMPLES = 2000  # generated points the divergences and the frames' samples come from
SHOWN = 300  # generated points a frame shows, with their gradient arrows
MOST_HISTORY = 2000  # divergence entries kept (then every other one)
# for estimates (a 2-core CPU): one update of G or D (2×16, batch 128), one divergence pass
UPDATE_SECONDS, DIVERGENCE_SECONDS = 0.8e-3, 0.6e-3
MANIFOLD_1D, MANIFOLD_2D = 64, 15  # noise values along the line / on each side of the mesh


class Gan(Generative):
    """A GAN, its real points, its sampling stream and its training counters."""

    code = GAN_CODE
    options_key = "gan"

    def set_data(self, split: Split) -> None:
        """Learn these points (training and test points alike are real samples)."""
        self.split = split
        train, test = points_of(split, self.dtype)
        self.real = torch.cat([train, test])  # (N, 2) net units
        self.train_y = torch.ones(len(self.real))  # how many points there are to learn
        self.real_density = density(self.real)
        self.stack = None  # a stack gathered the old points
        if hasattr(self, "nets"):
            self.refresh_losses()

    def reset(self) -> None:
        o = self.options
        k = o["noise_dim"]
        self.nets: dict[str, dense.Net] = {
            "g": dense.build([k, *o["g_hidden"], 2], [*[o["g_activation"]] * len(o["g_hidden"]),
                             "linear"], o["g_optimizer"], self.generator, self.dtype),
            "d": dense.build([2, *o["d_hidden"], 1], [*[o["d_activation"]] * len(o["d_hidden"]),
                             "linear"], o["d_optimizer"], self.generator, self.dtype),
        }  # fmt: skip
        self.rng = torch.Generator()  # batches and noise: a stream of its own, seeded
        self.rng.manual_seed(int(torch.randint(0, 2**62, (1,), generator=self.generator)))
        # fixed noise for the frames' samples and the divergences: the same points move
        fixed = torch.Generator()
        fixed.manual_seed(0)
        self.eval_noise = self._noise(EVAL_SAMPLES, fixed)
        self.epoch = 0  # iterations
        self.cursor = 0  # the next slot of the iteration (gan_training.plan)
        self.partial = [math.nan, math.nan]  # this iteration's D and G losses so far
        self.updates = {"d": 0, "g": 0}
        self.stack = None
        self.divergences: list[tuple[int, float, float]] = []
        self.refresh_losses()
        self.measure()

    def set_options(self, options: Mapping[str, Any]) -> None:
        """New rates, batch, steps or loss; the nets stay (a new optimizer starts over)."""
        old, self.options = self.options, dict(options)
        if (old["d_steps"], old["g_steps"]) != (options["d_steps"], options["g_steps"]):
            self.cursor = 0  # another iteration's slots: the next one starts afresh
        for part in ("g", "d"):
            if options[f"{part}_optimizer"] != old[f"{part}_optimizer"]:
                net = self.nets[part]
                self.nets[part] = dense.Net(
                    net.sizes, net.activations, options[f"{part}_optimizer"], net.flat.clone()
                )
                self.stack = None  # its tensors are its own now
        self.refresh_losses()

    def tensors_identity(self) -> tuple[object, ...]:
        return (self.nets["g"].weights[0], self.nets["d"].weights[0], self.real)

    def _noise(self, count: int, rng: torch.Generator, stack: int = 1) -> torch.Tensor:
        shape = (stack, count, self.options["noise_dim"])
        if self.options["noise"] == "gaussian":
            return torch.randn(shape, generator=rng, dtype=self.dtype)
        return torch.rand(shape, generator=rng, dtype=self.dtype).mul_(2).sub_(1)

    # -- training -----------------------------------------------------------------------
    def train(
        self, epochs: int, stop: Callable[[], bool] | None = None, kernel: bool = False
    ) -> list[EpochResult]:
        """Up to ``epochs`` iterations, asking ``stop()`` after each."""
        first = self.epoch + 1
        out = train_together([self], epochs, stop)
        return [EpochResult(first + i, float(d), float(g)) for i, (d, g) in
                enumerate(out[:, 0].tolist())]  # fmt: skip

    def seconds(self, iterations: int) -> float:
        """About how long ``iterations`` take the worker alone, growing with the batch, the
        nets' size and the steps (measured on a 2-core CPU: the defaults 1.5 ms an
        iteration, 6×16 nets at batch 512 and 10 + 10 steps about 50 ms)."""
        o = self.options
        size = sum(int(net.flat.shape[1]) for net in self.nets.values())
        per_update = UPDATE_SECONDS * (0.5 + o["batch_size"] / 256) * (0.6 + size / 2000)
        updates = max(1, o["d_steps"]) + max(1, o["g_steps"])
        return float(iterations * (per_update * updates + DIVERGENCE_SECONDS / DIVERGENCE_EVERY))

    def train_epoch(self) -> EpochResult:
        return self.train(1)[0]

    def step_part(self, part: str) -> None:
        """One stage alone: D's updates (``part`` "d") or G's ("g"), at least one; the
        iteration count stays."""
        steps = max(1, self.options[f"{part}_steps"])
        stage([self], stack_of([self]), part, steps)
        self.refresh_losses()
        self.measure()

    def refresh_losses(self) -> None:
        """Both losses on a fresh batch of the eval noise and every real point."""
        fake = self._generate(self.eval_noise[:, :SHOWN])
        real_logits = dense.forward(self.nets["d"], self.real.unsqueeze(0))[0]
        fake_logits = dense.forward(self.nets["d"], fake)[0]
        loss = self.options["loss"]
        self.train_loss = float(d_loss(loss, real_logits, fake_logits)[0])
        self.test_loss = float(g_loss(loss, fake_logits)[0])

    def measure(self, divergence: tuple[float, float] | None = None) -> None:
        """Estimate the divergences now (or take ``divergence``, estimated for a whole
        stack at once) and keep them (the chart's history)."""
        kl, js = divergence or self.divergence()
        entry = (self.epoch, kl, js)
        if self.divergences and self.divergences[-1][0] == self.epoch:
            self.divergences[-1] = entry
        else:
            self.divergences = downsample([*self.divergences, entry], MOST_HISTORY)

    def divergence(self) -> tuple[float, float]:
        """KL(real ‖ generated) and JS between them, in bits, on the grid."""
        return divergence_of(self.real_density, self._generate(self.eval_noise)[0])

    def _generate(self, noise: torch.Tensor) -> torch.Tensor:
        return dense.forward(self.nets["g"], noise)[0]  # (1, count, 2) net units

    # -- as a kind ----------------------------------------------------------------------
    @property
    def fraction(self) -> float:
        """How far into the current iteration training is, 0 ≤ fraction < 1."""
        return self.cursor / len(plan(self.options))

    def metrics(self) -> dict[str, object]:
        kl, js = self.divergences[-1][1:] if self.divergences else self.divergence()
        real = torch.sigmoid(dense.forward(self.nets["d"], self.real.unsqueeze(0))[0])
        fake = torch.sigmoid(dense.forward(self.nets["d"], self._generate(self.eval_noise))[0])
        return {
            "train_accuracy": None,
            "test_accuracy": None,
            "kl": _finite(kl),
            "js": _finite(js),
            "d_real": _finite(float(real.mean())),
            "d_fake": _finite(float(fake.mean())),
            "updates": dict(self.updates),
        }

    def shape_key(self) -> Hashable:
        o = self.options
        return ("gan", net_key(self.nets["g"]), net_key(self.nets["d"]), o["loss"], o["noise"],
                o["batch_size"], o["d_steps"], o["g_steps"], len(self.real), self.dtype,
                self.device)  # fmt: skip

    def group_key(self) -> Hashable:
        """Models with equal keys train as one stack: one shape, at one slot."""
        return (self.shape_key(), self.cursor)

    def snapshot(self) -> Snapshot:
        return Snapshot(GAN_CODE, None, [], self.epoch, self.train_loss, self.test_loss)

    def views(self, grid: int) -> dict[str, Any]:
        """What the page draws, in plane units: real and generated samples, the gradient
        on each generated point (where G's step pushes it), D's map (G×G probabilities of
        "real", rows from y = +6 down), and G's manifold (the noise grid mapped through G:
        a curve (M, 2) for 1-D noise, a mesh (M, M, 2) for 2-D)."""
        d = self.nets["d"]
        noise = self.eval_noise[:, :SHOWN]
        fake = self._generate(noise)
        logits, cache = dense.forward(d, fake)
        _, push = dense.backward(d, cache, -g_logit_grad(self.options["loss"], logits), False)
        points = grid_points(grid, self.dtype, "cpu") / SCALE
        scores = dense.forward(d, points.unsqueeze(0))[0].reshape(grid, grid)
        shown = scores.clamp(0, 1) if self.options["loss"] == "least_squares" else scores.sigmoid()
        manifold = self._generate(self._noise_grid())[0]
        return {
            "real": self.real * SCALE,
            "fake": fake[0] * SCALE,
            "push": push[0] * SCALE,
            "dmap": quantize_probability(shown),
            "manifold": manifold.reshape(*self._manifold_shape(), 2) * SCALE,
        }

    def _noise_grid(self) -> torch.Tensor:
        span = 2.5 if self.options["noise"] == "gaussian" else 1.0
        if self.options["noise_dim"] == 1:
            return torch.linspace(-span, span, MANIFOLD_1D, dtype=self.dtype).reshape(1, -1, 1)
        axis = torch.linspace(-span, span, MANIFOLD_2D, dtype=self.dtype)
        a, b = torch.meshgrid(axis, axis, indexing="ij")
        return torch.stack([a.reshape(-1), b.reshape(-1)], dim=1).unsqueeze(0)

    def _manifold_shape(self) -> tuple[int, ...]:
        return (MANIFOLD_1D,) if self.options["noise_dim"] == 1 else (MANIFOLD_2D, MANIFOLD_2D)

    def frame(self, grid: int) -> bytes:
        """The frame body (generative.frame_body) for a view of ``grid`` cells a side."""
        v = self.views(grid)
        kl, js = self.divergences[-1][1:] if self.divergences else (math.nan, math.nan)
        meta = {"kind": "gan", "grid": grid, "domain": DOMAIN, "kl": _finite(kl),
                "js": _finite(js), "updates": self.updates,
                "noise_dim": self.options["noise_dim"]}  # fmt: skip
        return frame_body(meta, [Section("real", v["real"]), Section("fake", v["fake"]),
                                 Section("push", v["push"]), Section("dmap", v["dmap"], "u1"),
                                 Section("manifold", v["manifold"])])  # fmt: skip


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None
