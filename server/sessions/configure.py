"""A config change on a live session: what it keeps (the weights, the points) and what
it rebuilds, as TensorFlow Playground does."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import ValidationError

from server.engine.data import datasets
from server.errors import InvalidInput
from server.protocol.rest import Config, ConfigPatch
from server.sessions.rules import check_config, follow_changes, hyper_of

if TYPE_CHECKING:
    from server.sessions.session import Session

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


def apply_config(session: Session, patch: ConfigPatch) -> None:
    """Change part of the config. The fields of KEEPS_WEIGHTS keep the weights (as TFP);
    new data fields make new points (under a TFP seed, drawing its next seed first);
    anything else rebuilds the network on the same points."""
    changes = patch.model_dump(exclude_none=True)
    problem = changes.get("problem")
    current = datasets.DATASETS[session.config.dataset].problem
    if problem and problem != current and "dataset" not in changes:
        # as TFP: a new problem type starts on its first dataset
        changes["dataset"] = next(
            name for name, spec in datasets.DATASETS.items() if spec.problem == problem
        )
    follow_changes(session.config, changes)
    try:
        config = Config.model_validate({**session.config.model_dump(), **changes})
    except ValidationError as exc:  # a combination the fields allow one by one
        error = exc.errors()[0]
        field = ".".join(["config", *map(str, error["loc"])])
        raise InvalidInput(error["msg"], field) from None
    check_config(config, session.settings)
    changed = {k for k in changes if getattr(config, k) != getattr(session.config, k)}
    if not changed:
        return
    if changed <= KEEPS_WEIGHTS:
        session.config = config
        session.model.set_hyper(hyper_of(config))
        session.changed()
        return
    if changed & NEW_DATA:
        if isinstance(config.seed, str) and "seed" not in changes:
            # as TFP's page: new data under a TFP seed draws the next seed first
            config = config.model_copy(update={"seed": session.seeds.next_seed()})
        session.seeds.reseed(config.seed)
        split = session.seeds.points(config, thumbnails="problem" in changed)
        session.seeds.start_weights(config, session.init_generator, reseeded="seed" in changed)
        session.custom_data = False
        session.data_version += 1
    else:
        split = session.model.split  # generated or the caller's own points
    session.config = config
    session.model = session.build(config, split)
    session.rebuilt()
