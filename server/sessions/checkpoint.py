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
from typing import Any

import numpy as np
import torch
from pydantic import ValidationError

from server.config import Settings
from server.engine.kinds.mlp import Model
from server.errors import InvalidInput
from server.formats.export import MAX_STATE
from server.protocol.rest import ModelImport
from server.protocol.stored import (
    CHECKPOINT_FORMAT,
    CHECKPOINT_VERSION,
    READABLE,
    Checkpoint,
    PackedModel,
)
from server.sessions import checkpoint_generative, edits
from server.sessions.checkpoint_parts import ROW as ROW
from server.sessions.checkpoint_parts import Refused as Refused
from server.sessions.checkpoint_parts import history, points, refused, resumed, stored_form
from server.sessions.history import finite
from server.sessions.session import Session
from server.sessions.state import State
from server.storage.rows import Stored


def capture(session: Session, with_points: bool = True) -> Stored | None:
    """The session as stored, or None while its weights are not finite (a diverged session
    keeps its last finite checkpoint). ``with_points``: pack its own points (they change
    rarely; the caller may reuse the last packing).

    The weights, carried gradients and optimizer slots go packed (float64, in ``shapes``'
    order: each layer's weight then bias; params, carried, then each slot by name), not as
    JSON numbers: writing a float as text was half of a checkpoint's cost."""
    if not isinstance(session.model, Model):
        return checkpoint_generative.capture(session, with_points)
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
    return stored_form(s, body, with_points)


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
        raise refused(exc) from None
    if checkpoint.version not in READABLE:
        raise Refused(f"checkpoint version {checkpoint.version} is not one this server reads")
    try:
        return _build(checkpoint, stored, settings, device, session_id or checkpoint.id)
    except InvalidInput as exc:
        raise Refused(f"{exc.field or 'checkpoint'}: {exc.message}") from None
    except (ValueError, RuntimeError, binascii.Error) as exc:
        raise Refused(f"{type(exc).__name__}: {exc}") from None


def _build(
    cp: Checkpoint, stored: Stored, settings: Settings, device: torch.device, session_id: str
) -> Session:
    if cp.generative is not None:
        return checkpoint_generative.build(cp, cp.generative, stored, settings, device, session_id)
    if cp.model is None:
        raise Refused("model: a checkpoint holds a model or a generative model")
    try:
        file = ModelImport.model_validate(model_file_of(cp.model))
    except ValidationError as exc:
        raise refused(exc, "model") from None
    file = file.model_copy(update={"history": history(stored.history, cp.history_stride)})
    session = Session(session_id, file.config, settings, device)
    if cp.points is not None:
        if stored.points is None:
            raise Refused("points: the checkpoint names its own points but holds none")
        edits.set_data(session, points(stored.points, cp, file.config, settings))
    elif file.custom_data:
        raise Refused("model.custom_data: set, but the checkpoint holds no points")
    edits.load_model(session, file)
    if cp.losses is not None:  # mid-epoch the weights moved on since these were computed
        nan = float("nan")
        model = session.model
        model.train_loss, model.test_loss = (nan if v is None else v for v in cp.losses)
    return resumed(session, cp)
