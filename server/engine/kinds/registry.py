"""Every model kind by its config name: one entry each."""

from __future__ import annotations

from server.engine.kinds.base import Kind, KindEntry
from server.engine.kinds.mlp import MLP_CODE, Model

KINDS: dict[str, KindEntry] = {
    entry.name: entry for entry in (KindEntry("mlp", MLP_CODE, Model.from_options),)
}

_: type[Kind] = Model  # mypy holds the MLP to the protocol
