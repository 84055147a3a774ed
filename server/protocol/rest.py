"""Pydantic models of every REST body, response and websocket message."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainValidator,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from server.engine.data.datasets import DATASETS, MAX_CLASSES
from server.engine.features import FEATURES, canonical
from server.engine.tfp_seed import SEED_RULE, seed_error

Problem = Literal["classification", "regression"]
FeatureName = Literal["x1", "x2", "x1_squared", "x2_squared", "x1_x2", "sin_x1", "sin_x2"]
ActivationName = Literal["tanh", "relu", "sigmoid", "linear"]
RegularizationName = Literal["none", "l1", "l2"]
LossName = Literal["mse", "cross_entropy"]
OptimizerName = Literal["sgd", "momentum", "adam"]
Speed = Annotated[float, Field(gt=0, le=100_000)] | Literal["max"]
State = Literal["idle", "running", "paused", "diverged", "failed", "closed"]

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


# the string: printable ASCII without & (0x26) or = (0x3d), as engine/tfp_seed.py checks
Seed = Annotated[
    int | str,
    PlainValidator(_check_seed),
    WithJsonSchema({"anyOf": [
        {"type": "integer", "minimum": 0, "maximum": MAX_INT_SEED},
        {"type": "string", "pattern": "^[ -%'-<>-~]{1,64}$"},
    ]}),
]  # fmt: skip

assert set(FeatureName.__args__) == set(FEATURES)  # type: ignore[attr-defined]


class Strict(BaseModel):
    """A body or message: no unknown fields and no lax coercion ("5" is not 5, 0 is not
    false); a JSON integer still reads as a float."""

    model_config = ConfigDict(extra="forbid", strict=True)


# Fixed-length tuples arrive as JSON arrays, which strict mode would refuse (FastAPI
# validates parsed JSON, where an array is a list); their items stay strict.
PointRow = Annotated[tuple[float, float, float], Field(strict=False)]  # [x1, x2, label]
Link = Annotated[tuple[int, int, int], Field(strict=False)]  # (layer, neuron, input)


class Config(Strict):
    """Everything that defines a run. Defaults are TensorFlow Playground's."""

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

    @field_validator("dataset")
    @classmethod
    def _known_dataset(cls, value: str | None) -> str | None:
        return None if value is None else Config._known_dataset(value)


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
    metrics: Metrics | None = Field(None, description="accuracy, confusion or R², as now")


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


Coordinate = Annotated[float, Field(ge=-6, le=6, allow_inf_nan=False, description="in [-6, 6]")]


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
    extent: tuple[float, float] = (-6.0, 6.0)
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
