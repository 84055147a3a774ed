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


def test_every_engine_module_is_held_by_the_contract() -> None:
    """A new top-level module must join the engine's forbidden list, or the contract
    stops covering it."""
    import tomllib

    contract = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    forbidden = set(contract["contracts"][0]["forbidden_modules"])
    modules = {f"server.{p.stem}" for p in (ROOT / "server").glob("*.py")}
    modules -= {"server.__init__", "server.__main__"}
    assert modules == forbidden
