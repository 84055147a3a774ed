"""What a classroom room's names may be (issue #14): join codes a student types from a
projector, and nicknames. Shapes only; making them is sessions/nicknames.py."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import Field

# no look-alikes: not 0/O/Q/D, 1/I/L/J, 2/Z, 5/S, 8/B, U/V
CODE_ALPHABET = "ACEFGHKMNPRTWXY34679"
CODE_LENGTH = 6
CODE_PATTERN = rf"^[{CODE_ALPHABET}]{{{CODE_LENGTH}}}$"
MAX_NICKNAME = 24
# letters of any script, digits, spaces, - ' and _; something visible, no control characters
NICKNAME_PATTERN = r"^[^\W_](?:[\w '\-]*[^\W_])?$"

JoinCode = Annotated[str, Field(pattern=CODE_PATTERN, description="6 characters, as shown")]
NICKNAME_HELP = "1-24 letters, digits, spaces, - ' _, starting and ending with a letter or digit"
Nickname = Annotated[
    str,
    Field(
        min_length=1, max_length=MAX_NICKNAME, pattern=NICKNAME_PATTERN, description=NICKNAME_HELP
    ),
]

_SEPARATORS = re.compile(r"[\s\-_.]+")


def normal_code(typed: str) -> str | None:
    """A code as a person typed it (any case, spaces or dashes between), or None if it
    cannot be one."""
    code = _SEPARATORS.sub("", typed).upper()
    return code if re.fullmatch(CODE_PATTERN, code) else None
