"""A GAN's or an autoencoder's stored form (storage/rows.Stored), as sessions/checkpoint.py
writes and reads an MLP's: both nets packed, the sampling stream, where training stands;
read back through the schema and the config's checks, so a tampered row is refused."""

from __future__ import annotations

import base64
import math

import numpy as np
import torch
from pydantic import ValidationError

from server.config import Settings
from server.engine.kinds import generative
from server.engine.kinds.autoencoder import Autoencoder
from server.engine.kinds.gan import Gan
from server.engine.kinds.gan_training import plan
from server.formats.export import MAX_STATE
from server.protocol.rest import Config
from server.protocol.stored import (
    CHECKPOINT_FORMAT,
    CHECKPOINT_VERSION,
    Checkpoint,
    PackedGenerative,
)
from server.sessions import edits
from server.sessions.checkpoint_parts import (
    Refused,
    history,
    points,
    refused,
    resumed,
    stored_form,
)
from server.sessions.history import finite
from server.sessions.rules import check_config
from server.sessions.session import Session
from server.sessions.state import State
from server.storage.rows import Stored


def capture(session: Session, with_points: bool) -> Stored | None:
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
            "partial": [finite(v) for v in m.partial] if isinstance(m, Gan) else None,
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
    return stored_form(s, body, with_points)


def build(
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
        raise refused(exc, "generative.config") from None
    if config.kind == "mlp":
        raise Refused("generative.config.kind: a gan or an autoencoder")
    check_config(config, settings)
    session = Session(session_id, config, settings, device)
    if cp.points is not None:
        if stored.points is None:
            raise Refused("points: the checkpoint names its own points but holds none")
        edits.set_data(session, points(stored.points, cp, config, settings))
    elif packed.custom_data:
        raise Refused("generative.custom_data: set, but the checkpoint holds no points")
    m = session.model
    assert isinstance(m, (Gan, Autoencoder))
    raw = base64.b64decode(packed.tensors, validate=True)
    if len(raw) % 8:
        raise Refused("generative.tensors: not whole float64 numbers")
    try:
        generative.load_flat(m, np.frombuffer(raw, dtype=np.float64), MAX_STATE)
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
        slots = len(plan(m.options))
        if packed.cursor >= slots:
            raise Refused(f"generative.cursor: an iteration of these settings has {slots} slots")
        m.cursor = packed.cursor
        m.partial = [math.nan if v is None else v for v in packed.partial or (None, None)]
        m.updates = {"d": packed.updates.get("d", 0), "g": packed.updates.get("g", 0)}
        m.divergences = [(int(e), float(kl), float(js)) for e, kl, js in packed.divergences]
    m.refresh_losses()
    if cp.losses is not None:  # the losses shown when it was stored (a GAN's last batch's)
        m.train_loss, m.test_loss = (math.nan if v is None else v for v in cp.losses)
    if isinstance(m, Gan) and not m.divergences:
        m.measure()
    session.history.clear()
    if stored.history:
        file = history(stored.history, cp.history_stride)
        if file is not None:
            session.history.load(file.epoch, file.train_loss, file.test_loss, file.stride)
    if not len(session.history.epoch) or session.history.epoch[-1] != m.epoch:
        session.history.add(m.epoch, m.train_loss, m.test_loss)
    return resumed(session, cp)
