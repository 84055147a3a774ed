"""/api/options' bounds are the models' own: each one is exactly where they refuse."""

from __future__ import annotations

import json
import math
import re
import shutil
import subprocess
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from server.config import Settings
from server.errors import InvalidInput
from server.protocol.config import Config
from server.protocol.messages import SetSpeed
from server.protocol.options import BOUNDED, bounds, option_lists, page_options, seed_text
from server.sessions.rules import check_config

SETTINGS = Settings(max_layers=3, max_neurons=5)


def _accepts(name: str, value: float) -> bool:
    """Does the model that owns ``name`` take ``value``?"""
    try:
        if name == "speed":
            SetSpeed.model_validate({"type": "speed", "speed": value})
        elif name in ("neurons", "layers"):
            hidden = [int(value)] if name == "neurons" else [1] * int(value)
            check_config(Config(hidden=hidden), SETTINGS)
        else:
            Config.model_validate({name: value})
    except (ValidationError, InvalidInput):
        return False
    return True


def _typed(bound: dict[str, Any], value: float) -> float:
    return int(value) if bound.get("integer") else float(value)


def _beyond(bound: dict[str, Any], value: float, up: bool) -> float:
    """The next value past ``value``: 1 for integers, one float step otherwise."""
    if bound.get("integer"):
        return int(value) + (1 if up else -1)
    return math.nextafter(float(value), math.inf if up else -math.inf)


@pytest.mark.parametrize("name", [*BOUNDED, "speed", "seed", "neurons", "layers"])
def test_each_bound_is_where_the_model_refuses(name: str) -> None:
    bound = bounds(SETTINGS)[name]
    assert set(bound) <= {"min", "max", "min_open", "max_open", "integer"}
    assert all(bound[k] is True for k in ("min_open", "max_open", "integer") if k in bound)
    low, high = bound["min"], bound["max"]
    assert _accepts(name, _typed(bound, high)), f"{name} refuses its max {high}"
    assert not _accepts(name, _beyond(bound, high, up=True)), f"{name} takes more than {high}"
    if bound.get("min_open"):
        assert not _accepts(name, _typed(bound, low)), f"{name} takes its open min {low}"
        assert _accepts(name, _beyond(bound, low, up=True)), f"{name} refuses just above {low}"
    else:
        assert _accepts(name, _typed(bound, low)), f"{name} refuses its min {low}"
    if not bound.get("min_open") and name != "layers":  # (a list is never shorter than 0)
        assert not _accepts(name, _beyond(bound, low, up=False)), f"{name} takes below {low}"
    if bound.get("integer") and name not in ("neurons", "layers"):
        assert not _accepts(name, high - 0.5), f"{name} takes a fraction"


def test_the_shape_hash_js_reads() -> None:
    b = bounds(Settings())
    assert b["noise"] == {"min": 0, "max": 50, "integer": True}
    assert b["learning_rate"] == {"min": 0, "max": 10, "min_open": True}
    assert b["speed"] == {"min": 0, "max": 100000, "min_open": True}
    assert b["seed"] == {"min": 0, "max": 2147483647, "integer": True}
    assert b["neurons"] == {"min": 1, "max": 8, "integer": True}
    assert b["layers"] == {"min": 0, "max": 6, "integer": True}
    assert seed_text() == {"min_length": 1, "max_length": 64, "pattern": "^[ -%'-<>-~]{1,64}$"}


def test_limits_pairs_follow_the_bounds() -> None:
    options = option_lists(SETTINGS)
    for name in BOUNDED:
        assert options["limits"][name] == [
            options["bounds"][name]["min"],
            options["bounds"][name]["max"],
        ]
    assert options["limits"]["max_layers"] == options["bounds"]["layers"]["max"] == 3
    assert options["limits"]["max_neurons"] == options["bounds"]["neurons"]["max"] == 5


SEEDS = ["0.12345", " ", "~", "a b", "x" * 64, "x" * 65, "", "a&b", "a=b", "é", "a\n", "\x7f"]


def _seed_ok(seed: str) -> bool:
    try:
        Config(seed=seed)
    except ValidationError:
        return False
    return True


def test_the_seed_text_rule_is_configs_in_python() -> None:
    rule = seed_text()
    pattern = re.compile(rule["pattern"])
    for seed in SEEDS:
        fits = bool(pattern.fullmatch(seed))
        fits = fits and rule["min_length"] <= len(seed) <= rule["max_length"]
        assert fits == _seed_ok(seed), repr(seed)


@pytest.mark.skipif(shutil.which("node") is None, reason="needs node for JavaScript's RegExp")
def test_the_seed_pattern_reads_the_same_in_javascript() -> None:
    script = (
        "const [p, seeds] = JSON.parse(process.argv[1]);"
        "const re = new RegExp(p, 'u');"
        "console.log(JSON.stringify(seeds.map((s) => re.test(s))));"
    )
    arg = json.dumps([seed_text()["pattern"], SEEDS])
    done = subprocess.run(["node", "-e", script, arg], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [_seed_ok(s) for s in SEEDS]


def test_the_page_carries_the_bounds_and_the_registries_titles(client: TestClient) -> None:
    options = page_options(Settings())
    assert options["bounds"] == bounds(Settings()) and options["seed_text"] == seed_text()
    assert {a["name"]: a["title"] for a in options["activations"]} == {
        "tanh": "Tanh", "relu": "ReLU", "sigmoid": "Sigmoid", "linear": "Linear",
    }  # fmt: skip
    assert [o["title"] for o in options["optimizers"]] == ["SGD", "Momentum", "Adam"]
    assert [o["title"] for o in options["losses"]] == ["0.5·MSE", "Cross-entropy"]
    assert [o["title"] for o in options["regularizations"]] == ["None", "L1", "L2"]
    html = client.get("/").text
    assert '"bounds"' in html and '"seed_text"' in html
