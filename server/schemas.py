"""Pydantic models of every REST body, response and websocket message."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from .engine.datasets import DATASETS
from .engine.features import FEATURES, canonical

Problem = Literal["classification", "regression"]
FeatureName = Literal["x1", "x2", "x1_squared", "x2_squared", "x1_x2", "sin_x1", "sin_x2"]
ActivationName = Literal["tanh", "relu", "sigmoid", "linear"]
RegularizationName = Literal["none", "l1", "l2"]
Speed = Annotated[float, Field(gt=0, le=100_000)] | Literal["max"]
State = Literal["idle", "running", "paused", "diverged", "failed", "closed"]

SPEEDS: list[float | str] = [1, 3, 10, 30, 60, 120, 300, 1000, "max"]
DEFAULT_SPEED = 60  # epochs/s: about one epoch per displayed frame, as TFP animates
LEARNING_RATES = [0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10]
REGULARIZATION_RATES = [0, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10]

assert set(FeatureName.__args__) == set(FEATURES)  # type: ignore[attr-defined]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Config(Strict):
    """Everything that defines a run. Defaults are TensorFlow Playground's."""

    problem: Problem = "classification"
    dataset: str = Field("circle", description=f"one of {', '.join(DATASETS)}")
    noise: int = Field(0, ge=0, le=50, description="percent")
    train_ratio: int = Field(50, ge=10, le=90, description="percent of points used to train")
    seed: int = Field(0, ge=0, le=2**31 - 1)
    features: list[FeatureName] = Field(default_factory=lambda: ["x1", "x2"], min_length=1)  # type: ignore[arg-type]
    hidden: list[int] = Field(
        default_factory=lambda: [4, 2],
        description="neurons per hidden layer (limits in /api/options)",
    )
    activation: ActivationName = "tanh"
    learning_rate: float = Field(0.03, gt=0, le=10)
    batch_size: int = Field(10, ge=1, le=30)
    regularization: RegularizationName = "none"
    regularization_rate: float = Field(0.0, ge=0, le=10)

    @field_validator("dataset")
    @classmethod
    def _known_dataset(cls, value: str) -> str:
        if value not in DATASETS:
            raise ValueError(f"unknown dataset {value!r}; allowed: {', '.join(DATASETS)}")
        return value

    @field_validator("features")
    @classmethod
    def _ordered_features(cls, value: list[FeatureName]) -> list[FeatureName]:
        return canonical(value)  # type: ignore[return-value]


class ConfigPatch(Strict):
    """Any subset of Config's fields."""

    problem: Problem | None = None
    dataset: str | None = None
    noise: int | None = Field(None, ge=0, le=50)
    train_ratio: int | None = Field(None, ge=10, le=90)
    seed: int | None = Field(None, ge=0, le=2**31 - 1)
    features: list[FeatureName] | None = Field(None, min_length=1)
    hidden: list[int] | None = None
    activation: ActivationName | None = None
    learning_rate: float | None = Field(None, gt=0, le=10)
    batch_size: int | None = Field(None, ge=1, le=30)
    regularization: RegularizationName | None = None
    regularization_rate: float | None = Field(None, ge=0, le=10)


class CreateSession(Strict):
    config: Config = Field(default_factory=Config)


class PatchSession(Strict):
    config: ConfigPatch


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


class Layer(Strict):
    weight: list[list[float]] = Field(description="[out][in], as torch.nn.Linear")
    bias: list[float] = Field(description="[out]")


class Params(Strict):
    layers: list[Layer] = Field(description="hidden layers first, the output layer last")
    dead: list[tuple[int, int, int]] = Field(
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

    train: list[tuple[float, float, float]]
    test: list[tuple[float, float, float]] = Field(default_factory=list)


class Boundary(BaseModel):
    size: int
    extent: tuple[float, float] = (-6.0, 6.0)
    rows: str = "y from +6 (first row) down to -6; x from -6 (first column) to +6"
    values: list[list[float]]


class Health(BaseModel):
    status: Literal["ok"]
    sessions: int
    device: str
    dtype: str


# -- websocket: client -> server ----------------------------------------------------------
class Play(Strict):
    type: Literal["play"]


class Pause(Strict):
    type: Literal["pause"]


class Step(Strict):
    type: Literal["step"]


class Reset(Strict):
    type: Literal["reset"]


class Regenerate(Strict):
    type: Literal["regenerate"]


class SetConfig(Strict):
    type: Literal["config"]
    config: ConfigPatch


class SetWeight(SetParam):
    type: Literal["set_weight"]


class SetSpeed(Strict):
    type: Literal["speed"]
    speed: Speed


class Ack(Strict):
    type: Literal["ack"]
    seq: int | None = None


class View(Strict):
    """What frames a viewer wants: output grid size, neuron maps and their size."""

    type: Literal["view"]
    grid: int = Field(100, ge=10, le=200)
    maps: bool = True
    map_size: int = Field(25, ge=5, le=50)
    fps: float = Field(60, gt=0, le=120, description="most frames per second this viewer wants")


ClientMessage = Annotated[
    Play | Pause | Step | Reset | Regenerate | SetConfig | SetWeight | SetSpeed | Ack | View,
    Field(discriminator="type"),
]


def error_message(field: str, message: str) -> dict[str, Any]:
    """The websocket's error message."""
    return {"type": "error", "field": field, "message": message}
