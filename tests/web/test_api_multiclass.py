"""Issue #5 through the edge: the new config fields and their 422s over REST, the metrics
route and the state's metrics, and a 3-class session streaming class grids."""

from __future__ import annotations

import math

import pytest
from fastapi.testclient import TestClient

from tests.web.test_ws import next_frame, state_where

THREE = {"dataset": "clouds", "classes": 3, "hidden": [6], "learning_rate": 0.1}


def create(client: TestClient, **config: object) -> dict:
    r = client.post("/api/sessions", json={"config": config})
    assert r.status_code == 201, r.text
    return r.json()


def patch(client: TestClient, sid: str, **config: object) -> dict:
    r = client.patch(f"/api/sessions/{sid}", json={"config": config})
    assert r.status_code == 200, r.text
    return r.json()


def test_options_and_datasets_list_the_new_choices(client: TestClient) -> None:
    options = client.get("/api/options").json()
    assert options["losses"] == ["mse", "cross_entropy"]
    assert options["optimizers"] == ["sgd", "momentum", "adam"]
    ranges = {d["name"]: d["classes"] for d in options["datasets"]}
    assert ranges["moons"] == ranges["checkerboard"] == ranges["circle"] == [2, 2]
    assert ranges["arms"] == ranges["clouds"] == ranges["rings"] == [2, 6]
    assert options["limits"]["classes"] == [2, 6]
    previews = {d["name"]: d for d in client.get("/api/datasets").json()}
    assert {p[2] for p in previews["rings"]["preview"]} == {0.0, 1.0, 2.0}
    assert previews["rings"]["preview_classes"] == 3
    assert {p[2] for p in previews["moons"]["preview"]} == {-1.0, 1.0}


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


def test_patch_classes_and_dataset_follow_each_other(client: TestClient, session: str) -> None:
    body = patch(client, session, dataset="arms")
    assert body["config"]["classes"] == 2 and body["config"]["loss"] == "mse"
    body = patch(client, session, classes=4)  # no loss given: cross-entropy
    assert body["config"]["loss"] == "cross_entropy" and body["epoch"] == 0
    body = patch(client, session, dataset="moons")  # makes 2 classes only: classes follow
    assert body["config"]["classes"] == 2 and body["config"]["loss"] == "cross_entropy"
    body = patch(client, session, problem="regression")
    assert (body["config"]["classes"], body["config"]["loss"]) == (2, "mse")
    assert body["metrics"]["train_r2"] is not None and body["metrics"]["train_accuracy"] is None


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


def test_optimizer_changes_keep_the_weights(client: TestClient, session: str) -> None:
    client.post(f"/api/sessions/{session}/train", json={"epochs": 3})
    before = client.get(f"/api/sessions/{session}/params").json()
    for change in ({"optimizer": "adam"}, {"beta2": 0.99}, {"optimizer": "momentum"},
                   {"momentum": 0.5}, {"same_init": True}):  # fmt: skip
        assert patch(client, session, **change)["epoch"] == 3
    assert client.get(f"/api/sessions/{session}/params").json() == before
    assert client.post(f"/api/sessions/{session}/train", json={"epochs": 2}).json()["epoch"] == 5
    assert patch(client, session, layer_activations=["relu"])["epoch"] == 0  # rebuilds


def test_same_init_makes_reset_recreate_the_start(client: TestClient) -> None:
    sid = create(client, same_init=True, seed=3)["id"]
    start = client.get(f"/api/sessions/{sid}/params").json()
    client.post(f"/api/sessions/{sid}/train", json={"epochs": 2})
    client.post(f"/api/sessions/{sid}/reset")
    assert client.get(f"/api/sessions/{sid}/params").json() == start
    other = create(client, seed=3)["id"]  # without it, reset draws new weights
    client.post(f"/api/sessions/{other}/reset")
    assert client.get(f"/api/sessions/{other}/params").json() != start


