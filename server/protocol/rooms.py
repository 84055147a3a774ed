"""What a classroom room's names may be (issue #14): join codes a student types from a
projector, and nicknames. Shapes only; making them is sessions/nicknames.py."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, ValidationInfo, field_validator

from server.protocol.config import Config, Strict
from server.protocol.stored import NAME_PATTERN, TOKEN_PATTERN

# no look-alikes: not 0/O/Q/D, 1/I/L/J, 2/Z, 5/S, 8/B, U/V
CODE_ALPHABET = "ACEFGHKMNPRTWXY34679"
CODE_LENGTH = 6
CODE_PATTERN = rf"^[{CODE_ALPHABET}]{{{CODE_LENGTH}}}$"
MAX_NICKNAME = 24
# letters of any script, digits, spaces, - ' and _; something visible, no control characters
NICKNAME_PATTERN = r"^[^\W_](?:[\w '\-]*[^\W_])?$"

JoinCode = Annotated[str, Field(pattern=CODE_PATTERN, description="6 characters, as shown")]
NICKNAME_HELP = "1-24 letters, digits, spaces, - ' _, starting and ending with a letter or digit"
Nickname = Annotated[
    str,
    Field(
        min_length=1, max_length=MAX_NICKNAME, pattern=NICKNAME_PATTERN, description=NICKNAME_HELP
    ),
]

_SEPARATORS = re.compile(r"[\s\-_.]+")


def normal_code(typed: str) -> str | None:
    """A code as a person typed it (any case, spaces or dashes between), or None if it
    cannot be one."""
    code = _SEPARATORS.sub("", typed).upper()
    return code if re.fullmatch(CODE_PATTERN, code) else None


# -- what a teacher may lock: the page's hideable parts (static/js/state/hash.js HIDEABLE,
# TFP's list first). The server refuses a student's change to a locked field or action
# (sessions/locks.py); the rest are only hidden on the student's page.
LOCKABLE = (
    "play", "step", "reset", "epoch", "learning_rate", "activation", "regularization",
    "regularization_rate", "problem", "speed", "dataset", "train_ratio", "noise", "batch_size",
    "regenerate", "features", "hidden", "neurons", "loss", "test_loss", "show_test",
    "discretize", "palette", "presenter",
    "classes", "extras", "loss_function", "optimizer", "momentum", "beta1", "beta2", "epsilon",
    "same_init", "layer_activations", "accuracy", "details", "points", "upload", "export",
    "import", "share",
)  # fmt: skip
Lock = Literal[LOCKABLE]  # type: ignore[valid-type]
TEACHER_HEADER = "X-Teacher-Key"
TEACHER_KEY_PATTERN = r"^[A-Za-z0-9_-]{32,128}$"
Metric = Literal["test_loss", "test_accuracy"]


class CreateRoom(Strict):
    config: Config | None = Field(None, description="the setup students start from")
    session: str | None = Field(
        None, pattern=TOKEN_PATTERN,
        description="the teacher's own session: its config is the setup, and Push pushes it",
    )  # fmt: skip
    seed_per_student: bool = Field(
        False, description="each student's points from a seed of their own (else the same data)"
    )


class RoomCreated(BaseModel):
    code: str
    key: str = Field(description=f"the teacher key: send it as {TEACHER_HEADER}; shown once")
    join_url: str = Field(description="/join/<code>, on this server")
    link: str = Field(description="the join link students open (the LAN address when local)")
    wall_url: str
    qr: str = Field(description="a QR code of the join link (SVG), relative to this server")
    expires: str
    setup: Config


class RoomInfo(BaseModel):
    code: str
    students: int
    max_students: int
    nickname: str = Field(description="a free nickname, suggested")


class Join(Strict):
    nickname: Nickname | None = None
    session: str | None = Field(
        None, pattern=TOKEN_PATTERN, description="this student's earlier session in the room"
    )


class Joined(BaseModel):
    code: str
    nickname: str
    number: int
    session: dict[str, Any] = Field(description="the student's session (SessionState)")


class Challenge(Strict):
    metric: Metric
    target: float = Field(ge=0, le=10, description="test loss at most, or accuracy at least")
    max_layers: int | None = Field(None, ge=0, le=16, description="hidden layers at most")
    max_neurons: int | None = Field(None, ge=1, le=64, description="neurons per layer at most")
    max_features: int | None = Field(None, ge=1, le=7, description="input features at most")
    max_epochs: int | None = Field(None, ge=1, le=10**7, description="reach it within")

    @field_validator("target")
    @classmethod
    def _accuracy_is_a_fraction(cls, target: float, info: ValidationInfo) -> float:
        if info.data.get("metric") == "test_accuracy" and target > 1:
            raise ValueError("an accuracy is a fraction from 0 to 1 (0.9 is 90 %)")
        return target


class RoomPatch(Strict):
    locks: list[Lock] | None = Field(None, max_length=len(LOCKABLE))
    anonymise: bool | None = Field(None, description='names shown as "Student 7"')
    paused: bool | None = Field(None, description="pause everyone (play refused until resumed)")
    eyes: bool | None = Field(None, description='"eyes on me": a notice on every page')
    timer: float | None = Field(
        None, ge=0, le=86_400, description="seconds from now the timer ends (0: no timer)"
    )
    spotlight: str | None = Field(
        None, max_length=64, description="a member's session shown full size (empty: none)"
    )


class Push(Strict):
    weights: bool = Field(False, description="the teacher's weights too: everyone starts from it")
    session: str | None = Field(
        None, pattern=TOKEN_PATTERN, description="push this session's setup (default the teacher's)"
    )


class Rename(Strict):
    nickname: Nickname


class Snapshot(Strict):
    name: str | None = Field(None, min_length=1, max_length=80, pattern=NAME_PATTERN)
