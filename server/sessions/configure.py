"""A config change: the config it leads to, and which of its fields keep the weights or
make new points, as TensorFlow Playground does (Session.apply_config acts on it)."""

from __future__ import annotations

from pydantic import ValidationError

from server.config import Settings
from server.engine.data import datasets
from server.errors import InvalidInput
from server.protocol.rest import Config, ConfigPatch
from server.sessions.rules import check_config, follow_changes

# Changing any of these keeps the weights (as TFP); anything else rebuilds the network.
# A new optimizer or optimizer setting starts the optimizer's state over.
KEEPS_WEIGHTS = {
    "learning_rate",
    "regularization_rate",
    "batch_size",
    *("optimizer", "momentum", "beta1", "beta2", "epsilon", "same_init"),
}
# Changing any of these makes new points.
NEW_DATA = {"problem", "dataset", "noise", "train_ratio", "seed", "classes"}


def next_config(
    config: Config, patch: ConfigPatch, settings: Settings
) -> tuple[Config, set[str], set[str]]:
    """The config after ``patch``, the fields the patch named, and the fields whose
    value changed. A new problem type starts on its first dataset and the follow rules
    apply (rules.follow_changes), as TFP does; InvalidInput names a bad combination."""
    changes = patch.model_dump(exclude_none=True)
    problem = changes.get("problem")
    current = datasets.DATASETS[config.dataset].problem
    if problem and problem != current and "dataset" not in changes:
        changes["dataset"] = next(
            name for name, spec in datasets.DATASETS.items() if spec.problem == problem
        )
    follow_changes(config, changes)
    try:
        new = Config.model_validate({**config.model_dump(), **changes})
    except ValidationError as exc:  # a combination the fields allow one by one
        error = exc.errors()[0]
        field = ".".join(["config", *map(str, error["loc"])])
        raise InvalidInput(error["msg"], field) from None
    check_config(new, settings)
    return new, set(changes), {k for k in changes if getattr(new, k) != getattr(config, k)}
