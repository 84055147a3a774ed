"""The compiled kernel as Model.train uses it (engine/compiled.py): trained in slices, in
turns with the torch engine and with stacks, after edits and restores, it ends where the
torch engine alone ends (to 1e-12), on the model's own tensors."""

from __future__ import annotations

import itertools
import math

import pytest
import torch

pytest.importorskip("numba")

from server.engine import compiled
from server.engine.batched import train_together
from server.formats.export import load_training_state, training_state
from server.protocol.rest import TrainingState
from server.sessions.session import Session
from tests.engine.test_kernel import assert_same, pair

HARD = {"optimizer": "adam", "learning_rate": 0.01, "regularization": "l1",
        "regularization_rate": 0.003, "batch_size": 7, "hidden": [5, 3]}  # fmt: skip


@pytest.fixture(scope="module", autouse=True)
def compiled_kernel() -> None:
    compiled.prepare(background=False)


def test_a_stop_after_every_call_slices_epochs_and_changes_no_number() -> None:
    mine, theirs = pair(HARD)
    compiled.CHUNK, saved = 1e-9, compiled.CHUNK  # a call of one point at a time
    calls = itertools.count()
    try:
        done = []
        while len(done) < 5:
            done += mine.model.train(5 - len(done), stop=lambda: next(calls) >= 0, kernel=True)
    finally:
        compiled.CHUNK = saved
    assert next(calls) > 5 * mine.model.train_y.shape[-1] // 2  # many calls per epoch
    theirs.model.train(5)
    assert_same(mine, theirs)


def test_the_kernel_and_torch_take_turns_mid_epoch() -> None:
    mine, theirs = pair(HARD)
    for i in range(40):
        slots = iter(range(3 + i % 4))  # torch trains a few slots, then the kernel a chunk
        mine.model.train(1, stop=lambda s=slots: next(s, None) is None, kernel=i % 2 == 0)
    assert 0 < mine.model.epoch < 40
    theirs.model.train(mine.model.epoch)
    theirs.model.train(1, stop=lambda: theirs.model.cursor >= mine.model.cursor)
    assert_same(mine, theirs)


def test_a_model_moves_between_a_stack_and_the_kernel() -> None:
    (a, b), (c, _) = pair(HARD), pair(HARD)
    for _ in range(3):
        train_together([a.model, c.model], 4)
        a.model.train(4, kernel=True)
        assert a.model.stack is not None and a.model.bound is not None
    b.model.train(24)
    assert_same(a, b)


def test_an_edit_reaches_the_kernel_and_frames_see_its_steps() -> None:
    mine, theirs = pair({})
    mine.model.train(3, kernel=True)
    theirs.model.train(3)
    for session in (mine, theirs):
        session.model.net.weights[0][1, 0] = 0.25  # as sessions/edits.set_param writes it
        session.model.weights_changed()
    bound = mine.model.bound
    mine.model.train(2, kernel=True)
    theirs.model.train(2)
    assert mine.model.bound is not bound  # a new accumulator: bound again
    assert_same(mine, theirs)
    assert mine.model.snapshot().net.weights[0].data_ptr() == mine.model.bound.P.ctypes.data


def test_a_restored_state_and_a_new_optimizer_are_bound_afresh() -> None:
    mine, theirs = pair(HARD)
    mine.model.train(3, kernel=True)
    theirs.model.train(3)
    state = TrainingState(**training_state(mine.model))
    load_training_state(mine.model, state)  # new accumulator and optimizer tensors
    mine.model.train(2, kernel=True)
    theirs.model.train(2)
    assert_same(mine, theirs)
    for session in (mine, theirs):
        session.model.set_hyper(type(session.model.hyper)(optimizer="momentum", momentum=0.5))
    mine.model.train(3, kernel=True)
    theirs.model.train(3)
    assert_same(mine, theirs)


def test_a_diverging_run_stops_at_the_first_non_finite_loss() -> None:
    mine, theirs = pair({"problem": "regression", "dataset": "plane", "activation": "linear",
                         "learning_rate": 3})  # fmt: skip
    results = mine.model.train(200, kernel=True)
    expected = theirs.model.train(200)
    assert [r.epoch for r in results] == [r.epoch for r in expected] == [1]
    assert math.isnan(results[0].train_loss) and math.isnan(expected[0].train_loss)


def test_without_the_kernel_ready_torch_trains() -> None:
    mine, _ = pair({})
    ready, compiled._state["ready"] = compiled._state["ready"], False
    try:
        assert len(mine.model.train(2, kernel=True)) == 2
    finally:
        compiled._state["ready"] = ready
    assert mine.model.bound is None


def test_the_kernel_trains_only_float64_on_the_cpu(monkeypatch: pytest.MonkeyPatch) -> None:
    mine, _ = pair({})
    assert compiled.usable(mine.model)
    monkeypatch.setattr(mine.model, "dtype", torch.float32)
    assert not compiled.usable(mine.model)
    assert isinstance(mine, Session)


def test_adams_slots_are_bound_by_name_whatever_their_order() -> None:
    """An imported state may list adam's "v" before its "m" (the format keys them by name)."""
    mine, theirs = pair(HARD)
    for session in (mine, theirs):
        session.model.train(3, kernel=session is mine)
        state = training_state(session.model)
        state["slots"] = dict(reversed(list(state["slots"].items())))
        load_training_state(session.model, TrainingState(**state))
        assert list(session.model.opt.slots) == ["v", "m"]
    mine.model.train(5, kernel=True)
    theirs.model.train(5)
    assert_same(mine, theirs)


def test_without_numba_torch_trains_and_says_why(monkeypatch: pytest.MonkeyPatch) -> None:
    real = compiled.importlib.util.find_spec
    monkeypatch.setattr(
        compiled.importlib.util, "find_spec", lambda name: None if name == "numba" else real(name)
    )
    assert not compiled.available()
    assert compiled.why_not() == "numba is not installed"


def test_a_kernel_that_fails_to_compile_leaves_torch_training(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken() -> None:
        raise RuntimeError("no LLVM for this platform")

    monkeypatch.setattr(compiled, "warm", broken)
    monkeypatch.setattr(compiled, "_state", {"ready": False, "failed": None})
    monkeypatch.setattr(
        compiled.subprocess,
        "run",
        lambda *a, **k: type("R", (), {"returncode": 1, "stderr": "x"})(),
    )
    compiled._compile()
    assert not compiled.ready() and not compiled.available()
    assert "no LLVM for this platform" in str(compiled.why_not())
    mine, theirs = pair({})
    assert len(mine.model.train(3, kernel=True)) == 3 and mine.model.bound is None
    theirs.model.train(3)
    assert_same(mine, theirs, tolerance=0.0)
