"""What both stored forms of a session (sessions/checkpoint.py: an MLP's;
checkpoint_generative.py: a GAN's or an autoencoder's) read and write alike: refusals
with a message, the packed points and the packed loss chart."""

from __future__ import annotations

import base64
import json
import math
from typing import Any

import numpy as np
import torch
from pydantic import ValidationError

from server.config import Settings
from server.engine.data.split import Split
from server.formats.points import check_data, classes_of
from server.protocol.rest import Config, Data, HistoryFile
from server.protocol.stored import CHECKPOINT_VERSION, Checkpoint
from server.sessions.session import Session
from server.sessions.state import State
from server.storage.rows import Stored

ROW = 3  # float64 values a stored point takes: x1, x2, label


class Refused(Exception):
    """A stored row that cannot become a session; the message says why."""


def refused(exc: ValidationError, part: str = "") -> Refused:
    """The first thing a schema refused, named by where it is (``part``.field…)."""
    first = exc.errors()[0]
    where = ".".join([part, *map(str, first["loc"])] if part else map(str, first["loc"]))
    return Refused(f"{where or 'body'}: {first['msg']}")


def rows(x: Any, y: Any) -> bytes:
    x = np.asarray(x, dtype=np.float64).reshape(-1, 2)
    y = np.asarray(y, dtype=np.float64).reshape(-1, 1)
    return np.ascontiguousarray(np.hstack([x, y])).tobytes()


def history(packed: bytes, stride: int) -> HistoryFile | None:
    if len(packed) % 24:
        raise Refused("history: not whole (epoch, train, test) entries")
    n = len(packed) // 24
    if not n:
        return None
    epochs = np.frombuffer(packed, dtype=np.int64, count=n)
    losses = np.frombuffer(packed, dtype=np.float64, offset=8 * n).reshape(2, n)
    nulls = [[v if math.isfinite(v) else None for v in row.tolist()] for row in losses]
    try:
        return HistoryFile.model_validate(
            {
                "epoch": epochs.tolist(),
                "train_loss": nulls[0],
                "test_loss": nulls[1],
                "stride": stride,
            }
        )
    except ValidationError as exc:
        raise refused(exc, "history") from None


def points(packed: bytes, cp: Checkpoint, config: Config, settings: Settings) -> Split:
    """The stored points, checked as an upload is (check_data) except that a session may
    have no training points (all of them cleared)."""
    assert cp.points is not None
    want = (cp.points.train + cp.points.test) * ROW * 8
    if len(packed) != want:
        raise Refused(f"points: {len(packed)} bytes where {want} were named")
    rows = np.frombuffer(packed, dtype=np.float64).reshape(-1, ROW).tolist()
    train, test = rows[: cp.points.train], rows[cp.points.train :]
    if len(rows) > settings.max_points:
        raise Refused(f"points: at most {settings.max_points} in all, got {len(rows)}")

    def check(part: list[list[float]]) -> Split:
        data = Data.model_validate({"train": part})
        return check_data(data, config.problem, settings.max_points, classes_of(config))

    if train:
        return check(train) if not test else join(check(train), check(test))
    empty = np.zeros((0, 2)), np.zeros(0)
    if not test:
        return Split(*empty, *empty)
    tested = check(test)
    return Split(*empty, tested.train_x, tested.train_y)


def join(train: Split, test: Split) -> Split:
    return Split(train.train_x, train.train_y, test.train_x, test.train_y)


def stored_form(s: Session, body: dict[str, Any], with_points: bool) -> Stored:
    """A checkpoint's ``body`` with the packed chart and (``with_points``) own points."""
    h, split = s.history, s.model.split
    history = h.epoch.tobytes() + h.train.tobytes() + h.test.tobytes()
    packed = None
    if s.custom_data and with_points:
        packed = b"".join(rows(x, y) for x, y in ((split.train_x, split.train_y),
                                                   (split.test_x, split.test_y)))  # fmt: skip
    encoded = json.dumps(body, separators=(",", ":")).encode()
    return Stored(CHECKPOINT_VERSION, encoded, history, packed, s.model.epoch)


def resumed(session: Session, cp: Checkpoint) -> Session:
    """The restored session with what every checkpoint holds beside its model: owner,
    data version, speed, the weights' stream; paused if training was under way."""
    session.owner = cp.owner
    session.data_version = cp.data_version
    session.speed = cp.speed
    if cp.generator is not None:
        state = np.frombuffer(base64.b64decode(cp.generator, validate=True), dtype=np.uint8)
        if state.size != session.init_generator.get_state().numel():
            raise Refused("generator: not a state of torch's CPU generator")
        session.init_generator.set_state(torch.from_numpy(state.copy()))
    if cp.state != "idle":  # training was under way: it goes on when someone presses play
        session.transition(State.PAUSED, "restore")
    return session
