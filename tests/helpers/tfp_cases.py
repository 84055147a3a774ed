"""The recorded TFP runs (tests/fixtures/tfp_runs.json, from tests/tfp_oracle/) and the
helpers that hold a session to them, shared by the engine's and the sessions' seed tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from server.config import Settings
from server.protocol.rest import Config
from server.sessions.session import Session

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
FIXTURE = json.loads((FIXTURES / "tfp_runs.json").read_text())
CASES = {case["name"]: case for case in FIXTURE["cases"]}
TFP_FEATURES = {"x": "x1", "y": "x2", "xSquared": "x1_squared", "ySquared": "x2_squared",
                "xTimesY": "x1_x2", "sinX": "sin_x1", "sinY": "sin_x2"}  # fmt: skip
REG_NAMES = {"reg-plane": "plane", "reg-gauss": "multi_gauss"}
PORT_NAMES = {"plane": "reg-plane", "multi_gauss": "reg-gauss"}


def config_of(state: dict[str, Any]) -> Config:
    """A TFP state (as the oracle records it) as our config."""
    regression = state["problem"] == "regression"
    return Config(
        seed=state["seed"],
        problem=state["problem"],
        dataset=REG_NAMES[state["regDataset"]] if regression else state["dataset"],
        noise=state["noise"],
        train_ratio=state["percTrainData"],
        hidden=state["networkShape"],
        activation=state["activation"],
        regularization=state["regularization"].lower(),
        regularization_rate=state["regularizationRate"],
        learning_rate=state["learningRate"],
        batch_size=state["batchSize"],
        features=[TFP_FEATURES[f] for f in state["features"]],
        init_zero=state["initZero"],
    )


def digest(points: np.ndarray, labels: np.ndarray) -> dict[str, Any]:
    """The oracle's digest: index-weighted sums tell a reordering apart."""
    w = np.arange(1, len(labels) + 1)
    return {"n": len(labels), "sx": float(w @ points[:, 0]), "sy": float(w @ points[:, 1]),
            "sl": float(w @ labels), "first": np.column_stack([points[:3], labels[:3]]).tolist(),
            "last": np.column_stack([points[-1:], labels[-1:]]).tolist()}  # fmt: skip


def assert_digest(ours: dict[str, Any], tfp: dict[str, Any]) -> None:
    assert ours["n"] == tfp["n"]
    for mine, theirs in ((ours["first"], tfp["first"]), (ours["last"], tfp["last"])):
        # labels exactly; coordinates to an ulp or so: V8's Math.sin and cos (spiral, circle)
        # may differ from the C library's in the last bit
        assert [p[2] for p in mine] == [p[2] for p in theirs]
        np.testing.assert_allclose(
            np.array(mine)[:, :2], np.array(theirs)[:, :2], rtol=1e-14, atol=1e-14
        )
    for key in ("sx", "sy", "sl"):  # sums: equal up to their own rounding
        assert ours[key] == pytest.approx(tfp[key], rel=1e-12, abs=1e-9)


def tfp_layers(layers: list[list[dict[str, Any]]]) -> list[tuple[list[list[float]], list[float]]]:
    return [
        ([node["weights"] for node in layer], [node["bias"] for node in layer]) for layer in layers
    ]


def assert_network(session: Session, layers: list[list[dict[str, Any]]]) -> None:
    for (w, b), (tw, tb) in zip(
        zip(session.model.net.weights, session.model.net.biases, strict=True),
        tfp_layers(layers),
        strict=True,
    ):
        np.testing.assert_allclose(w.numpy(), np.array(tw).reshape(w.shape), rtol=0, atol=1e-12)
        np.testing.assert_allclose(b.numpy(), tb, rtol=0, atol=1e-12)


def make(config: Config) -> Session:
    return Session("s", config, Settings(), torch.device("cpu"))


def split_digests(session: Session) -> tuple[dict[str, Any], dict[str, Any]]:
    s = session.model.split
    return digest(s.train_x, s.train_y), digest(s.test_x, s.test_y)


# -- the port against TFP's own code -------------------------------------------------------
