"""Where the static assets and templates are, installed or in a source checkout."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent.parent  # server/


def _find(name: str) -> Path:
    # A wheel puts them inside the package; a checkout (or editable install) beside it.
    for candidate in (_PACKAGE / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise RuntimeError(f"cannot find the {name}/ directory next to {_PACKAGE}")


STATIC = _find("static")
TEMPLATES = _find("templates")
