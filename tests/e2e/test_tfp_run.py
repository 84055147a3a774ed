"""A real TensorFlow Playground link, opened and clicked through as a teacher would, gives
TFP's own seeds, points, weights and losses (tests/fixtures/tfp_runs.json, recorded from
TFP's code in Node by tests/tfp_oracle/)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest

from tests.e2e.conftest import Playground, Server

FIXTURE = json.loads((Path(__file__).parents[1] / "fixtures" / "tfp_runs.json").read_text())
CASES = {case["name"]: case for case in FIXTURE["cases"]}

# the hash TFP's page writes (State.serialize), every key in its order
TFP_KEYS = ("activation={activation}&batchSize={batchSize}&dataset={dataset}"
            "&regDataset={regDataset}&learningRate={learningRate}&regularizationRate={regularizationRate}&noise={noise}"
            "&networkShape={shape}&seed={seed}&showTestData=false&discretize=false"
            "&percTrainData={percTrainData}&x=true&y=true&xTimesY=false&xSquared=false&ySquared=false"
            "&cosX=false&sinX=false&cosY=false&sinY=false&collectStats=false&problem={problem}"
            "&initZero={init}&hideText=false")  # fmt: skip


def tfp_link(state: dict[str, Any]) -> str:
    return TFP_KEYS.format(**state, shape=",".join(map(str, state["networkShape"])),
                           init=str(state["initZero"]).lower())  # fmt: skip


def url_seed(playground: Playground) -> str:
    fragment = playground.page.evaluate("location.hash").lstrip("#")
    return dict(parse_qsl(fragment, keep_blank_values=True))["seed"]


def check(playground: Playground, server: Server, snapshot: dict[str, Any]) -> None:
    """The page's session has TFP's seed, losses and weights (through the REST API)."""
    sid = playground.session()["id"]
    state = httpx.get(f"{server.url}/api/sessions/{sid}").json()
    assert state["config"]["seed"] == snapshot["seed"]
    assert state["train_loss"] == pytest.approx(snapshot["loss"][0], rel=1e-12)
    assert state["test_loss"] == pytest.approx(snapshot["loss"][1], rel=1e-12)
    layers = httpx.get(f"{server.url}/api/sessions/{sid}/params").json()["layers"]
    expected = [[node["weights"] for node in layer] for layer in snapshot["weights"]]
    flat = [w for layer in layers for row in layer["weight"] for w in row]
    assert flat == pytest.approx([w for layer in expected for row in layer for w in row], abs=1e-12)
    assert url_seed(playground) == snapshot["seed"]  # the address bar carries it


def step(playground: Playground, server: Server, epochs: list[list[float]]) -> None:
    """Click Step once per recorded epoch; the losses follow TFP's epoch by epoch."""
    sid = playground.session()["id"]
    start = playground.epoch()
    for n, (train_loss, test_loss) in enumerate(epochs, 1):
        playground.page.locator('[data-action="step"]').click()
        state = playground.wait_session(lambda s, e=start + n: s["epoch"] == e)
        assert state["id"] == sid
        assert state["train_loss"] == pytest.approx(train_loss, rel=1e-9)
        assert state["test_loss"] == pytest.approx(test_loss, rel=1e-9)


def test_the_default_tfp_link_trains_as_tfps_page(playground: Playground, server: Server) -> None:
    case = CASES["default circle"]
    playground.open(tfp_link(case["state"]))
    check(playground, server, case["steps"][0]["start"])
    step(playground, server, case["steps"][1]["losses"][:5])


def test_regenerate_a_thumbnail_and_the_problem_follow_tfps_seeds(
    playground: Playground, server: Server
) -> None:
    case = CASES["regenerate, thumbnail, problem"]
    steps = case["steps"]
    playground.open(tfp_link(case["state"]))
    check(playground, server, steps[0]["start"])
    step(playground, server, steps[1]["losses"])
    page = playground.page
    clicks = [
        lambda: page.locator('[data-action="regenerate"]').click(),
        lambda: page.locator('[data-dataset="spiral"]').click(),
        lambda: page.locator("#problem").select_option("regression"),
        lambda: page.locator('[data-dataset="multi_gauss"]').click(),
    ]
    for click, (changed, trained) in zip(
        clicks, zip(steps[2::2], steps[3::2], strict=True), strict=True
    ):
        snapshot = next(iter(changed.values()))
        click()
        playground.wait_config({"seed": snapshot["seed"]})
        check(playground, server, snapshot)
        step(playground, server, trained["losses"])
