"""The strict base every body, message and config shares."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Strict(BaseModel):
    """A body or message: no unknown fields and no lax coercion ("5" is not 5, 0 is not
    false); a JSON integer still reads as a float."""

    model_config = ConfigDict(extra="forbid", strict=True)
