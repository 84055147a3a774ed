"""Config rules: which fields follow a change, which combinations are allowed, and the
training settings a config makes. Shared by sessions (PATCH, the websocket) and create."""

from __future__ import annotations

from typing import Any

from server.config import Settings
from server.engine.data import datasets
from server.engine.training import Hyper
from server.errors import InvalidInput
from server.protocol.rest import Config


def hyper_of(config: Config) -> Hyper:
    """The step settings of a config (the engine reads them from its fields)."""
    return Hyper.from_options(config.model_dump())


# TFP's own two-class datasets train with TFP's loss (0.5·MSE) unless the caller picks another.
TFP_DATASETS = ("circle", "xor", "gauss", "spiral")
DATA_FIELDS = ("problem", "dataset", "classes")


def data_loss(problem: str, dataset: str, classes: int) -> str | None:
    """The loss the data calls for: mse for regression and for TFP's two-class datasets,
    cross_entropy for more than two classes; None where either fits and the data does not
    choose (our other two-class datasets)."""
    if problem == "regression":
        return "mse"
    if classes > 2:
        return "cross_entropy"
    return "mse" if dataset in TFP_DATASETS else None


def follow_changes(config: Config, changes: dict[str, Any]) -> None:
    """Fields that follow a change the caller made without naming them (as a new problem
    picks its first dataset): regression takes 2 classes; a dataset keeps the class count
    if it can, else the nearest it makes; fewer hidden layers drop their activation
    overrides; and the loss follows the data (data_loss) unless the change names it.

    The server keeps no memory of who chose a loss: a loss that differs from what the data
    calls for (cross-entropy on circle) was chosen, and stays while the data allows it; a
    loss the data forced (cross-entropy for 4 classes) follows the data back. A page that
    remembers an earlier choice (static/js/state/rules.js) names the loss in its patch."""
    if changes.get("problem") == "regression" and config.problem != "regression":
        changes.setdefault("classes", 2)
    if "dataset" in changes and "classes" not in changes:
        low, high = datasets.DATASETS[changes["dataset"]].classes
        changes["classes"] = min(max(config.classes, low), high)
    if "loss" not in changes and any(f in changes for f in DATA_FIELDS):
        problem = changes.get("problem", config.problem)
        wanted = data_loss(
            problem, changes.get("dataset", config.dataset), changes.get("classes", config.classes)
        )
        was = data_loss(config.problem, config.dataset, config.classes)
        chosen = problem == "classification" and was == "mse" and config.loss != "mse"
        if wanted is not None and wanted != config.loss and not (wanted == "mse" and chosen):
            changes["loss"] = wanted
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
