"""Networks trained together in a stack end where they end alone."""

from __future__ import annotations

import dataclasses
import itertools
import math

import pytest
import torch

from server.engine.batched import Stack, group_key, train_together
from server.engine.data import datasets
from server.engine.kinds.mlp import Model
from server.engine.training import Hyper
from tests.helpers.rounding import nudged_drift

MIX = [
    # hidden, activation, batch, regularization, learning rate, rate, dataset, seed
    ([4, 2], "tanh", 10, "none", 0.03, 0.0, "circle", 1),
    # (tanh on xor with x1² inputs up to ~30 is chaotic: a 1e-16 difference grows ~10x
    # per epoch, alone or batched, so it cannot be compared at 1e-12 after 50 epochs)
    ([4, 2], "tanh", 10, "none", 0.1, 0.0, "gauss", 2),
    ([4, 2], "tanh", 10, "none", 0.01, 0.0, "spiral", 3),
    ([8, 8, 8], "relu", 7, "l1", 0.1, 0.01, "circle", 4),
    ([8, 8, 8], "relu", 7, "l1", 0.03, 0.003, "gauss", 5),
    ([3], "sigmoid", 30, "l2", 0.1, 0.03, "xor", 6),
    ([3], "sigmoid", 30, "l2", 0.3, 0.1, "circle", 7),
    ([5, 5], "linear", 1, "l2", 0.01, 0.001, "plane", 8),
    ([5, 5], "linear", 1, "l2", 0.003, 0.003, "multi_gauss", 9),
]


def make(hidden, activation, batch, reg, lr, rate, dataset, seed, device="cpu") -> Model:  # type: ignore[no-untyped-def]
    return Model(
        problem=datasets.DATASETS[dataset].problem,
        features=["x1", "x2", "x1_squared", "sin_x2"],
        hidden=hidden,
        activation=activation,
        hyper=Hyper(lr, batch, reg, rate),
        generator=torch.Generator().manual_seed(seed),
        split=datasets.generate(dataset, 10, 30, seed),
        device=device,
    )


@pytest.mark.parametrize("index", range(len(MIX)))
def test_mix_configs_are_not_chaotic(index: int) -> None:
    """1e-12 parity needs configs that do not amplify rounding (see the comments in MIX):
    alone, a relative nudge of 1e-15 to one weight stays under 1e-13 after 50 epochs."""
    assert nudged_drift(make(*MIX[index]), make(*MIX[index])) <= 1e-13


def test_a_mix_of_configs_trains_the_same_alone_and_batched() -> None:
    alone = [make(*config) for config in MIX]
    together = [make(*config) for config in MIX]
    alone_losses = [[m.train_epoch() for _ in range(50)] for m in alone]
    groups: dict = {}
    for m in together:
        groups.setdefault(group_key(m), []).append(m)
    assert sorted(len(g) for g in groups.values()) == [2, 2, 2, 3]
    batched_losses = {}
    for group in groups.values():
        out = train_together(group, 50)
        for i, m in enumerate(group):
            batched_losses[id(m)] = out[:, i].tolist()
    for a, b, history in zip(alone, together, alone_losses, strict=True):
        assert b.epoch == a.epoch == 50
        for r, (train, test) in zip(history, batched_losses[id(b)], strict=True):
            assert abs(r.train_loss - train) <= 1e-12 and abs(r.test_loss - test) <= 1e-12
        for wa, wb in itertools.chain(
            zip(a.net.weights, b.net.weights, strict=True),
            zip(a.net.biases, b.net.biases, strict=True),
        ):
            assert torch.max(torch.abs(wa - wb)) <= 1e-12
        assert a.net.dead_links() == b.net.dead_links()
    assert any(m.net.dead_links() for m in together)  # L1 really killed links


def test_carry_continues_across_calls() -> None:
    """Leftover points (batch 28 over 150 points: 10) carry across separate calls."""
    alone, *pair = (make([3], "tanh", 28, "none", 0.1, 0.0, "circle", 3) for _ in range(3))
    for _ in range(7):
        alone.train_epoch()
    train_together(pair, 3)
    train_together(pair, 4)
    for m in pair:
        assert m.acc.count == alone.acc.count == 10
        assert torch.max(torch.abs(m.net.weights[0] - alone.net.weights[0])) <= 1e-12


