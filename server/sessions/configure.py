"""A config change: the config it leads to, and which of its fields keep the weights or
make new points, as TensorFlow Playground does (Session.apply_config acts on it)."""

from __future__ import annotations

from pydantic import ValidationError

from server.config import Settings
from server.engine.data import datasets
from server.errors import InvalidInput
from server.protocol.generative import KEEPS_NETS
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
    for part in ("gan", "autoencoder"):  # a kind's settings: the named ones change
        if part in changes:
            current_part = getattr(config, part)
            base = current_part.model_dump() if current_part is not None else {}
            changes[part] = {**base, **changes[part]}
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
    changed = {k for k in changes if getattr(new, k) != getattr(config, k)}
    for part in {"gan", "autoencoder"} & changed:  # which of the kind's settings changed
        old, now = getattr(config, part), getattr(new, part)
        changed |= {f"{part}.{k}" for k, v in now if old is None or getattr(old, k) != v}
    return new, set(changes), changed


def generative_change(config: Config, changed: set[str]) -> str:
    """What a change of a generative session's config does: "keep" (the nets stay, new
    settings), "data" (new points and nets), "rebuild" (new nets, same points) or
    "inert" (only fields its kind does not use changed: stored, nothing else)."""
    kind = config.kind
    own = {name.split(".", 1)[1] for name in changed if name.startswith(f"{kind}.")}
    source = getattr(config, kind).source
    # the distributions draw with the config's noise and train ratio too; the dataset's
    # own fields matter only when the points are the dataset's
    own_data = {"dataset", "classes", "problem"} if source == "dataset" else set()
    data = {"noise", "train_ratio"} | own_data
    if "kind" in changed or "source" in own or changed & (data | {"seed"}):
        return "data"
    if own - KEEPS_NETS[kind]:
        return "rebuild"
    return "keep" if own else "inert"
