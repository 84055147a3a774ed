"""The house rules a tool can check, run with the tests so CI holds them: ruff's lint and
format, mypy --strict on server/, and the import contract in pyproject.toml (import-linter).
Each failure prints the tool's own report."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHECKS = {
    "ruff check": [sys.executable, "-m", "ruff", "check", "server", "tests", "bench"],
    "ruff format": [sys.executable, "-m", "ruff", "format", "--check", "server", "tests", "bench"],
    "mypy --strict": [sys.executable, "-m", "mypy", "--strict", "server"],
    "import contract": [str(Path(sys.executable).with_name("lint-imports"))],
}


@pytest.mark.timeout(600)
@pytest.mark.parametrize("name", list(CHECKS))
def test_the_tree_passes(name: str) -> None:
    done = subprocess.run(CHECKS[name], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"{name} failed:\n{done.stdout}\n{done.stderr}"


def test_every_module_is_held_by_the_contract() -> None:
    """Every top-level module or package of server/ is a layer of the contract or one of
    its leaves (config, errors): a new one must take its place, or the contract stops
    covering it."""
    import tomllib

    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    by_type = {c["type"]: c for c in contracts["contracts"] if c["type"] == "layers"}
    leaves = next(c for c in contracts["contracts"] if "leaves" in c["name"])
    # a layer may hold siblings ("server.formats | server.storage": neither imports the other)
    layers = {m.strip() for layer in by_type["layers"]["layers"] for m in layer.split("|")}
    held = layers | set(leaves["source_modules"])
    assert set(leaves["forbidden_modules"]) == layers
    top = {p.stem for p in (ROOT / "server").glob("*.py")} - {"__init__", "__main__"}
    top |= {p.parent.name for p in (ROOT / "server").glob("*/__init__.py")}
    assert {f"server.{name}" for name in top} == held
