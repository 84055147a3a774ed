"""The config of a run: its field types, bounds and defaults (TFP's), and the strict base
every body and message shares."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    Field,
    PlainValidator,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from server.engine.data.datasets import DATASETS, MAX_CLASSES
from server.engine.features import FEATURES, canonical
from server.engine.tfp_seed import SEED_RULE, SEED_TEXT, seed_error
from server.protocol.base import Strict as Strict
from server.protocol.generative import (
    AutoencoderOptions,
    AutoencoderPatch,
    GanOptions,
    GanPatch,
)

Problem = Literal["classification", "regression"]
FeatureName = Literal["x1", "x2", "x1_squared", "x2_squared", "x1_x2", "sin_x1", "sin_x2"]
ActivationName = Literal["tanh", "relu", "sigmoid", "linear"]
RegularizationName = Literal["none", "l1", "l2"]
LossName = Literal["mse", "cross_entropy"]
OptimizerName = Literal["sgd", "momentum", "adam"]
Speed = Annotated[float, Field(gt=0, le=100_000)] | Literal["max"]


class State(StrEnum):
    """A session's state as the wire carries it: its name in JSON (a StrEnum equals its
    name, ``State.RUNNING == "running"``) and ``code``, its byte in a frame's header. The
    moves between states are the sessions layer's (sessions/state.py)."""

    IDLE = "idle"
    RUNNING = "running"
    PAUSED = "paused"
    DIVERGED = "diverged"
    FAILED = "failed"
    CLOSED = "closed"

    @property
    def code(self) -> int:
        return _STATE_CODES[self]


_STATE_CODES = {state: code for code, state in enumerate(State)}
KindName = Literal["mlp", "gan", "autoencoder"]  # engine/kinds/registry.py

SPEEDS: list[float | str] = [1, 3, 10, 30, 60, 120, 300, 1000, "max"]
DEFAULT_SPEED = 60  # epochs/s: about one epoch per displayed frame, as TFP animates
LEARNING_RATES = [0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10]
REGULARIZATION_RATES = [0, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10]

MAX_INT_SEED = 2**31 - 1
SEED_HELP = (
    f"an integer 0..{MAX_INT_SEED} (numpy and torch draw the points and weights), or a "
    f"TensorFlow Playground seed string ({SEED_RULE}): TFP's seedrandom stream, so the "
    "points and initial weights are the ones TFP's page shows for that seed"
)


def _check_seed(value: Any) -> int | str:
    if isinstance(value, str):
        problem = seed_error(value)
        if problem:
            raise ValueError(problem)
        return value
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError(
            f"Input should be a valid integer 0..{MAX_INT_SEED} or a TFP seed string, got {value!r}"
        )
    if not 0 <= value <= MAX_INT_SEED:
        raise ValueError(f"an integer seed must be 0..{MAX_INT_SEED}, got {value}")
    return value


# the string: engine/tfp_seed.py's SEED_TEXT, the rule seed_error checks
Seed = Annotated[
    int | str,
    PlainValidator(_check_seed),
    WithJsonSchema({"anyOf": [
        {"type": "integer", "minimum": 0, "maximum": MAX_INT_SEED},
        {"type": "string", "pattern": SEED_TEXT},
    ]}),
]  # fmt: skip

assert set(FeatureName.__args__) == set(FEATURES)  # type: ignore[attr-defined]


