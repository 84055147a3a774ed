"""A session to its stored form and back (storage/rows.Stored).

``capture`` runs on the worker thread (it reads tensors training writes) and costs about
what a model.json export does, less the chart, which is copied as packed bytes. ``restore``
reads a stored row the way an import is read: the Checkpoint schema, then the model file's
checks (edits.load_model) and the points' checks (formats/points.check_data), so a row that
was tampered with is refused with a message and builds nothing.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from typing import Any

import numpy as np
import torch
from pydantic import ValidationError

from server.config import Settings
from server.engine.data.split import Split
from server.engine.kinds import generative
from server.engine.kinds.autoencoder import Autoencoder
from server.engine.kinds.gan import Gan
from server.engine.kinds.mlp import Model
from server.errors import InvalidInput
from server.formats.export import MAX_STATE
from server.formats.points import check_data, classes_of
from server.protocol.rest import Config, Data, HistoryFile, ModelImport
from server.protocol.stored import (
    CHECKPOINT_FORMAT,
    CHECKPOINT_VERSION,
    READABLE,
    Checkpoint,
    PackedGenerative,
    PackedModel,
)
from server.sessions import edits
from server.sessions.history import finite
from server.sessions.rules import check_config
from server.sessions.session import Session
from server.sessions.state import State
from server.storage.rows import Stored

ROW = 3  # float64 values a stored point takes: x1, x2, label


class Refused(Exception):
    """A stored row that cannot become a session; the message says why."""


def capture(session: Session, with_points: bool = True) -> Stored | None:
    """The session as stored, or None while its weights are not finite (a diverged session
    keeps its last finite checkpoint). ``with_points``: pack its own points (they change
    rarely; the caller may reuse the last packing).

    The weights, carried gradients and optimizer slots go packed (float64, in ``shapes``'
    order: each layer's weight then bias; params, carried, then each slot by name), not as
    JSON numbers: writing a float as text was half of a checkpoint's cost."""
    if not isinstance(session.model, Model):
        return _capture_generative(session, with_points)
    s, m = session, session.model
    net = m.net
    count = len(net.weights)
    slots = {name: (t[:count], t[count:]) for name, t in sorted(m.opt.slots.items())}
    groups = [(net.weights, net.biases), (m.acc.weights, m.acc.biases), *slots.values()]
    tensors = [t for weights, biases in groups for pair in zip(weights, biases, strict=True)
               for t in pair]  # fmt: skip
    flat = torch.cat([t.reshape(-1) for t in tensors]).to("cpu", torch.float64)
    # what restore would refuse is not written: the last restorable checkpoint stays (adam
    # keeps the weights finite while m and v run away, or they are not finite at all)
    if not bool(torch.isfinite(flat).all()) or float(flat.abs().max()) > MAX_STATE:
        return None
    split = m.split
    points = None
    if s.custom_data:
        points = {"train": len(split.train_y), "test": len(split.test_y)}
    body = {
        "format": CHECKPOINT_FORMAT,
        "version": CHECKPOINT_VERSION,
        "id": s.id,
        "owner": s.owner,
        "model": {
            "config": s.config.model_dump(),
            "epoch": m.epoch,
            "custom_data": s.custom_data,
            "stream": s.seeds.state(),
            "dead": [list(link) for link in net.dead_links()],
            "carried_points": m.acc.count,
            "steps": int(m.opt.steps.item()),
            "cursor": m.cursor,
            "slots": list(slots),
            "shapes": [list(w.shape) for w in net.weights],
            "tensors": base64.b64encode(flat.numpy().tobytes()).decode(),
        },
        "state": s.state.value if s.state != State.CLOSED else "paused",
        "speed": s.speed,
        "data_version": s.data_version,
        "generator": base64.b64encode(s.init_generator.get_state().numpy().tobytes()).decode(),
        "history_stride": s.history.stride,
        "losses": [finite(m.train_loss), finite(m.test_loss)],
        "points": points,
    }
    h = s.history
    history = h.epoch.tobytes() + h.train.tobytes() + h.test.tobytes()
    packed = None
    if s.custom_data and with_points:
        packed = b"".join(_rows(x, y) for x, y in ((split.train_x, split.train_y),
                                                   (split.test_x, split.test_y)))  # fmt: skip
    encoded = json.dumps(body, separators=(",", ":")).encode()
    return Stored(CHECKPOINT_VERSION, encoded, history, packed, m.epoch)


def _capture_generative(session: Session, with_points: bool) -> Stored | None:
    """A GAN's or an autoencoder's stored form: its nets packed as the MLP's are."""
    s, m = session, session.model
    assert isinstance(m, (Gan, Autoencoder))
    flat = generative.flat_state(m)
    if not np.isfinite(flat).all() or float(np.abs(flat).max(initial=0)) > MAX_STATE:
        return None
    split = m.split
    order = m.order.tolist() if isinstance(m, Autoencoder) else []
    updates = m.updates if isinstance(m, Gan) else {}
    divergences = [list(d) for d in m.divergences if all(map(math.isfinite, d))] if isinstance(
        m, Gan) else []  # fmt: skip
    body = {
        "format": CHECKPOINT_FORMAT,
        "version": CHECKPOINT_VERSION,
        "id": s.id,
        "owner": s.owner,
        "generative": {
            "config": s.config.model_dump(),
            "epoch": m.epoch,
            "custom_data": s.custom_data,
            "cursor": m.cursor,
            "order": order,
            "updates": updates,
            "divergences": divergences,
            "tensors": base64.b64encode(flat.tobytes()).decode(),
            "rng": base64.b64encode(m.rng.get_state().numpy().tobytes()).decode(),
        },
        "state": s.state.value if s.state != State.CLOSED else "paused",
        "speed": s.speed,
        "data_version": s.data_version,
        "generator": base64.b64encode(s.init_generator.get_state().numpy().tobytes()).decode(),
        "history_stride": s.history.stride,
        "losses": [finite(m.train_loss), finite(m.test_loss)],
        "points": {"train": len(split.train_y), "test": len(split.test_y)}
        if s.custom_data
        else None,
    }
    h = s.history
    history = h.epoch.tobytes() + h.train.tobytes() + h.test.tobytes()
    packed = None
    if s.custom_data and with_points:
        packed = b"".join(_rows(x, y) for x, y in ((split.train_x, split.train_y),
                                                   (split.test_x, split.test_y)))  # fmt: skip
    encoded = json.dumps(body, separators=(",", ":")).encode()
    return Stored(CHECKPOINT_VERSION, encoded, history, packed, m.epoch)


def model_file_of(packed: PackedModel) -> dict[str, Any]:
    """The packed model as the import's model file (JSON shape), to be checked as one."""
    shapes = packed.shapes
    sizes = [o * i + o for o, i in shapes]
    try:
        raw = base64.b64decode(packed.tensors, validate=True)
    except binascii.Error:
        raise Refused("model.tensors: not base64") from None
    if len(raw) % 8:
        raise Refused("model.tensors: not whole float64 numbers")
    values = np.frombuffer(raw, dtype=np.float64)
    want = sum(sizes) * (2 + len(packed.slots))
    if values.size != want:
        raise Refused(f"model.tensors: {values.size} numbers where the shapes make {want}")
    at = 0

    def layers() -> list[dict[str, Any]]:
        nonlocal at
        out = []
        for (o, i), size in zip(shapes, sizes, strict=True):
            chunk = values[at : at + size]
            at += size
            out.append({"weight": chunk[: o * i].reshape(o, i).tolist(),
                        "bias": chunk[o * i :].tolist()})  # fmt: skip
        return out

    params = {"layers": layers(), "dead": packed.dead}
    carried = layers()
    slots = {name: layers() for name in packed.slots}
    state = {"carried_points": packed.carried_points, "carried": carried, "steps": packed.steps,
             "cursor": packed.cursor, "slots": slots}  # fmt: skip
    return {"config": packed.config, "params": params, "epoch": packed.epoch,
            "custom_data": packed.custom_data, "state": state, "stream": packed.stream}  # fmt: skip


def _rows(x: Any, y: Any) -> bytes:
    x = np.asarray(x, dtype=np.float64).reshape(-1, 2)
    y = np.asarray(y, dtype=np.float64).reshape(-1, 1)
    return np.ascontiguousarray(np.hstack([x, y])).tobytes()


def restore(
    stored: Stored, settings: Settings, device: torch.device, session_id: str | None = None
) -> Session:
    """A session from its stored form, paused (Refused, naming what is wrong, if it
    cannot be); ``session_id``: a new session of its own (a copy) rather than the stored one."""
    if stored.format not in READABLE:
        raise Refused(f"checkpoint format {stored.format} is not one this server reads "
                      f"({', '.join(map(str, READABLE))})")  # fmt: skip
    try:
        checkpoint = Checkpoint.model_validate_json(stored.body)
    except ValidationError as exc:
        raise _refused(exc) from None
    if checkpoint.version not in READABLE:
        raise Refused(f"checkpoint version {checkpoint.version} is not one this server reads")
    try:
        return _build(checkpoint, stored, settings, device, session_id or checkpoint.id)
    except InvalidInput as exc:
        raise Refused(f"{exc.field or 'checkpoint'}: {exc.message}") from None
    except (ValueError, RuntimeError, binascii.Error) as exc:
        raise Refused(f"{type(exc).__name__}: {exc}") from None


def _refused(exc: ValidationError, part: str = "") -> Refused:
    """The first thing a schema refused, named by where it is (``part``.field…)."""
    first = exc.errors()[0]
    where = ".".join([part, *map(str, first["loc"])] if part else map(str, first["loc"]))
    return Refused(f"{where or 'body'}: {first['msg']}")


def _build(
    cp: Checkpoint, stored: Stored, settings: Settings, device: torch.device, session_id: str
) -> Session:
    if cp.generative is not None:
        return _build_generative(cp, cp.generative, stored, settings, device, session_id)
    if cp.model is None:
        raise Refused("model: a checkpoint holds a model or a generative model")
    try:
        file = ModelImport.model_validate(model_file_of(cp.model))
    except ValidationError as exc:
        raise _refused(exc, "model") from None
    file = file.model_copy(update={"history": _history(stored.history, cp.history_stride)})
    session = Session(session_id, file.config, settings, device)
    if cp.points is not None:
        if stored.points is None:
            raise Refused("points: the checkpoint names its own points but holds none")
        edits.set_data(session, _points(stored.points, cp, file.config, settings))
    elif file.custom_data:
        raise Refused("model.custom_data: set, but the checkpoint holds no points")
    edits.load_model(session, file)
    if cp.losses is not None:  # mid-epoch the weights moved on since these were computed
        nan = float("nan")
        model = session.model
        model.train_loss, model.test_loss = (nan if v is None else v for v in cp.losses)
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


def _build_generative(
    cp: Checkpoint,
    packed: PackedGenerative,
    stored: Stored,
    settings: Settings,
    device: torch.device,
    session_id: str,
) -> Session:
    try:
        config = Config.model_validate(packed.config)
    except ValidationError as exc:
        raise _refused(exc, "generative.config") from None
    if config.kind == "mlp":
        raise Refused("generative.config.kind: a gan or an autoencoder")
    check_config(config, settings)
    session = Session(session_id, config, settings, device)
    if cp.points is not None:
        if stored.points is None:
            raise Refused("points: the checkpoint names its own points but holds none")
        edits.set_data(session, _points(stored.points, cp, config, settings))
    elif packed.custom_data:
        raise Refused("generative.custom_data: set, but the checkpoint holds no points")
    m = session.model
    assert isinstance(m, (Gan, Autoencoder))
    raw = base64.b64decode(packed.tensors, validate=True)
    if len(raw) % 8:
        raise Refused("generative.tensors: not whole float64 numbers")
    try:
        generative.load_flat(m, np.frombuffer(raw, dtype=np.float64))
    except ValueError as exc:
        raise Refused(f"generative.tensors: {exc}") from None
    rng = np.frombuffer(base64.b64decode(packed.rng, validate=True), dtype=np.uint8)
    if rng.size != m.rng.get_state().numel():
        raise Refused("generative.rng: not a state of torch's CPU generator")
    m.rng.set_state(torch.from_numpy(rng.copy()))
    m.epoch = packed.epoch
    if isinstance(m, Autoencoder):
        n = len(m.train_x)
        if sorted(packed.order) != list(range(n)) or packed.cursor > n:
            raise Refused(f"generative.order: not an order of the {n} training points")
        m.order, m.cursor = torch.tensor(packed.order, dtype=torch.long), packed.cursor
    else:
        m.updates = {"d": packed.updates.get("d", 0), "g": packed.updates.get("g", 0)}
        m.divergences = [(int(e), float(kl), float(js)) for e, kl, js in packed.divergences]
    m.refresh_losses()
    if isinstance(m, Gan) and not m.divergences:
        m.measure()
    session.history.clear()
    if stored.history:
        file = _history(stored.history, cp.history_stride)
        if file is not None:
            session.history.load(file.epoch, file.train_loss, file.test_loss, file.stride)
    if not len(session.history.epoch) or session.history.epoch[-1] != m.epoch:
        session.history.add(m.epoch, m.train_loss, m.test_loss)
    session.owner = cp.owner
    session.data_version = cp.data_version
    session.speed = cp.speed
    if cp.generator is not None:
        state = np.frombuffer(base64.b64decode(cp.generator, validate=True), dtype=np.uint8)
        if state.size != session.init_generator.get_state().numel():
            raise Refused("generator: not a state of torch's CPU generator")
        session.init_generator.set_state(torch.from_numpy(state.copy()))
    if cp.state != "idle":
        session.transition(State.PAUSED, "restore")
    return session


def _history(packed: bytes, stride: int) -> HistoryFile | None:
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
        raise _refused(exc, "history") from None


def _points(packed: bytes, cp: Checkpoint, config: Config, settings: Settings) -> Split:
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
        return check(train) if not test else _join(check(train), check(test))
    empty = np.zeros((0, 2)), np.zeros(0)
    if not test:
        return Split(*empty, *empty)
    tested = check(test)
    return Split(*empty, tested.train_x, tested.train_y)


def _join(train: Split, test: Split) -> Split:
    return Split(train.train_x, train.train_y, test.train_x, test.train_y)
