"""A session stored and restored (sessions/checkpoint.py) goes on exactly as the original:
same weights, losses, chart, points and next reset after more training; and a stored row
that was tampered with is refused with a message, building nothing."""

from __future__ import annotations

import base64
import json
from dataclasses import replace
from typing import Any

import numpy as np
import pytest
import torch

from server.config import Settings
from server.protocol.rest import Config, Point
from server.sessions import checkpoint, edits, views
from server.sessions.checkpoint import Refused, capture, restore
from server.sessions.session import Session
from server.sessions.state import State

CPU = torch.device("cpu")
SETTINGS = Settings()

CONFIGS: dict[str, dict[str, Any]] = {
    "default": {},
    "tfp seed": {"seed": "0.48213"},
    "adam, L1 (dead links)": {
        "optimizer": "adam", "regularization": "l1", "regularization_rate": 0.01,
        "hidden": [6, 6, 4], "learning_rate": 0.3,
    },
    "momentum, L2, big batches": {
        "optimizer": "momentum", "regularization": "l2", "regularization_rate": 0.003,
        "batch_size": 30, "dataset": "spiral", "noise": 20,
    },
    "regression": {"problem": "regression", "dataset": "plane", "activation": "linear"},
    "three classes": {"classes": 3, "dataset": "clouds", "loss": "cross_entropy"},
    "same_init, relu": {"same_init": True, "activation": "relu", "dataset": "xor"},
}  # fmt: skip


def weights(session: Session) -> list[torch.Tensor]:
    return [t.clone() for t in (*session.model.net.weights, *session.model.net.biases)]


def same(a: Session, b: Session) -> None:
    for x, y in zip(weights(a), weights(b), strict=True):
        assert torch.equal(x, y)
    assert (a.model.epoch, a.model.cursor) == (b.model.epoch, b.model.cursor)
    assert a.model.train_loss == b.model.train_loss and a.model.test_loss == b.model.test_loss
    assert views.history(a) == views.history(b)
    assert views.data(a) == views.data(b)
    assert a.config == b.config and a.data_version == b.data_version
    assert sorted(a.model.net.dead_links()) == sorted(b.model.net.dead_links())


def new(config: dict[str, Any]) -> Session:
    return Session("checkpointed-session", Config.model_validate(config), SETTINGS, CPU)


@pytest.mark.parametrize("name", list(CONFIGS))
def test_a_restored_session_goes_on_as_if_never_stopped(name: str) -> None:
    original = new(CONFIGS[name])
    original.play()
    original.train(40)
    original.model.train(1, stop=lambda: True)  # mid-epoch: a cursor and carried gradients
    copy = restore(capture(original), SETTINGS, CPU)  # type: ignore[arg-type]
    assert copy.state == State.PAUSED and copy.id == original.id
    same(original, copy)
    original.train(60)
    copy.train(60)
    same(original, copy)
    original.reset()  # the next weights come from the same stream
    copy.reset()
    same(original, copy)
    original.regenerate()  # and the next seed and points
    copy.regenerate()
    same(original, copy)


def test_own_points_edits_and_speed_come_back() -> None:
    original = new({})
    edits.add_point(original, Point(x=1.5, y=-2.0, label=-1))
    edits.add_point(original, Point(x=0.5, y=0.25, label=1, split="test"))
    original.set_speed(12.5)
    original.train(25)
    copy = restore(capture(original), SETTINGS, CPU)  # type: ignore[arg-type]
    assert copy.custom_data and copy.speed == 12.5
    same(original, copy)


def test_a_session_with_every_point_cleared_comes_back_empty() -> None:
    original = new({})
    edits.clear_points(original)
    copy = restore(capture(original), SETTINGS, CPU)  # type: ignore[arg-type]
    assert copy.custom_data and copy.model.train_y.shape[-1] == 0
    assert copy.state == State.IDLE


def test_an_idle_session_stays_idle_and_a_copy_can_take_a_new_id() -> None:
    original = new({})
    copy = restore(capture(original), SETTINGS, CPU, "another-session-id")  # type: ignore[arg-type]
    assert copy.state == State.IDLE and copy.id == "another-session-id"


def test_a_diverged_session_keeps_its_last_finite_checkpoint() -> None:
    session = new({"problem": "regression", "dataset": "plane", "activation": "linear",
                   "hidden": [8, 8, 8], "learning_rate": 10})  # fmt: skip
    session.play()
    session.train(500)
    assert session.state == State.DIVERGED
    assert capture(session) is None


# -- tampered rows ----------------------------------------------------------------------------
def stored() -> checkpoint.Stored:
    session = new({})
    edits.add_point(session, Point(x=1, y=1, label=1))
    session.train(5)
    found = capture(session)
    assert found is not None
    return found


def with_body(change: Any) -> checkpoint.Stored:
    s = stored()
    body = json.loads(s.body)
    change(body)
    return replace(s, body=json.dumps(body).encode())


@pytest.mark.parametrize(
    ("tamper", "named"),
    [
        (lambda b: b.update(version=7), "version 7"),
        (lambda b: b.update(format="something-else"), "format"),
        (lambda b: b["model"]["shapes"].__setitem__(0, [3, 2]), "tensors"),
        (lambda b: b["model"].update(tensors=b["model"]["tensors"][:-12]), "tensors"),
        (lambda b: b["model"].update(dead=[[0, 99, 0]]), "dead"),
        (lambda b: b["model"].update(slots=["m"]), "tensors"),
        (lambda b: b["model"]["config"].update(hidden=[64] * 9), "hidden"),
        (lambda b: b["model"]["config"].update(learning_rate="__import__('os')"), "learning_rate"),
        (lambda b: b["model"].update(cursor=10**9), "cursor"),
        (lambda b: b.update(generator=base64.b64encode(b"short").decode()), "generator"),
        (lambda b: b.update(points={"train": 10**6, "test": 0}), "points"),
        (lambda b: b.update(id="../../etc"), "id"),
        (lambda b: b.update(state="closed"), "state"),
    ],
)
def test_a_tampered_checkpoint_is_refused_naming_what_is_wrong(tamper: Any, named: str) -> None:
    with pytest.raises(Refused, match=named.replace("(", r"\(").replace(")", r"\)")):
        restore(with_body(tamper), SETTINGS, CPU)


def test_broken_packing_is_refused() -> None:
    s = stored()
    with pytest.raises(Refused, match="history"):
        restore(replace(s, history=s.history[:-3]), SETTINGS, CPU)
    with pytest.raises(Refused, match="points"):
        restore(replace(s, points=s.points[:-8] if s.points else b""), SETTINGS, CPU)
    nan = np.frombuffer(s.points or b"", dtype=np.float64).copy()
    nan[0] = np.nan
    with pytest.raises(Refused, match="finite"):
        restore(replace(s, points=nan.tobytes()), SETTINGS, CPU)
    with pytest.raises(Refused, match=r"(?i)json"):
        restore(replace(s, body=b"{not json"), SETTINGS, CPU)
    with pytest.raises(Refused, match="format 2"):
        restore(replace(s, format=2), SETTINGS, CPU)


def test_limits_of_this_server_apply_to_a_restored_session() -> None:
    big = new({"hidden": [8, 8, 8]})
    found = capture(big)
    assert found is not None
    with pytest.raises(Refused, match=r"layers|hidden"):
        restore(found, Settings(max_layers=2), CPU)
