"""Pydantic names only the bound a number broke ("Input should be greater than 0"); a user
should read the whole allowed range. The bounds come from the schemas' own Field limits."""

from __future__ import annotations

import types
import typing
from collections.abc import Mapping
from typing import Any

import annotated_types as at
from pydantic import BaseModel

from server.protocol import generative, messages
from server.protocol import rest as schemas
from server.protocol.rooms import (
    CODE_ALPHABET,
    CODE_PATTERN,
    NICKNAME_HELP,
    NICKNAME_PATTERN,
    TEACHER_KEY_PATTERN,
)
from server.protocol.stored import NAME_PATTERN

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
            text = _range_of(list(info.metadata), info.annotation)
            if text:
                found[name] = text if found.get(name, text) == text else None
    return {name: text for name, text in found.items() if text}


def _range_of(metadata: list[Any], annotation: Any) -> str | None:
    """ "greater than 0 and at most 10" for a number bounded on both sides; for a union of
    one such number and literals (a speed), the literals too: '..., or "max"'."""
    bounds = [
        f"{WORDS[type(m)][0]} {_number(getattr(m, WORDS[type(m)][1]))}"
        for m in metadata
        if type(m) in WORDS
    ]
    if len(bounds) == 2:
        return " and ".join(bounds)
    if typing.get_origin(annotation) not in (typing.Union, types.UnionType):
        return None
    number, words = None, []
    for member in typing.get_args(annotation):
        if typing.get_origin(member) is typing.Annotated:
            inner = [m for extra in typing.get_args(member)[1:] for m in _metadata(extra)]
            number = _range_of(inner, None)
        elif typing.get_origin(member) is typing.Literal:
            words += [f'"{value}"' for value in typing.get_args(member)]
    return f"{number}, or {' or '.join(words)}" if number and words else None


def _metadata(extra: Any) -> list[Any]:
    """The bounds an Annotated member carries (a FieldInfo, or bounds themselves)."""
    return list(getattr(extra, "metadata", [extra]))


def _number(value: float) -> str:
    return str(value) if isinstance(value, int) else f"{value:g}"


RANGES = _ranges()


def _nested(*models: type[BaseModel]) -> dict[str, str]:
    """A generative kind's settings by name (their bounds differ from the MLP's fields of
    the same name: a GAN's batch_size is 1..512)."""
    out = {name: text for model in models for name, info in model.model_fields.items()
           if (text := _range_of(list(info.metadata), info.annotation))}  # fmt: skip
    layers = (f"0 to {generative.MAX_NET_LAYERS} layers of 1 to {generative.MAX_NET_NEURONS} "
              "neurons")  # fmt: skip
    return out | {name: layers for name in ("g_hidden", "d_hidden", "encoder", "decoder")}


# settings inside a config's "gan" or "autoencoder" object, by that object's name
NESTED = {
    "gan": _nested(generative.GanOptions),
    "autoencoder": _nested(generative.AutoencoderOptions),
}
# patterns a person cannot be asked to read, in words (ids, tokens, owner keys)
PATTERN_WORDS = {
    r"^[A-Za-z0-9_-]{8,64}$": "8 to 64 characters of A-Z, a-z, 0-9, _ and -",
}
PATTERN_WORDS[NICKNAME_PATTERN] = NICKNAME_HELP
PATTERN_WORDS[CODE_PATTERN] = f"6 characters of {CODE_ALPHABET} (the join code as shown)"
PATTERN_WORDS[TEACHER_KEY_PATTERN] = "32 to 128 characters of A-Z, a-z, 0-9, _ and -"
PATTERN_WORDS[NAME_PATTERN] = (
    "1 to 80 characters with something to read, without control or invisible characters"
)


def explain(error: Mapping[str, Any]) -> str:
    """``error["msg"]`` of a pydantic error, with the allowed range when a bound was broken."""
    msg = str(error["msg"]).removeprefix("Value error, ")  # our validators' own words
    pattern = (error.get("ctx") or {}).get("pattern")
    if error.get("type") == "string_pattern_mismatch" and pattern in PATTERN_WORDS:
        return f"must be {PATTERN_WORDS[pattern]}"
    names = [part for part in error.get("loc", ()) if is_field(part)]
    ranges = NESTED.get(names[-2], {}) if len(names) > 1 and names[-2] in NESTED else RANGES
    allowed = ranges.get(names[-1]) if names else None
    layers = names and names[-1] in ("g_hidden", "d_hidden", "encoder", "decoder")
    # a bound broken, or any error of a field that takes a number or words (a speed)
    if allowed and (error.get("type") in BOUND_ERRORS or ", or " in allowed or layers):
        return f"{msg} (allowed: {allowed})"
    return msg


def is_field(part: object) -> bool:
    """Whether a part of an error's location names a field: not a list index, nor the
    union member pydantic tried ("constrained-float", "literal['max']")."""
    return isinstance(part, str) and part.isidentifier()