def test_models_move_between_stacks_and_alone() -> None:
    """A model's tensors live in a stack after batched training; training it alone, editing
    a weight in place and regrouping it with others all keep exact semantics."""
    config = ([4, 2], "tanh", 10, "l1", 0.1, 0.003, "circle", 11)
    reference = make(*config)
    a, b, c = (make(*config) for _ in range(3))
    for _ in range(3):
        reference.train_epoch()
    reference.net.weights[1][0, 1] = 0.25  # an edit between trainings
    for _ in range(4):
        reference.train_epoch()

    train_together([a, b], 2)
    a.train_epoch()  # alone, on its views into the stack
    a.net.weights[1][0, 1] = 0.25
    train_together([c, a], 4)  # regrouped with another model, in another order
    assert a.epoch == reference.epoch == 7
    for mine, theirs in zip(a.net.weights, reference.net.weights, strict=True):
        assert torch.max(torch.abs(mine - theirs)) <= 1e-12
    assert abs(a.train_loss - reference.train_loss) <= 1e-12


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU (CUDA graph path)")
def test_cuda_graph_epochs_match_training_alone() -> None:
    """On a GPU a stack replays each epoch as a CUDA graph; the numbers must not change."""
    configs = [c for c in MIX if c[2] > 1]  # batch-1 sets are slow and add nothing here

    for config in configs:
        alone, *group = (make(*config, device="cuda") for _ in range(3))
        history = [alone.train_epoch() for _ in range(30)]
        out = torch.cat([train_together(group, 10), train_together(group, 20)]).cpu()
        assert isinstance(group[0].stack.graph, torch.cuda.CUDAGraph)  # type: ignore[union-attr]
        for e, r in enumerate(history):
            assert abs(r.train_loss - float(out[e, 0, 0])) <= 1e-12
        for mine, theirs in zip(group[1].net.weights, alone.net.weights, strict=True):
            assert torch.max(torch.abs(mine - theirs)) <= 1e-12


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU (CUDA graph path)")
def test_a_rate_change_reaches_a_captured_cuda_graph() -> None:
    """The graph reads the stack's rate tensors where they were at capture: a rate copied
    in place must change the next replay, exactly as training alone with the new rate."""
    config = MIX[6]
    alone, *group = (make(*config, device="cuda") for _ in range(3))
    for _ in range(30):
        alone.train_epoch()
    train_together(group, 10)
    train_together(group, 20)
    stack = group[0].stack
    assert isinstance(stack, Stack) and isinstance(stack.graph, torch.cuda.CUDAGraph)
    for m in (alone, group[1]):
        m.set_hyper(dataclasses.replace(m.hyper, learning_rate=0.05, regularization_rate=0.3))
    history = [alone.train_epoch() for _ in range(10)]
    out = train_together(group, 10).cpu()
    assert group[0].stack is stack and stack.rebuilds_avoided == 1
    for e, r in enumerate(history):
        assert abs(r.train_loss - float(out[e, 1, 0])) <= 1e-12
    for mine, theirs in zip(group[1].net.weights, alone.net.weights, strict=True):
        assert torch.max(torch.abs(mine - theirs)) <= 1e-12


def test_stack_hands_out_every_models_parameters_at_once() -> None:
    models = [make([3, 2], "tanh", 10, "none", 0.1, 0.0, "circle", seed) for seed in (1, 2, 3)]
    train_together(models, 2)
    stack = models[0].stack
    assert stack is not None
    rows = stack.host_params()  # type: ignore[attr-defined]
    for m in models:
        i = stack.position(m)  # type: ignore[attr-defined]
        expected = torch.cat([w.reshape(-1) for w in m.net.weights] + list(m.net.biases))
        assert torch.equal(rows[i], expected)
    models[1].reset()  # rebuilt: its tensors no longer live in the stack
    assert stack.position(models[1]) is None  # type: ignore[attr-defined]


def test_stack_measures_accuracy_for_frames_like_the_metrics() -> None:
    from server.engine.metrics import evaluate

    models = [make([4, 2], "tanh", 10, "none", 0.1, 0.0, "xor", seed) for seed in (1, 2)]
    train_together(models, 5, now=100.0)  # the first call with a time measures
    for m in models:
        assert m.accuracy is not None and m.accuracy[0] == m.epoch == 5
        assert m.accuracy[3] == 100.0  # stamped with the caller's time: no clock read
        full = evaluate(
            m.net, m.problem, m.classes, (m.train_inputs, m.train_y), (m.test_inputs, m.test_y)
        )
        assert m.accuracy[1:3] == pytest.approx((full["train_accuracy"], full["test_accuracy"]))
    stack = models[0].stack
    assert isinstance(stack, Stack) and stack.accuracy_every == 0.25
    # within accuracy_every of the last measurement, a call keeps it (the frame shows it)
    train_together(models, 1, now=100.2)
    assert [m.accuracy[0] for m in models] == [5, 5]  # type: ignore[index]
    train_together(models, 1, now=100.25)
    assert [m.accuracy[0] for m in models] == [7, 7]  # type: ignore[index]
    train_together(models, 1)  # no time given: no measurement, whatever the interval
    assert [m.accuracy[0] for m in models] == [7, 7]  # type: ignore[index]
    assert models[0].stack is stack
    models[0].weights_changed()  # an edit: the stack's measurement no longer holds
    assert models[0].accuracy is None


