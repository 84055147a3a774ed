"""Train many networks of one shape as one: their tensors stacked on a leading session
dimension S, so one set of torch operations advances all of them.

The arithmetic per network is exactly training.py's (the same functions run on the
stacks), so a network trained in a group ends where it would alone, to rounding.
Rates and optimizer settings travel as (S, 1) tensors, refreshed from the models at
every call (the numbers of each model whose settings changed are copied in): a
learning-rate change by one model keeps the stack.
The optimizer's state and the carried gradients are stacked and written back like the
weights. The engine reads no clock: a caller that wants accuracy measured passes its time.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Hashable, Sequence

import torch

from server.engine.kinds.mlp import Model
from server.engine.metrics import accuracies
from server.engine.network import Network
from server.engine.optimizers import SETTINGS, OptState
from server.engine.training import Accumulator, Hyper, losses, train_chunk, train_epoch


def group_key(model: Model) -> Hashable:
    """Models with equal keys can train together (Model.group_key)."""
    return model.group_key()


RATES = ("learning_rate", "regularization_rate", *SETTINGS)  # per model, in the stack's rates
GRAPHS = True  # capture epochs as CUDA graphs on a GPU
# seconds between accuracy measurements of the whole stack: a forward pass over every
# point of every model, for the frames' header (at 1,000 sessions on the CPU, measuring
# it after every call cost a quarter of the training time)
ACCURACY_EVERY = 0.25


class Stack:
    """Models of one group_key gathered on a leading dimension S.

    The models' own tensors are rebound to views into the stack, so training the stack
    trains them with nothing copied back, and the next call finds the stack ready as
    long as no model was rebuilt or had tensors replaced (``holds``)."""

    def __init__(
        self,
        models: Sequence[Model],
        *,
        graphs: bool = GRAPHS,
        accuracy_every: float = ACCURACY_EVERY,
    ) -> None:
        """``graphs``: capture epochs as CUDA graphs on a GPU; ``accuracy_every``: seconds
        of the caller's clock between accuracy measurements (see ``train``)."""
        first = models[0]
        self.accuracy_every = accuracy_every
        self.models = list(models)
        layers = range(len(first.net.weights))

        def stack(get: object) -> list[torch.Tensor]:
            return [torch.stack([get(m, layer) for m in models]) for layer in layers]  # type: ignore[operator]

        self.net = Network(
            stack(lambda m, layer: m.net.weights[layer]),  # (S, out, in)
            stack(lambda m, layer: m.net.biases[layer]),  # (S, out)
            stack(lambda m, layer: m.net.alive[layer]),
            first.activation,
            first.net.output_activation,
            list(first.net.layer_activations),
        )
        self.acc = Accumulator(
            stack(lambda m, layer: m.acc.weights[layer]),
            stack(lambda m, layer: m.acc.biases[layer]),
            first.acc.count,
        )
        params = len(first.net.weights) + len(first.net.biases)
        self.opt = OptState(
            {
                name: [torch.stack([m.opt.slots[name][i] for m in models]) for i in range(params)]
                for name in first.opt.slots
            },
            torch.stack([m.opt.steps.reshape(1) for m in models]),  # (S, 1)
        )

        # (S, 1) per rate and optimizer setting, contiguous, refreshed in place each call
        self.rates = {
            name: torch.empty(len(models), 1, dtype=first.dtype, device=first.device)
            for name in RATES
        }
        self._hypers: list[Hyper | None] = [None] * len(models)  # what self.rates holds
        self._refresh_rates()
        self.hyper = Hyper(
            batch_size=first.hyper.batch_size,
            regularization=first.hyper.regularization,
            optimizer=first.hyper.optimizer,
            **self.rates,
        )
        self.train_x = torch.stack([m.train_inputs for m in models])  # (S, N, F)
        self.train_y = torch.stack([m.train_y for m in models])  # (S, N)
        self.test_x = torch.stack([m.test_inputs for m in models])
        self.test_y = torch.stack([m.test_y for m in models])
        for i, m in enumerate(models):
            for layer in layers:
                m.net.weights[layer] = self.net.weights[layer][i]
                m.net.biases[layer] = self.net.biases[layer][i]
                m.net.alive[layer] = self.net.alive[layer][i]
                m.acc.weights[layer] = self.acc.weights[layer][i]
                m.acc.biases[layer] = self.acc.biases[layer][i]
            for name, tensors in self.opt.slots.items():
                m.opt.slots[name] = [t[i] for t in tensors]
            m.opt.steps = self.opt.steps[i]
            m.stack = self
        self._bindings = [m.tensors_identity() for m in models]
        self._index = {id(m): i for i, m in enumerate(models)}
        self._losses = torch.empty(len(models), 2, dtype=first.dtype, device=first.device)
        # CUDA graphs: None until captured, False if capture failed or is not wanted
        self.use_graph = first.device.type == "cuda" and graphs
        self.graph: torch.cuda.CUDAGraph | bool | None = None
        self._graph_count = 0
        self._calls = 0  # train() calls so far
        self._epoch_starts_with = 0  # carried points at the start of the epoch under way
        self._epochs_alike = 0  # epochs that ended with the carried count they began with
        self._measured = -math.inf  # the caller's time of the last accuracy measurement
        self.rebuilds_avoided = 0  # calls that found a model's rates changed, kept the stack

    _FIRST_WEIGHT = 5  # where m.net.weights[0] sits in a binding (Model.tensors_identity)

    def _refresh_rates(self) -> bool:
        """Copy the rates of every model whose step settings changed (Model.set_hyper gives
        it a new Hyper) into ``self.rates``, in place (CUDA graphs keep their addresses);
        True if any changed. Checking is S identity tests, so every call can afford it."""
        changed = [i for i, m in enumerate(self.models) if m.hyper is not self._hypers[i]]
        if not changed:
            return False
        rows = []
        for i in changed:
            self._hypers[i] = hyper = self.models[i].hyper
            rows.append([float(getattr(hyper, name)) for name in RATES])
        like = self.rates[RATES[0]]
        index = torch.tensor(changed, device=like.device)
        values = torch.tensor(rows, dtype=like.dtype).to(like.device)  # (changed, R)
        for column, name in enumerate(RATES):
            self.rates[name].index_copy_(0, index, values[:, column : column + 1])
        return True

    def position(self, model: Model) -> int | None:
        """Where ``model`` sits in the stack, if its tensors still live here."""
        i = self._index.get(id(model))
        if i is None or model.net.weights[0] is not self._bindings[i][self._FIRST_WEIGHT]:
            return None
        return i

    def host_params(self) -> torch.Tensor:
        """(S, P) float64 on the CPU: each model's weights then biases, flattened, in one
        transfer (a frame needs them; per model it would be one device sync each)."""
        flat = [w.reshape(len(self.models), -1) for w in [*self.net.weights, *self.net.biases]]
        return torch.cat(flat, dim=1).to("cpu", torch.float64)

    def holds(self, models: Sequence[Model]) -> bool:
        """Are exactly these models, in this order, still bound to this stack?"""
        if len(models) != len(self.models):
            return False
        structure = (self.hyper.batch_size, self.hyper.regularization, self.hyper.optimizer)
        for m, mine, binding in zip(models, self.models, self._bindings, strict=True):
            if m is not mine or not all(map(operator.is_, m.tensors_identity(), binding)):
                return False
            if (m.hyper.batch_size, m.hyper.regularization, m.hyper.optimizer) != structure:
                return False
        return True

    def _epoch(self) -> None:
        train_epoch(self.net, self.acc, self.train_x, self.train_y, self.hyper, self.opt)
        self._losses[:, 0] = losses(self.net, self.train_x, self.train_y)
        self._losses[:, 1] = losses(self.net, self.test_x, self.test_y)

    def _capture(self) -> None:
        """Record one epoch as a CUDA graph: hundreds of small kernels become one launch.

        Valid because every epoch from here on runs the same kernels on the same tensors:
        the carried point count is the same at each epoch's start and end (group_key
        holds it), and every rate lives in a tensor."""
        count = self.acc.count
        graph = torch.cuda.CUDAGraph()
        try:
            with torch.cuda.graph(graph):
                self._epoch()
        except RuntimeError:  # something in the epoch cannot be captured: stay eager
            self.graph = False
            return
        finally:
            self.acc.count = count  # capturing ran the bookkeeping, not the arithmetic
        self.graph, self._graph_count = graph, count

    def train(
        self, epochs: int, stop: Callable[[], bool] | None = None, now: float | None = None
    ) -> torch.Tensor:
        """Up to ``epochs`` epochs of every model, one minibatch slot at a time (whole
        epochs on a GPU, where an epoch is a CUDA graph); after each ``stop()`` may end the
        call, mid-epoch. Losses after each epoch completed, (done, S, 2). Each model's
        current rates apply. ``now`` (the caller's clock, in seconds): measure the
        accuracy of every classifier when ``accuracy_every`` has passed since the last
        measurement, stamped with it in ``Model.accuracy``; None: no measurement."""
        first = self.models[0]
        if self._refresh_rates() and self._calls:
            self.rebuilds_avoided += 1
        self.acc.count = first.acc.count
        cursor, count = first.cursor, self.train_x.shape[-2]
        out: list[torch.Tensor] = []  # (S, 2) per epoch completed (``epochs`` may be huge)
        try:
            while len(out) < epochs:
                if cursor == 0 and self._graph_ready():
                    self.graph.replay()  # type: ignore[union-attr]
                    out.append(self._losses.clone())
                else:
                    if cursor == 0:
                        self._epoch_starts_with = self.acc.count
                    if count:
                        cursor = train_chunk(
                            self.net, self.acc, self.train_x, self.train_y, self.hyper,
                            self.opt, cursor,
                        )  # fmt: skip
                    if cursor >= count:
                        cursor = 0
                        out.append(self._epoch_losses())
                        if self.acc.count == self._epoch_starts_with:
                            self._epochs_alike += 1  # every epoch from here runs alike
                if stop is not None and stop():
                    break
        finally:  # written back even if a slot failed: the models stay consistent
            for m in self.models:
                m.acc.count, m.cursor = self.acc.count, cursor
        done = len(out)
        self._calls += 1
        if not done:
            return torch.empty(0, len(self.models), 2, dtype=first.dtype, device=first.device)
        losses = torch.stack(out)  # (done, S, 2)
        last = [losses[-1, :, 0], losses[-1, :, 1]]
        measure = (
            now is not None
            and first.problem == "classification"
            and now - self._measured >= self.accuracy_every
        )
        if measure:
            assert now is not None  # accuracy for the frames, of the whole stack
            self._measured = now
            last += [
                accuracies(self.net, first.classes, self.train_x, self.train_y),
                accuracies(self.net, first.classes, self.test_x, self.test_y),
            ]
        final = torch.stack(last, dim=1).tolist()  # one transfer for the whole group
        for m, (train, test, *right) in zip(self.models, final, strict=True):
            m.epoch += done
            m.train_loss, m.test_loss = train, test
            if right:
                m.accuracy = (m.epoch, *right, now)
        return losses

    def _epoch_losses(self) -> torch.Tensor:
        """(S, 2) both losses of every model, now."""
        return torch.stack(
            [
                losses(self.net, self.train_x, self.train_y),
                losses(self.net, self.test_x, self.test_y),
            ],
            dim=1,
        )

    def _graph_ready(self) -> bool:
        """Can the epoch starting now be one CUDA graph replay? Captured once the stack has
        proved to last (a second call) and epochs run alike (the carried point count is the
        same at an epoch's start and end); until then, and off a GPU, epochs run slot by
        slot, so a turn can end mid-epoch."""
        if isinstance(self.graph, torch.cuda.CUDAGraph):
            return self.acc.count == self._graph_count
        if self.graph is None and self.use_graph and self._calls and self._epochs_alike:
            self._capture()
            return isinstance(self.graph, torch.cuda.CUDAGraph)
        return False


def train_together(
    models: Sequence[Model],
    epochs: int,
    stop: Callable[[], bool] | None = None,
    now: float | None = None,
    *,
    graphs: bool = GRAPHS,
    accuracy_every: float = ACCURACY_EVERY,
) -> torch.Tensor:
    """Train every model up to ``epochs`` epochs at once (all must share a group_key);
    ``stop`` and ``now`` as in Stack.train, ``graphs`` and ``accuracy_every`` as Stack's
    (for a stack made by this call).

    Returns the losses after each epoch completed, (done, S, 2): train, test. The models'
    weights, dead links, carried gradients, epoch counters and cursors are updated in place
    (their tensors become views into a Stack kept for the next call with the same models)."""
    stack = models[0].stack
    if not isinstance(stack, Stack) or not stack.holds(models):
        stack = Stack(models, graphs=graphs, accuracy_every=accuracy_every)
    return stack.train(epochs, stop, now)
