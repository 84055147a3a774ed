"""Config rules: which fields follow a change, which combinations are allowed, and the
training settings a config makes. Shared by sessions (PATCH, the websocket) and create."""

from __future__ import annotations

from typing import Any

from .config import Settings
from .engine import datasets
from .engine.training import Hyper
from .errors import InvalidInput
from .schemas import Config


def hyper_of(config: Config) -> Hyper:
    """The step settings of a config."""
    return Hyper(
        config.learning_rate,
        config.batch_size,
        config.regularization,
        config.regularization_rate,
        config.optimizer,
        config.momentum,
        config.beta1,
        config.beta2,
        config.epsilon,
    )


def follow_changes(config: Config, changes: dict[str, Any]) -> None:
    """Fields that follow a change the caller made without naming them (as a new problem
    picks its first dataset): regression drops classes and cross-entropy; a dataset keeps
    the class count if it can, else the nearest it makes; more than two classes take
    cross-entropy; fewer hidden layers drop their activation overrides."""
    if changes.get("problem") == "regression" and config.problem != "regression":
        changes.setdefault("classes", 2)
        changes.setdefault("loss", "mse")
    if "dataset" in changes and "classes" not in changes:
        low, high = datasets.DATASETS[changes["dataset"]].classes
        changes["classes"] = min(max(config.classes, low), high)
    if changes.get("classes", 2) > 2 and "loss" not in changes:
        changes["loss"] = "cross_entropy"
    if "hidden" in changes and "layer_activations" not in changes:
        changes["layer_activations"] = config.layer_activations[: len(changes["hidden"])]


def check_config(config: Config, settings: Settings) -> None:
    """Checks that depend on settings or on two fields at once."""
    if datasets.DATASETS[config.dataset].problem != config.problem:
        allowed = [n for n, s in datasets.DATASETS.items() if s.problem == config.problem]
        raise InvalidInput(
            f"dataset {config.dataset!r} is not a {config.problem} dataset; "
            f"allowed: {', '.join(allowed)}",
            "config.dataset",
        )
    if config.problem == "regression" and config.classes != 2:
        raise InvalidInput("regression has no classes: classes must be 2", "config.classes")
    if config.problem == "regression" and config.loss != "mse":
        raise InvalidInput(
            "regression trains with mse; cross_entropy is for classification", "config.loss"
        )
    low, high = datasets.DATASETS[config.dataset].classes
    if not low <= config.classes <= high:
        fits = [
            n
            for n, s in datasets.DATASETS.items()
            if s.problem == config.problem and s.classes[0] <= config.classes <= s.classes[1]
        ]
        raise InvalidInput(
            f"dataset {config.dataset!r} makes {low}..{high} classes, not {config.classes}; "
            f"datasets with {config.classes} classes: {', '.join(fits)}",
            "config.classes",
        )
    if config.classes > 2 and config.loss != "cross_entropy":
        raise InvalidInput(
            "more than 2 classes need loss cross_entropy (a softmax output); allowed: "
            "cross_entropy",
            "config.loss",
        )
    if len(config.layer_activations) > len(config.hidden):
        raise InvalidInput(
            f"at most one activation per hidden layer ({len(config.hidden)}), "
            f"got {len(config.layer_activations)}",
            "config.layer_activations",
        )
    if len(config.hidden) > settings.max_layers:
        raise InvalidInput(f"at most {settings.max_layers} hidden layers", "config.hidden")
    for i, size in enumerate(config.hidden):
        if not 1 <= size <= settings.max_neurons:
            raise InvalidInput(
                f"hidden layer sizes must be 1..{settings.max_neurons}, got {size}",
                f"config.hidden.{i}",
            )