class Config(Strict):
    """Everything that defines a run. Defaults are TensorFlow Playground's."""

    kind: KindName = Field(
        "mlp",
        description="the model kind (a body without it is an mlp): mlp, TFP's network; gan, "
        "a generator and a discriminator on 2-D points (the settings in `gan`); autoencoder, "
        "2-D points through a bottleneck and back (`autoencoder`)",
    )
    problem: Problem = "classification"
    dataset: str = Field("circle", description=f"one of {', '.join(DATASETS)}")
    noise: int = Field(0, ge=0, le=50, description="percent")
    train_ratio: int = Field(50, ge=10, le=90, description="percent of points used to train")
    seed: Seed = Field(0, description=SEED_HELP)
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
    # -- beyond TensorFlow Playground (the defaults keep its rules) -----------------------
    classes: int = Field(
        2,
        ge=2,
        le=MAX_CLASSES,
        description="classification only (regression: 2); more than 2 needs loss cross_entropy "
        "and a dataset that makes them (arms, clouds, rings)",
    )
    loss: LossName = Field(
        "mse",
        description="mse: TFP's 0.5·(output − target)²; cross_entropy: sigmoid + binary "
        "cross-entropy for 2 classes, softmax + cross-entropy for more (classification only)",
    )
    optimizer: OptimizerName = Field("sgd", description="sgd is TFP's update")
    momentum: float = Field(0.9, ge=0, le=0.999, description="μ of the momentum optimizer")
    beta1: float = Field(0.9, ge=0, le=0.999, description="adam's first-moment decay")
    beta2: float = Field(0.999, ge=0, le=0.99999, description="adam's second-moment decay")
    epsilon: float = Field(1e-8, gt=0, le=1, description="adam's denominator guard")
    same_init: bool = Field(
        False, description="reset (and every rebuild) starts from the seed's first weights"
    )
    init_zero: bool = Field(False, description="TFP's initZero: every weight and bias starts at 0")
    layer_activations: list[ActivationName | None] = Field(
        default_factory=list,
        description="per hidden layer: an activation, or null for `activation` "
        "(at most one entry per hidden layer)",
    )
    # -- the generative kinds' own settings (null until the kind is first chosen) ----------
    gan: GanOptions | None = Field(None, description="kind gan: its nets, noise, steps, loss")
    autoencoder: AutoencoderOptions | None = Field(
        None, description="kind autoencoder: its nets, bottleneck, input noise"
    )

    @model_validator(mode="after")
    def _kind_settings(self) -> Config:
        # a generative kind without its settings gets the defaults
        if self.kind == "gan" and self.gan is None:
            self.gan = GanOptions()
        if self.kind == "autoencoder" and self.autoencoder is None:
            self.autoencoder = AutoencoderOptions()
        return self

    @model_validator(mode="before")
    @classmethod
    def _classes_need_cross_entropy(cls, data: Any) -> Any:
        # more than two classes without a loss given: cross-entropy, the only one that fits
        if isinstance(data, dict) and "loss" not in data:
            classes = data.get("classes")
            if isinstance(classes, int) and classes > 2:
                return {**data, "loss": "cross_entropy"}
        return data

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

    kind: KindName | None = None
    problem: Problem | None = None
    dataset: str | None = None
    noise: int | None = Field(None, ge=0, le=50)
    train_ratio: int | None = Field(None, ge=10, le=90)
    seed: Seed | None = Field(None, description=SEED_HELP)
    features: list[FeatureName] | None = Field(None, min_length=1)
    hidden: list[int] | None = None
    activation: ActivationName | None = None
    learning_rate: float | None = Field(None, gt=0, le=10)
    batch_size: int | None = Field(None, ge=1, le=30)
    regularization: RegularizationName | None = None
    regularization_rate: float | None = Field(None, ge=0, le=10)
    classes: int | None = Field(None, ge=2, le=MAX_CLASSES)
    loss: LossName | None = None
    optimizer: OptimizerName | None = None
    momentum: float | None = Field(None, ge=0, le=0.999)
    beta1: float | None = Field(None, ge=0, le=0.999)
    beta2: float | None = Field(None, ge=0, le=0.99999)
    epsilon: float | None = Field(None, gt=0, le=1)
    same_init: bool | None = None
    init_zero: bool | None = None
    layer_activations: list[ActivationName | None] | None = None
    gan: GanPatch | None = Field(None, description="changes some of the GAN's settings")
    autoencoder: AutoencoderPatch | None = Field(
        None, description="changes some of the autoencoder's settings"
    )

    @field_validator("dataset")
    @classmethod
    def _known_dataset(cls, value: str | None) -> str | None:
        return None if value is None else Config._known_dataset(value)
