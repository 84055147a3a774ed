"""Pydantic names only the bound a number broke ("Input should be greater than 0"); a user
should read the whole allowed range. The bounds come from the schemas' own Field limits."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import annotated_types as at
from pydantic import BaseModel

from server.protocol import messages
from server.protocol import rest as schemas

BOUND_ERRORS = {"greater_than", "greater_than_equal", "less_than", "less_than_equal"}
WORDS = {
    at.Gt: ("greater than", "gt"),
    at.Ge: ("at least", "ge"),
    at.Lt: ("less than", "lt"),
    at.Le: ("at most", "le"),
}


def _ranges() -> dict[str, str]:
    """Field name -> "greater than 0 and at most 10", for fields bounded on both sides and
    bounded alike wherever the name appears."""
    found: dict[str, str | None] = {}
    for model in [*vars(schemas).values(), *vars(messages).values()]:
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            continue
        for name, info in model.model_fields.items():
            bounds = [
                f"{WORDS[type(m)][0]} {_number(getattr(m, WORDS[type(m)][1]))}"
                for m in info.metadata
                if type(m) in WORDS
            ]
            if len(bounds) == 2:
                text = " and ".join(bounds)
                found[name] = text if found.get(name, text) == text else None
    return {name: text for name, text in found.items() if text}


def _number(value: float) -> str:
    return str(value) if isinstance(value, int) else f"{value:g}"


RANGES = _ranges()


def explain(error: Mapping[str, Any]) -> str:
    """``error["msg"]`` of a pydantic error, with the allowed range when a bound was broken."""
    msg = str(error["msg"]).removeprefix("Value error, ")  # our validators' own words
    names = [part for part in error.get("loc", ()) if isinstance(part, str)]
    if error.get("type") in BOUND_ERRORS and names and names[-1] in RANGES:
        return f"{msg} (allowed: {RANGES[names[-1]]})"
    return msg