@pytest.mark.parametrize(
    ("config", "field", "words"),
    [
        ({"classes": 3, "loss": "mse", "dataset": "arms"}, "loss", "cross_entropy"),
        ({"classes": 3}, "classes", "arms, clouds, rings"),
        ({"dataset": "circle", "classes": 4}, "classes", "2..2"),
        ({"classes": 7}, "classes", "6"),
        ({"problem": "regression", "dataset": "plane", "classes": 3}, "classes", "regression"),
        ({"problem": "regression", "dataset": "plane", "loss": "cross_entropy"}, "loss", "mse"),
        ({"loss": "hinge"}, "loss", "mse"),
        ({"optimizer": "rmsprop"}, "optimizer", "adam"),
        ({"momentum": 1.5}, "momentum", "0.999"),
        ({"beta1": -0.1}, "beta1", "0"),
        ({"epsilon": 0}, "epsilon", "0"),
        ({"hidden": [3], "layer_activations": ["relu", "tanh"]}, "layer_activations", "1"),
        ({"layer_activations": ["softmax"]}, "layer_activations", "tanh"),
    ],
)
def test_bad_new_fields_name_the_field(
    client: TestClient, config: dict, field: str, words: str
) -> None:
    r = client.post("/api/sessions", json={"config": config})
    assert r.status_code == 422, r.text
    detail = r.json()["detail"]
    assert any(field in map(str, d["loc"]) and words in d["msg"] for d in detail), detail


def test_patch_422_leaves_the_session_alone(client: TestClient, session: str) -> None:
    r = client.patch(f"/api/sessions/{session}", json={"config": {"classes": 3, "loss": "mse"}})
    assert r.status_code == 422
    assert client.get(f"/api/sessions/{session}").json()["config"]["classes"] == 2


def test_websocket_streams_class_grids_and_metrics(client: TestClient) -> None:
    sid = create(client, **THREE)["id"]
    with client.websocket_connect(f"/ws/sessions/{sid}") as ws:
        state = ws.receive_json()["session"]
        assert state["config"]["classes"] == 3 and state["metrics"]["classes"] == 3
        ws.send_json({"type": "view", "grid": 20, "map_size": 5})
        frame = next_frame(ws)
        while frame["grid_size"] != 20:
            frame = next_frame(ws)
        assert frame["classes"] == 3 and frame["sizes"] == [2, 6, 3]
        assert set(frame["grid"]) <= {0, 1, 2} and len(frame["confidence"]) == 400
        assert min(frame["confidence"]) >= 85  # the winner of 3 has p >= 1/3
        ws.send_json({"type": "step"})
        stepped = state_where(ws, epoch=1)
        assert 0 <= stepped["metrics"]["train_accuracy"] <= 1
        frame = next_frame(ws)
        while frame["epoch"] != 1:
            frame = next_frame(ws)
        assert frame["train_accuracy"] == pytest.approx(stepped["metrics"]["train_accuracy"])
        ws.send_json({"type": "config", "config": {"classes": 4}})
        assert state_where(ws, epoch=0)["config"]["classes"] == 4
        ws.send_json({"type": "config", "config": {"classes": 4, "loss": "mse"}})
        while True:
            message = ws.receive()
            if message.get("bytes") is not None:
                ws.send_json({"type": "ack"})
            elif '"error"' in message["text"]:
                assert '"config.loss"' in message["text"]
                break


def test_regression_and_two_class_frames(client: TestClient, session: str) -> None:
    with client.websocket_connect(f"/ws/sessions/{session}") as ws:
        frame = next_frame(ws)
        assert frame["classes"] == 0 and frame["confidence"] is None
        assert 0 <= frame["train_accuracy"] <= 1 and len(frame["grid"]) == 100 * 100
    sid = create(client, problem="regression", dataset="plane")["id"]
    with client.websocket_connect(f"/ws/sessions/{sid}") as ws:
        frame = next_frame(ws)
        assert math.isnan(frame["train_accuracy"]) and math.isnan(frame["test_accuracy"])