def test_the_accuracy_interval_is_the_callers() -> None:
    models = [make([4, 2], "tanh", 10, "none", 0.1, 0.0, "xor", seed) for seed in (1, 2)]
    train_together(models, 1, now=0.0, accuracy_every=math.inf)
    train_together(models, 1, now=1e9)  # the stack keeps the interval it was made with
    assert [m.accuracy[0] for m in models] == [1, 1]  # type: ignore[index]
    every = Stack(models, accuracy_every=0.0)
    every.train(1, now=0.0)
    assert [m.accuracy[0] for m in models] == [3, 3]  # type: ignore[index]
    assert Stack(models, graphs=False).use_graph is False


def test_a_rate_change_keeps_the_stack_and_each_models_own_rate() -> None:
    """One student moves the learning-rate and regularization sliders: the group's stack
    stays (its rates are tensors, copied in at each call), and every model still trains
    with its own rates, to 1e-12 against training alone."""
    configs = [MIX[5], MIX[6]]  # sigmoid, batch 30, L2: both rates matter
    alone = [make(*c) for c in configs]
    together = [make(*c) for c in configs]
    assert group_key(together[0]) == group_key(together[1])
    for m in alone:
        for _ in range(3):
            m.train_epoch()
    train_together(together, 3)
    stack = together[0].stack
    assert isinstance(stack, Stack)
    for m in (alone[1], together[1]):
        m.set_hyper(dataclasses.replace(m.hyper, learning_rate=0.05, regularization_rate=0.3))
    assert stack.holds(together)
    history = [[m.train_epoch() for _ in range(4)] for m in alone]
    out = train_together(together, 4)
    assert together[0].stack is stack and together[1].stack is stack
    assert stack.rebuilds_avoided == 1
    for i, (a, b) in enumerate(zip(alone, together, strict=True)):
        for e, r in enumerate(history[i]):
            assert abs(r.train_loss - float(out[e, i, 0])) <= 1e-12
            assert abs(r.test_loss - float(out[e, i, 1])) <= 1e-12
        for x, y in zip(
            [*a.net.weights, *a.net.biases], [*b.net.weights, *b.net.biases], strict=True
        ):
            assert torch.max(torch.abs(x - y)) <= 1e-12
    # the new rate really took: the changed model moved away from an unchanged twin
    twin = make(*configs[1])
    train_together([together[0], twin], 7)  # (a new stack: another pair of models)
    assert torch.max(torch.abs(twin.net.weights[0] - together[1].net.weights[0])) > 1e-3


def test_a_change_of_structure_still_rebuilds() -> None:
    """Batch size, regularization and optimizer shape the epoch: a stack whose models all
    changed one of them is no longer theirs."""
    models = [make(*MIX[5]), make(*MIX[6])]
    train_together(models, 1)
    stack = models[0].stack
    assert isinstance(stack, Stack) and stack.holds(models)
    for m in models:
        m.set_hyper(dataclasses.replace(m.hyper, batch_size=7))
    assert not stack.holds(models)
    train_together(models, 1)
    assert models[0].stack is not stack


def test_a_stack_trained_in_slices_ends_where_whole_epochs_do() -> None:
    """The worker cuts a stack's epochs into slices as it cuts one model's: the cursor is
    part of the group key, and every model of the stack ends bit for bit where the same
    stack trained in whole epochs ends."""
    configs = [MIX[3], MIX[4]]  # relu, batch 7, L1: carry and dead links
    alone = [make(*c) for c in configs]  # stacked too, trained in whole epochs
    stacked = [make(*c) for c in configs]
    assert group_key(stacked[0]) == group_key(stacked[1])
    train_together(alone, 5)
    calls, done = 0, 0
    left = [0]

    def stop() -> bool:
        left[0] -= 1
        return left[0] <= 0

    while done < 5:
        left[0] = 3 + calls % 5  # 3..7 slots per call: epochs end at every offset
        done += len(train_together(stacked, 5 - done, stop))
        calls += 1
        assert len({group_key(m) for m in stacked}) == 1
    assert calls > 5
    for a, s in zip(alone, stacked, strict=True):
        assert s.epoch == a.epoch == 5 and s.cursor == 0
        assert (s.train_loss, s.test_loss) == (a.train_loss, a.test_loss)
        for x, y in zip(
            [*a.net.weights, *a.net.biases], [*s.net.weights, *s.net.biases], strict=True
        ):
            assert torch.equal(x, y)


def test_a_stack_asked_for_endless_epochs_trains_until_stopped() -> None:
    """Sessions at "max" ask for as many epochs as time allows (10⁹): the stack must not
    size anything by the count asked (16 GB per session), only by the epochs done."""
    stacked = [make(*MIX[0]), make(*MIX[1])]
    slots = [20]

    def stop() -> bool:
        slots[0] -= 1
        return slots[0] <= 0

    out = train_together(stacked, 10**9, stop)
    assert out.shape == (1, 2, 2)  # 15 slots an epoch: one epoch done, then 5 slots
    assert all(m.epoch == 1 and m.cursor == 50 for m in stacked)
