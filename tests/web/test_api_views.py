"""REST routes of web/api_views.py: read-only views of a session (history, metrics, the
boundary as numbers, a PNG and a figure)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.helpers.api import THREE, create


def test_boundary_png_with_far_away_uploaded_points(client: TestClient, session: str) -> None:
    client.put(f"/api/sessions/{session}/data", json={"train": [[1e20, 0, 1], [0, 0, -1]]})
    r = client.get(f"/api/sessions/{session}/boundary.png")
    assert r.status_code == 200 and r.content.startswith(b"\x89PNG")


def test_three_classes_switch_to_cross_entropy_and_train(client: TestClient) -> None:
    body = create(client, **THREE)
    assert body["config"]["loss"] == "cross_entropy" and body["config"]["classes"] == 3
    sid = body["id"]
    shapes = [
        len(layer["bias"]) for layer in client.get(f"/api/sessions/{sid}/params").json()["layers"]
    ]
    assert shapes == [6, 3]
    labels = {row[2] for row in client.get(f"/api/sessions/{sid}/data").json()["train"]}
    assert labels == {0.0, 1.0, 2.0}
    history = client.post(f"/api/sessions/{sid}/train", json={"epochs": 30}).json()["history"]
    assert history[-1]["train_loss"] < history[0]["train_loss"]
    metrics = client.get(f"/api/sessions/{sid}/metrics").json()
    assert metrics["classes"] == 3 and metrics["labels"] == [0, 1, 2]
    assert metrics["train_accuracy"] > 0.9 and len(metrics["test_confusion"]) == 3
    assert sum(map(sum, metrics["train_confusion"])) == 250
    assert client.get(f"/api/sessions/{sid}").json()["metrics"] == metrics
    grid = client.get(f"/api/sessions/{sid}/boundary?size=12").json()
    assert grid["classes"] == 3 and {v for row in grid["values"] for v in row} <= {0, 1, 2}
    assert all(1 / 3 <= p <= 1 for row in grid["confidence"] for p in row)
    assert client.get(f"/api/sessions/{sid}/boundary.png").status_code == 409


def test_two_class_cross_entropy_reports_outputs_in_minus_one_to_one(
    client: TestClient,
) -> None:
    config = {"features": ["x1_squared", "x2_squared"], "hidden": [], "learning_rate": 0.1}
    sid = create(client, loss="cross_entropy", **config)["id"]
    assert client.get(f"/api/sessions/{sid}/params").json()["layers"][-1]["bias"] == [0.1]
    client.post(f"/api/sessions/{sid}/train", json={"epochs": 50})
    values = [v for row in client.get(f"/api/sessions/{sid}/boundary?size=10").json()["values"]
              for v in row]  # fmt: skip
    assert min(values) < 0 < max(values) and all(-1 <= v <= 1 for v in values)
    assert client.get(f"/api/sessions/{sid}/metrics").json()["train_accuracy"] > 0.8
