"""A network together with its data and training state: everything one epoch needs."""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import Any

import numpy as np
import torch

from server.engine import compiled, metrics
from server.engine.data import datasets
from server.engine.features import canonical, make_inputs
from server.engine.kinds.base import EpochResult as EpochResult
from server.engine.kinds.base import Snapshot
from server.engine.network import Network, Uniform, build
from server.engine.objectives import output_activation, output_size
from server.engine.optimizers import OptState
from server.engine.training import Accumulator, Hyper, loss, train_chunk

MLP_CODE = 0  # the kind byte of an MLP's frames


class Model:
    """Data, network, the gradient carry and the optimizer's state of one training run
    (float64 by default). ``classes`` > 2 needs the cross_entropy loss (k softmax outputs);
    ``layer_activations`` overrides ``activation`` per hidden layer (None: keep it)."""

    def __init__(
        self,
        *,
        problem: str,
        features: Sequence[str],
        hidden: Sequence[int],
        activation: str,
        hyper: Hyper,
        generator: torch.Generator | Uniform,
        split: datasets.Split,
        dtype: torch.dtype = torch.float64,
        device: torch.device | str = "cpu",
        classes: int = 2,
        loss: str = "mse",
        layer_activations: Sequence[str | None] = (),
        init_zero: bool = False,
    ) -> None:
        assert classes == 2 or (problem == "classification" and loss == "cross_entropy")
        self.problem = problem
        self.features = canonical(features)
        self.hidden = list(hidden)
        self.activation = activation
        self.classes = classes
        self.loss = loss
        self.layer_activations = list(layer_activations)
        self.hyper = hyper
        self.generator = generator
        self.init_zero = init_zero  # TFP's initZero: every fresh network starts at 0
        self.dtype = dtype
        self.device = torch.device(device)
        self.set_data(split)
        self.reset()

    @classmethod
    def from_options(
        cls,
        options: Mapping[str, Any],
        split: datasets.Split,
        generator: torch.Generator | Uniform,
        dtype: torch.dtype = torch.float64,
        device: torch.device | str = "cpu",
    ) -> Model:
        """A model from a config's fields (``Config.model_dump()``; missing ones take the
        config's defaults) and its points: engine/kinds/registry.py's builder."""
        return cls(
            problem=options.get("problem", "classification"),
            features=options.get("features", ("x1", "x2")),
            hidden=options.get("hidden", (4, 2)),
            activation=options.get("activation", "tanh"),
            hyper=Hyper.from_options(options),
            generator=generator,
            split=split,
            dtype=dtype,
            device=device,
            classes=options.get("classes", 2),
            loss=options.get("loss", "mse"),
            layer_activations=options.get("layer_activations", ()),
            init_zero=options.get("init_zero", False),
        )

    # -- data ---------------------------------------------------------------------------
    def set_data(self, split: datasets.Split) -> None:
        """Use these points from now on (the network is kept; losses are recomputed)."""
        self.split = split

        def tensor(array: np.ndarray) -> torch.Tensor:
            return torch.as_tensor(array, dtype=self.dtype, device=self.device)

        self.train_x, self.train_y = tensor(split.train_x), tensor(split.train_y)
        self.test_x, self.test_y = tensor(split.test_x), tensor(split.test_y)
        self.train_inputs = make_inputs(self.train_x.reshape(-1, 2), self.features)
        self.test_inputs = make_inputs(self.test_x.reshape(-1, 2), self.features)
        self.cursor = 0  # new points: the next epoch starts from the first
        if hasattr(self, "net"):
            self.accuracy: tuple[int, float, float, float] | None = None  # measured on other points
            self.refresh_losses()

    # -- network ------------------------------------------------------------------------
    def reset(self) -> None:
        """Fresh weights from the generator's stream; epoch 0; no carried gradients."""
        sizes = [len(self.features), *self.hidden, output_size(self.problem, self.classes)]
        self.net: Network = build(
            sizes,
            self.activation,
            output_activation(self.problem, self.loss, self.classes),
            self.generator,
            self.dtype,
            self.device,
            self.layer_activations,
            self.init_zero,
        )
        self.acc = Accumulator.zeros(self.net)
        self.opt = OptState.zeros(self.net, self.hyper.optimizer)
        self.epoch = 0
        # where the next minibatch slot of the current epoch starts (0: at an epoch's start);
        # an epoch may span several calls of train() when a worker shares its time
        self.cursor = 0
        self.stack: object | None = None  # the batched.Stack this model's tensors live in
        self.bound: compiled.Bound | None = None  # the kernel's buffers they live in
        # (epoch, train accuracy, test accuracy, the caller's time) of the last measurement
        # by batched training (engine/batched.py), for frames; None after any edit
        self.accuracy = None
        self.refresh_losses()

    def set_hyper(self, hyper: Hyper) -> None:
        """New step settings; the weights stay. A new optimizer or optimizer setting starts
        the optimizer's state over (the carried gradients stay, as TFP keeps them)."""
        fresh = hyper.optimizer_settings() != self.hyper.optimizer_settings()
        self.hyper = hyper
        if fresh:
            self.opt = OptState.zeros(self.net, hyper.optimizer)

    def refresh_losses(self) -> None:
        self.train_loss = loss(self.net, self.train_inputs, self.train_y)
        self.test_loss = loss(self.net, self.test_inputs, self.test_y)

    def weights_changed(self) -> None:
        """Call after editing weights by hand: drops carried gradients and the optimizer's
        state, recomputes losses."""
        self.acc = Accumulator.zeros(self.net)
        self.opt = OptState.zeros(self.net, self.hyper.optimizer)
        self.accuracy = None
        self.refresh_losses()

    def metrics(self) -> dict[str, object]:
        """Accuracy, per-class accuracy and confusion (classification) or R² (regression),
        on the training and the test points (engine/metrics.py)."""
        return metrics.evaluate(
            self.net,
            self.problem,
            self.classes,
            (self.train_inputs, self.train_y),
            (self.test_inputs, self.test_y),
        )

    # -- training -----------------------------------------------------------------------
    def train_epoch(self) -> EpochResult:
        """One epoch (the rest of the current one, if it is under way), then both losses
        (as TFP computes them after every epoch)."""
        return self.train(1)[0]

    def train(
        self, epochs: int, stop: Callable[[], bool] | None = None, kernel: bool = False
    ) -> list[EpochResult]:
        """Up to ``epochs`` epochs, one minibatch slot at a time; after each slot ``stop()``
        may end the call, mid-epoch (the next call goes on from there, with the same
        numbers as an epoch trained in one go). Returns the epochs completed, each with
        both losses; stops after an epoch whose train loss is not finite.

        ``kernel``: train with the compiled CPU kernel (engine/compiled.py) when it can
        (ready, CPU, float64), asking ``stop()`` every half millisecond or so instead; the
        numbers equal the torch engine's to rounding (≤ 1e-12 after 50 epochs)."""
        if kernel and compiled.usable(self):
            return self._train_compiled(epochs, stop)
        done: list[EpochResult] = []
        count = self.train_y.shape[-1]
        while len(done) < epochs:
            if count:  # (no points: an epoch is empty, as in TFP)
                self.cursor = train_chunk(
                    self.net, self.acc, self.train_inputs, self.train_y, self.hyper, self.opt,
                    self.cursor,
                )  # fmt: skip
            if self.cursor >= count:
                self.cursor = 0
                self.epoch += 1
                self.refresh_losses()
                done.append(EpochResult(self.epoch, self.train_loss, self.test_loss))
                if not math.isfinite(self.train_loss):
                    break
            if stop is not None and stop():
                break
        return done

    def tensors_identity(self) -> tuple[object, ...]:
        """What any replacement of this model's tensors changes, for a stack or the kernel
        holding views of them: the network, accumulator and optimizer objects, the data,
        and the first weight tensor (every code path that swaps weights — set_layers, a
        rebuild — swaps that one too). Not the step settings: they are read each call."""
        return (self.net, self.acc, self.opt, self.train_inputs, self.test_inputs,
                self.net.weights[0])  # fmt: skip

    def _train_compiled(self, epochs: int, stop: Callable[[], bool] | None) -> list[EpochResult]:
        if self.bound is None or not self.bound.holds(self):
            self.bound = compiled.Bound(self)
        losses = self.bound.train(self, epochs, stop)
        if not len(losses):
            return []
        first = self.epoch + 1
        self.epoch += len(losses)
        self.train_loss, self.test_loss = float(losses[-1, 0]), float(losses[-1, 1])
        return [
            EpochResult(first + i, train, test) for i, (train, test) in enumerate(losses.tolist())
        ]

    @property
    def fraction(self) -> float:
        """How far into the current epoch training is, 0 ≤ fraction < 1."""
        count = self.train_y.shape[-1]
        return self.cursor / count if count else 0.0

    # -- as a kind (engine/kinds/base.py) -----------------------------------------------
    def shape_key(self) -> Hashable:
        """What a model's cost per epoch depends on, and what models stacked together
        must share besides their place in the epoch (group_key). The rates and the
        optimizer's settings are not part of it: a stack holds them as tensors."""
        return (
            tuple(self.net.sizes),  # the output size carries the class count
            self.net.hidden_activations,
            self.net.output_activation,  # with the sizes: the loss
            self.loss,
            self.hyper.optimizer,
            tuple(self.opt.slots),
            self.hyper.batch_size,
            self.hyper.regularization,
            self.train_y.shape[-1],
            self.test_y.shape[-1],
            self.dtype,
            self.device,
        )

    def group_key(self) -> Hashable:
        """Models with equal keys can train together (engine/batched.py): one shape, at
        one place in the epoch (one slot sequence for the whole stack)."""
        return (self.shape_key(), self.acc.count, self.cursor)

    def snapshot(self) -> Snapshot:
        """The network and numbers a frame shows now."""
        return Snapshot(
            MLP_CODE, self.net, self.features, self.epoch, self.train_loss, self.test_loss
        )
