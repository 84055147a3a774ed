"""What a room's teacher locked, enforced: a student's change to a locked field or action
is refused (403) naming it, over REST and the websocket alike. ``session.locks`` maps a
lock's name (protocol/rooms.LOCKABLE) to why; runtime/rooms.py sets it. The teacher's
own actions on a student's session (push, pause, reset) do not pass through here."""

from __future__ import annotations

from server.errors import PlaygroundError
from server.protocol.config import ConfigPatch
from server.protocol.generative import GENERATIVE_LOCKS
from server.sessions.session import Session

# a config field -> the lock that guards it ("hidden" and "neurons": see check_patch)
FIELD_LOCKS = {
    "learning_rate": "learning_rate", "activation": "activation",
    "layer_activations": "layer_activations", "regularization": "regularization",
    "regularization_rate": "regularization_rate", "problem": "problem", "dataset": "dataset",
    "train_ratio": "train_ratio", "noise": "noise", "batch_size": "batch_size",
    "features": "features", "classes": "classes", "loss": "loss_function",
    "optimizer": "optimizer", "momentum": "momentum", "beta1": "beta1", "beta2": "beta2",
    "epsilon": "epsilon", "same_init": "same_init", "seed": "regenerate", "kind": "problem",
    "init_zero": "same_init",
}  # fmt: skip


class Locked(PlaygroundError):
    status = 403


def check(session: Session, lock: str, field: str | None = None) -> None:
    """Locked (403, naming ``field``) if the teacher locked ``lock``."""
    why = session.locks.get(lock)
    if why is not None:
        raise Locked(why, field or lock)


def check_patch(session: Session, patch: ConfigPatch) -> None:
    """A config change touches nothing locked: each field given and different from now."""
    now = session.config
    for field in patch.model_fields_set:
        value = getattr(patch, field)
        if value is None or value == getattr(now, field):
            continue
        if field == "hidden":
            if len(value) != len(now.hidden):
                check(session, "hidden", field)
            if value[: len(now.hidden)] != now.hidden[: len(value)]:
                check(session, "neurons", field)
        elif field in ("gan", "autoencoder"):
            kept = getattr(now, field)
            for name, new in value.model_dump(exclude_none=True).items():
                if kept is None or getattr(kept, name) != new:
                    check(session, GENERATIVE_LOCKS[name], f"{field}.{name}")
        elif field in FIELD_LOCKS:
            check(session, FIELD_LOCKS[field], field)
