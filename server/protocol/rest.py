"""Pydantic models of every REST body and reply (the config itself: protocol/config.py)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, model_validator

from server.engine.render import DOMAIN
from server.protocol.config import (
    DEFAULT_SPEED,
    LEARNING_RATES,
    MAX_INT_SEED,
    REGULARIZATION_RATES,
    SEED_HELP,
    SPEEDS,
    ActivationName,
    Config,
    ConfigPatch,
    FeatureName,
    KindName,
    LossName,
    OptimizerName,
    Problem,
    RegularizationName,
    Seed,
    Speed,
    State,
    Strict,
)
from server.protocol.generative import GenerativeMetrics as GenerativeMetrics
from server.protocol.generative import GenerativeView as GenerativeView

# the config's names stay importable from here (callers move to protocol.config over time)
__all__ = [
    "DEFAULT_SPEED",
    "LEARNING_RATES",
    "MAX_INT_SEED",
    "REGULARIZATION_RATES",
    "SEED_HELP",
    "SPEEDS",
    "ActivationName",
    "Config",
    "ConfigPatch",
    "FeatureName",
    "KindName",
    "LossName",
    "OptimizerName",
    "Problem",
    "RegularizationName",
    "Seed",
    "Speed",
    "State",
    "Strict",
]


# Fixed-length tuples arrive as JSON arrays, which strict mode would refuse (FastAPI
# validates parsed JSON, where an array is a list); their items stay strict.
PointRow = Annotated[tuple[float, float, float], Field(strict=False)]  # [x1, x2, label]
Link = Annotated[tuple[int, int, int], Field(strict=False)]  # (layer, neuron, input)


class CreateSession(Strict):
    config: Config = Field(default_factory=Config)


class PatchSession(Strict):
    config: ConfigPatch


class Metrics(BaseModel):
    """How well the network does now, on the training and the test points."""

    problem: Problem
    classes: int = Field(description="class count; 0 for regression")
    labels: list[float] = Field(
        description="the label of each confusion row and column: [-1, 1] for two classes, "
        "0..k-1 for more"
    )
    train_accuracy: float | None = Field(description="fraction right; null for regression")
    test_accuracy: float | None
    train_class_accuracy: list[float | None] = Field(
        description="per true class, the fraction predicted right (null: no such points)"
    )
    test_class_accuracy: list[float | None]
    train_confusion: list[list[int]] = Field(
        description="counts [true class][predicted class]; [] for regression"
    )
    test_confusion: list[list[int]]
    train_r2: float | None = Field(description="R² of a regression; null for classification")
    test_r2: float | None


class SessionState(BaseModel):
    """A session as clients see it."""

    id: str
    config: Config
    state: State
    epoch: int
    train_loss: float | None = Field(description="null when there are no training points")
    test_loss: float | None
    speed: float | Literal["max"]
    rate: float = Field(0.0, description="achieved epochs per second while running")
    message: str | None = Field(None, description="why the session diverged or failed")
    dead_links: int = Field(0, description="links L1 regularization has killed")
    data_version: int = Field(1, description="changes whenever the points change")
    custom_data: bool = Field(False, description="the points were uploaded, not generated")
    metrics: Metrics | GenerativeMetrics | None = Field(
        None, description="accuracy, confusion or R², as now (a GAN: divergences)"
    )
    room: dict[str, Any] | None = Field(
        None,
        description="in a classroom room (docs/rooms.md): {code, nickname, number, locks, "
        "paused, eyes, timer_ends, challenge, progress}; null outside one",
    )


class TrainRequest(Strict):
    epochs: int = Field(ge=1, description="bounded by the server's max_train_epochs setting")


class EpochLoss(BaseModel):
    epoch: int
    train_loss: float | None
    test_loss: float | None


class TrainResult(BaseModel):
    epoch: int
    state: State
    history: list[EpochLoss]
    cut_short: str | None = Field(
        None,
        description="why fewer epochs than asked were trained, if it was not divergence: "
        "the client disconnected, the server is shutting down, the session was rebuilt",
    )


class Layer(Strict):
    weight: list[list[float]] = Field(description="[out][in], as torch.nn.Linear")
    bias: list[float] = Field(description="[out]")


class Params(Strict):
    layers: list[Layer] = Field(description="hidden layers first, the output layer last")
    dead: list[Link] = Field(
        default_factory=list, description="(layer, neuron, input) of links L1 killed"
    )


class SetParam(Strict):
    """One weight (give ``input``) or one bias (leave ``input`` out)."""

    layer: int = Field(ge=0)
    neuron: int = Field(ge=0)
    input: int | None = Field(None, ge=0)
    value: float = Field(allow_inf_nan=False)


class Data(Strict):
    """Points as [x1, x2, label]; labels ±1 for classification, any number for regression."""

    train: list[PointRow]
    test: list[PointRow] = Field(default_factory=list)


Coordinate = Annotated[
    float, Field(ge=-DOMAIN, le=DOMAIN, allow_inf_nan=False, description="in [-6, 6]")
]


class Point(Strict):
    """One point to add: where, its label, and whether it trains or tests."""

    x: Coordinate
    y: Coordinate
    label: float = Field(
        allow_inf_nan=False,
        description="1 or -1 (two classes), 0..k-1 (k classes) or any number (regression)",
    )
    split: Literal["train", "test"] = "train"


class TrainingState(Strict):
    """What training carries between updates besides the weights, so an import goes on
    exactly as the original would."""

    carried_points: int = Field(
        ge=0, le=2**53, description="training points whose gradients await the next update"
    )
    carried: list[Layer] = Field(description="their summed gradients, shaped like params")
    steps: int = Field(ge=0, le=2**53, description="updates the optimizer has made (adam's t)")
    cursor: int = Field(
        0,
        ge=0,
        le=2**31,
        description="where the next minibatch of the epoch under way starts (0: at an epoch's "
        "start; below the training point count)",
    )
    slots: dict[str, list[Layer]] = Field(
        description="the optimizer's per-parameter state: velocity (momentum), m and v "
        "(adam), none for sgd; each shaped like params"
    )


MAX_DATA_POSITION = 2**20  # points draw ~50 kB of the stream; seeking there stays cheap


class StreamState(Strict):
    """Where a TFP seed's Math.random stream stands (engine/tfp_seed.py), so an import
    draws the same next weights and next seed as the session it came from: ARC4's state
    there (``s``, ``i``, ``j``: resumed at once, however far the stream has run)."""

    position: int = Field(ge=0, le=2**53, description="stream bytes read after the seed")
    data_position: int = Field(
        ge=0,
        le=MAX_DATA_POSITION,
        description="where the points ended (same_init's first weights); at most position",
    )
    s: list[Annotated[int, Field(ge=0, le=255)]] | None = Field(
        None,
        min_length=256,
        max_length=256,
        description="ARC4's permutation of 0..255 (without s, i and j the stream is replayed "
        f"from the seed, for a position of at most {MAX_DATA_POSITION})",
    )
    i: int | None = Field(None, ge=0, le=255)
    j: int | None = Field(None, ge=0, le=255)

    @model_validator(mode="after")
    def _consistent(self) -> StreamState:
        given = [x is not None for x in (self.s, self.i, self.j)]
        if any(given) and not all(given):
            raise ValueError("s, i and j come together (or none of them)")
        if self.s is not None and sorted(self.s) != list(range(256)):
            raise ValueError("s must hold each of 0..255 once (ARC4's permutation)")
        if self.s is None and self.position > MAX_DATA_POSITION:
            raise ValueError(f"without s, i and j, position must be at most {MAX_DATA_POSITION}")
        if self.data_position > self.position:
            raise ValueError("data_position must be at most position")
        return self


MAX_HISTORY = 4096
MAX_IMPORT_EPOCH = 10**12  # training on stays far below the file format's 2⁵³
Loss = Annotated[float, Field(ge=0, allow_inf_nan=False)]


class HistoryFile(Strict):
    """The loss chart so far (as GET …/history): an import continues it."""

    epoch: list[Annotated[int, Field(ge=0, le=2**53)]] = Field(max_length=MAX_HISTORY)
    train_loss: list[Loss | None] = Field(max_length=MAX_HISTORY, description="null: not finite")
    test_loss: list[Loss | None] = Field(max_length=MAX_HISTORY)
    stride: int = Field(1, ge=1, le=2**53, description="the history keeps every stride-th epoch")

    @model_validator(mode="after")
    def _aligned(self) -> HistoryFile:
        if not len(self.epoch) == len(self.train_loss) == len(self.test_loss):
            raise ValueError("epoch, train_loss and test_loss must have the same length")
        if any(b <= a for a, b in zip(self.epoch, self.epoch[1:], strict=False)):
            raise ValueError("epochs must increase")
        return self


class ModelFile(Strict):
    """A network saved by GET …/export/model.json: POST …/import trains on from it."""

    format: Literal["neural-playground-model"] = "neural-playground-model"
    version: Literal[1] = 1
    config: Config
    params: Params
    epoch: int = Field(0, ge=0, le=2**53)
    custom_data: bool = Field(
        False, description="trained on uploaded points: import keeps the session's own points"
    )
    state: TrainingState | None = Field(
        None, description="carried gradients and optimizer state; without it both start empty"
    )
    stream: StreamState | None = Field(
        None, description="a TFP seed's stream position (null for integer seeds)"
    )
    history: HistoryFile | None = Field(
        None, description="the losses so far, up to the file's epoch: the chart goes on"
    )


class ModelImport(ModelFile):
    """A model file to import: as exported, with an epoch training can go on from."""

    epoch: int = Field(0, ge=0, le=MAX_IMPORT_EPOCH, description="training on stays far below 2⁵³")


class Boundary(BaseModel):
    size: int
    extent: tuple[float, float] = (-float(DOMAIN), float(DOMAIN))
    rows: str = "y from +6 (first row) down to -6; x from -6 (first column) to +6"
    values: list[list[float]] = Field(
        description="the output in [-1, 1]; with k > 2 classes the winning class index"
    )
    classes: int = Field(0, description="k for k > 2 classes, else 0 (a single output)")
    confidence: list[list[float]] | None = Field(
        None, description="k > 2 classes: the winning class's probability"
    )


class Health(BaseModel):
    status: Literal["ok", "stopping"]
    sessions: int
    running: int = Field(description="sessions training live now")
    requests: int = Field(description="REST train requests in progress")
    viewers: int = Field(description="websocket viewers connected")
    device: str
    dtype: str
    kernel: str = Field(
        "off",
        description='the compiled CPU kernel: "ready", "compiling" (torch trains meanwhile), '
        '"off" (--no-kernel, or a GPU) or why it is unavailable',
    )
    storage: str = Field(
        "ok", description='"ok", "off" (--no-storage) or "failing: <why>" (writes do not commit)'
    )
