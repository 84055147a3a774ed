"""A network trained through the REST API from given points and given initial parameters
follows TensorFlow Playground's rules to float64 precision (tests/helpers/tfp_reference.py)."""

from __future__ import annotations

import numpy as np
import pytest
from fastapi.testclient import TestClient

from tests.helpers.tfp_reference import TFPNetwork, make_inputs

CASES = [
    # features, hidden, activation, batch, regularization, rate, problem
    (["x1", "x2"], [4, 2], "tanh", 10, "none", 0.0, "classification"),
    (["x1", "x2", "x1_squared", "sin_x2"], [3], "relu", 7, "l1", 0.01, "classification"),
    (["x1", "x2", "x1_x2"], [5, 3], "sigmoid", 4, "l2", 0.03, "regression"),
    (["x1", "x2"], [], "linear", 30, "l1", 0.1, "regression"),
]


@pytest.mark.parametrize(
    ("features", "hidden", "activation", "batch", "reg", "rate", "problem"), CASES
)
def test_rest_training_matches_reference(
    client: TestClient,
    features: list,
    hidden: list,
    activation: str,
    batch: int,
    reg: str,
    rate: float,
    problem: str,
) -> None:
    rng = np.random.default_rng(42)
    points = rng.uniform(-6, 6, (40, 2))
    if problem == "classification":
        labels = np.where(np.hypot(points[:, 0], points[:, 1]) < 3, 1.0, -1.0)
    else:
        labels = np.tanh((points[:, 0] - points[:, 1]) / 6)
    rows = np.column_stack([points, labels]).tolist()
    train_rows, test_rows = rows[:27], rows[27:]  # 27 training points: leftovers carry over
    dataset = "circle" if problem == "classification" else "plane"
    config = {
        "problem": problem,
        "dataset": dataset,
        "features": features,
        "hidden": hidden,
        "activation": activation,
        "batch_size": batch,
        "regularization": reg,
        "regularization_rate": rate,
        "learning_rate": 0.1,
    }
    sid = client.post("/api/sessions", json={"config": config}).json()["id"]
    assert (
        client.put(
            f"/api/sessions/{sid}/data", json={"train": train_rows, "test": test_rows}
        ).status_code
        == 200
    )
    sizes = [len(features), *hidden, 1]
    layers = [
        {
            "weight": rng.uniform(-0.5, 0.5, (o, i)).tolist(),
            "bias": rng.uniform(-0.2, 0.2, o).tolist(),
        }
        for i, o in zip(sizes[:-1], sizes[1:], strict=True)
    ]
    assert client.put(f"/api/sessions/{sid}/params", json={"layers": layers}).status_code == 200

    ref = TFPNetwork(
        [layer["weight"] for layer in layers],
        [layer["bias"] for layer in layers],
        activation,
        "tanh" if problem == "classification" else "linear",
        reg,
    )
    x_train = make_inputs([r[:2] for r in train_rows], features)
    x_test = make_inputs([r[:2] for r in test_rows], features)
    history = client.post(f"/api/sessions/{sid}/train", json={"epochs": 40}).json()["history"]
    for entry in history:
        ref.train_epoch(x_train, [r[2] for r in train_rows], 0.1, batch, rate)
        assert entry["train_loss"] == pytest.approx(
            ref.loss(x_train, [r[2] for r in train_rows]), abs=1e-12
        )
        assert entry["test_loss"] == pytest.approx(
            ref.loss(x_test, [r[2] for r in test_rows]), abs=1e-12
        )
    got = client.get(f"/api/sessions/{sid}/params").json()
    for layer, weights, biases in zip(got["layers"], ref.weights(), ref.biases(), strict=True):
        assert np.max(np.abs(np.array(layer["weight"]) - np.array(weights))) <= 1e-12
        assert np.max(np.abs(np.array(layer["bias"]) - np.array(biases))) <= 1e-12
    assert sorted(map(tuple, got["dead"])) == sorted(ref.dead_links())
