"""What is stored of a session (a checkpoint, a saved experiment) and the REST bodies and
replies of saved experiments and share links. A stored row is read back through these
models and the import's checks (sessions/checkpoint.py): a tampered row is refused with a
message, never trusted."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from server.protocol.config import Config, Speed, Strict
from server.protocol.rest import MAX_IMPORT_EPOCH, Link, Loss, Params

CHECKPOINT_FORMAT = "neural-playground-checkpoint"
CHECKPOINT_VERSION = 1  # this server writes version 1 and reads versions READABLE
READABLE = (1,)
OWNER_HEADER = "X-Owner-Key"
OWNER_KEY_PATTERN = r"^[A-Za-z0-9_-]{16,128}$"
TOKEN_PATTERN = r"^[A-Za-z0-9_-]{8,64}$"  # session ids, experiment ids, share tokens
MAX_NAME = 80

Token = Annotated[str, Field(pattern=TOKEN_PATTERN)]
# a visible character somewhere, and no control or invisible formatting character anywhere
_HIDDEN = r"\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff"
NAME_PATTERN = rf"^[^{_HIDDEN}]*[^\s{_HIDDEN}][^{_HIDDEN}]*$"
Name = Annotated[str, Field(min_length=1, max_length=MAX_NAME, pattern=NAME_PATTERN)]


class StoredPoints(Strict):
    """How many of the stored points (packed float64 rows x1, x2, label) train and test."""

    train: int = Field(ge=0, le=10**7)
    test: int = Field(ge=0, le=10**7)


class PackedModel(Strict):
    """A model file with its numbers packed (sessions/checkpoint.py): read back into the
    import's ModelImport and checked as an import is."""

    config: dict[str, Any] = Field(description="checked as a Config once unpacked")
    epoch: int = Field(ge=0, le=MAX_IMPORT_EPOCH)
    custom_data: bool
    stream: dict[str, Any] | None = None
    dead: list[Link] = Field(default_factory=list, max_length=100_000)
    carried_points: int = Field(ge=0, le=2**53)
    steps: int = Field(ge=0, le=2**53)
    cursor: int = Field(0, ge=0, le=2**31)
    slots: list[Annotated[str, Field(max_length=16)]] = Field(max_length=4)
    shapes: list[tuple[Annotated[int, Field(ge=1, le=64)], Annotated[int, Field(ge=1, le=64)]]] = (
        Field(max_length=17, strict=False)
    )
    tensors: str = Field(max_length=20_000_000, description="base64 of float64s")


class PackedGenerative(Strict):
    """A generative kind's stored state (sessions/checkpoint.py): both nets' numbers
    packed, its sampling stream, and where training stands."""

    config: dict[str, Any] = Field(description="checked as a Config")
    epoch: int = Field(ge=0, le=MAX_IMPORT_EPOCH)
    custom_data: bool
    cursor: int = Field(0, ge=0, le=2**31)
    order: list[Annotated[int, Field(ge=0, le=10**7)]] = Field(default_factory=list,
                                                                max_length=10**6)  # fmt: skip
    updates: dict[Literal["d", "g"], Annotated[int, Field(ge=0, le=2**53)]] = Field(
        default_factory=dict
    )
    partial: tuple[float | None, float | None] | None = Field(
        None, strict=False, description="a GAN's D and G losses of the iteration under way"
    )
    divergences: list[tuple[int, float, float]] = Field(
        default_factory=list, max_length=4096, strict=False
    )
    tensors: str = Field(max_length=2_000_000, description="base64 of float64s")
    rng: str = Field(max_length=20_000, description="torch's sampling stream (base64)")


class Checkpoint(Strict):
    """One live session as stored: its model file (without the chart, stored packed beside
    it), what the model file lacks to go on exactly, and the points when they are its own."""

    format: Literal["neural-playground-checkpoint"]
    version: int = Field(description=f"this server reads {', '.join(map(str, READABLE))}")
    id: Token
    owner: str = Field("", max_length=200, description="the address that created it")
    model: PackedModel | None = Field(None, description="an mlp session's model")
    generative: PackedGenerative | None = Field(None, description="a gan's or autoencoder's")
    state: Literal["idle", "running", "paused", "diverged", "failed"]
    speed: Speed
    data_version: int = Field(ge=1, le=2**53)
    generator: str | None = Field(
        None, max_length=20_000, description="torch's weight stream (base64), integer seeds"
    )
    history_stride: int = Field(1, ge=1, le=2**53)
    losses: tuple[Loss | None, Loss | None] | None = Field(
        None, strict=False, description="train and test loss shown (after the last whole epoch)"
    )
    points: StoredPoints | None = None


# -- REST: saved experiments and share links ---------------------------------------------------
class SaveExperiment(Strict):
    session: Token = Field(description="the live session to save a copy of")
    name: Name


class RenameExperiment(Strict):
    name: Name


class Experiment(BaseModel):
    """A saved copy (its owner's view)."""

    id: str
    name: str
    created: str = Field(description="ISO 8601, UTC")
    updated: str
    epoch: int
    train_loss: float | None
    test_loss: float | None
    config: Config
    thumbnail: str = Field(description="URL of a small PNG of the boundary")
    share: str | None = Field(description="its share token, or null while not shared")


class Experiments(BaseModel):
    experiments: list[Experiment] = Field(description="newest first")
    limit: int = Field(description="how many one owner may keep (max_experiments_per_owner)")


class ShareLink(BaseModel):
    token: str
    url: str = Field(description="the read-only page, relative to this server: /s/<token>")


class History(BaseModel):
    epoch: list[int]
    train_loss: list[float | None]
    test_loss: list[float | None]


class Shared(BaseModel):
    """A shared experiment, read-only: anyone with the token sees it and may fork it."""

    name: str
    created: str
    epoch: int = Field(le=MAX_IMPORT_EPOCH)
    train_loss: float | None
    test_loss: float | None
    config: Config
    history: History
    params: Params | None = Field(
        None, description="an mlp's weights; null for a gan or autoencoder"
    )
    picture: str = Field(description="URL of the boundary with its points (PNG, 400×400)")
    thumbnail: str


class LastCopy(BaseModel):
    """What is kept of a session that is gone: POST the same path to train on from it."""

    id: str
    ended: Literal["expired", "deleted"]
    epoch: int
    saved_at: str = Field(description="ISO 8601, UTC: when its last checkpoint was written")
    config: Config
