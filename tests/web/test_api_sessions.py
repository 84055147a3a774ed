"""Every REST route, as a script or notebook uses it."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from server.engine.data.datasets import DATASETS
from tests.helpers.api import create, patch, train


def test_create_has_tfp_defaults(client: TestClient) -> None:
    r = client.post("/api/sessions", json={})
    assert r.status_code == 201
    body = r.json()
    assert body["config"] == {
        "kind": "mlp",  # the model kind: a body without one is TFP's network
        "problem": "classification",
        "dataset": "circle",
        "noise": 0,
        "train_ratio": 50,
        "seed": 0,
        "features": ["x1", "x2"],
        "hidden": [4, 2],
        "activation": "tanh",
        "learning_rate": 0.03,
        "batch_size": 10,
        "regularization": "none",
        "regularization_rate": 0.0,
        # issue #5's options, at the defaults that keep TFP's rules
        "classes": 2,
        "loss": "mse",
        "optimizer": "sgd",
        "momentum": 0.9,
        "beta1": 0.9,
        "beta2": 0.999,
        "epsilon": 1e-8,
        "same_init": False,
        "init_zero": False,
        "layer_activations": [],
        "gan": None,  # the generative kinds' settings: null until the kind is chosen
        "autoencoder": None,
    }
    assert body["epoch"] == 0 and body["state"] == "idle"
    assert len(body["id"]) >= 20  # secrets.token_urlsafe(16)
    assert client.get(f"/api/sessions/{body['id']}").json() == body


@pytest.mark.parametrize("dataset", list(DATASETS))
def test_every_dataset_trains(client: TestClient, dataset: str) -> None:
    problem = DATASETS[dataset].problem
    config = {
        "problem": problem,
        "dataset": dataset,
        "features": ["x1", "x2", "x1_squared", "x2_squared"],
    }
    sid = client.post("/api/sessions", json={"config": config}).json()["id"]
    first = client.get(f"/api/sessions/{sid}").json()["train_loss"]
    result = train(client, sid, 50)
    assert result["epoch"] == 50
    assert [h["epoch"] for h in result["history"]] == list(range(1, 51))
    assert result["history"][-1]["train_loss"] < first


def test_circle_default_reaches_low_loss_by_epoch_100(client: TestClient, session: str) -> None:
    history = train(client, session, 100)["history"]
    assert history[-1]["train_loss"] < 0.01


def test_learning_rate_change_keeps_weights_other_changes_rebuild(
    client: TestClient, session: str
) -> None:
    train(client, session, 5)
    before = client.get(f"/api/sessions/{session}/params").json()
    r = client.patch(f"/api/sessions/{session}", json={"config": {"learning_rate": 0.1}})
    assert r.json()["epoch"] == 5 and r.json()["config"]["learning_rate"] == 0.1
    assert client.get(f"/api/sessions/{session}/params").json() == before
    r = client.patch(f"/api/sessions/{session}", json={"config": {"activation": "relu"}})
    assert r.json()["epoch"] == 0
    assert client.get(f"/api/sessions/{session}/params").json() != before
    r = client.patch(f"/api/sessions/{session}", json={"config": {"hidden": [3, 3, 3]}})
    shapes = [
        len(layer["bias"])
        for layer in client.get(f"/api/sessions/{session}/params").json()["layers"]
    ]
    assert shapes == [3, 3, 3, 1]


def test_problem_switch_picks_a_matching_dataset(client: TestClient, session: str) -> None:
    r = client.patch(f"/api/sessions/{session}", json={"config": {"problem": "regression"}})
    assert r.status_code == 200
    assert DATASETS[r.json()["config"]["dataset"]].problem == "regression"


def test_reset_gives_new_weights_and_same_data(client: TestClient, session: str) -> None:
    data = client.get(f"/api/sessions/{session}/data").json()
    params = client.get(f"/api/sessions/{session}/params").json()
    train(client, session, 3)
    r = client.post(f"/api/sessions/{session}/reset")
    assert r.json()["epoch"] == 0 and r.json()["state"] == "idle"
    assert client.get(f"/api/sessions/{session}/data").json() == data
    assert client.get(f"/api/sessions/{session}/params").json() != params


def test_same_seed_same_start(client: TestClient) -> None:
    a, b = (
        client.post("/api/sessions", json={"config": {"seed": 7}}).json()["id"] for _ in range(2)
    )
    for part in ("data", "params"):
        assert (
            client.get(f"/api/sessions/{a}/{part}").json()
            == client.get(f"/api/sessions/{b}/{part}").json()
        )
    assert train(client, a, 20) == train(client, b, 20)


def test_regenerate_changes_data_keeps_weights(client: TestClient, session: str) -> None:
    data = client.get(f"/api/sessions/{session}/data").json()
    train(client, session, 2)
    params = client.get(f"/api/sessions/{session}/params").json()
    r = client.post(f"/api/sessions/{session}/regenerate")
    assert r.json()["config"]["seed"] != 0 and r.json()["epoch"] == 2
    assert client.get(f"/api/sessions/{session}/data").json() != data
    assert client.get(f"/api/sessions/{session}/params").json() == params


def test_params_round_trip_and_single_edit(client: TestClient, session: str) -> None:
    params = client.get(f"/api/sessions/{session}/params").json()
    params["layers"][0]["weight"][1][0] = 0.25
    params["layers"][2]["bias"][0] = -0.5
    r = client.put(f"/api/sessions/{session}/params", json={"layers": params["layers"]})
    assert r.status_code == 200 and r.json() == params
    r = client.patch(
        f"/api/sessions/{session}/params", json={"layer": 1, "neuron": 0, "input": 3, "value": 1.5}
    )
    assert r.json()["layers"][1]["weight"][0][3] == 1.5
    r = client.patch(
        f"/api/sessions/{session}/params", json={"layer": 1, "neuron": 1, "value": 2.0}
    )
    assert r.json()["layers"][1]["bias"][1] == 2.0


def test_upload_data_then_params_then_train(client: TestClient, session: str) -> None:
    points = {"train": [[1, 1, 1], [-1, -1, -1], [2, 0.5, 1]], "test": [[0.5, 0.5, 1]]}
    r = client.put(f"/api/sessions/{session}/data", json=points)
    assert r.status_code == 200 and r.json()["custom_data"] is True
    assert client.get(f"/api/sessions/{session}/data").json() == {
        k: [[float(v) for v in p] for p in rows] for k, rows in points.items()
    }
    params = client.get(f"/api/sessions/{session}/params").json()
    for layer in params["layers"]:
        layer["weight"] = [[0.1] * len(row) for row in layer["weight"]]
    client.put(f"/api/sessions/{session}/params", json={"layers": params["layers"]})
    assert client.get(f"/api/sessions/{session}/params").json()["layers"] == params["layers"]
    # a learning-rate change keeps both the uploaded points and the weights
    client.patch(f"/api/sessions/{session}", json={"config": {"learning_rate": 0.1}})
    assert client.get(f"/api/sessions/{session}/params").json()["layers"] == params["layers"]
    assert train(client, session, 3)["epoch"] == 3
    assert len(client.get(f"/api/sessions/{session}/data").json()["train"]) == 3


def test_delete(client: TestClient, session: str) -> None:
    assert client.delete(f"/api/sessions/{session}").status_code == 204
    assert client.get(f"/api/sessions/{session}").status_code == 404


def test_bad_inputs_on_a_session(client: TestClient, session: str) -> None:
    def put(path: str, body: object) -> dict:
        r = client.put(f"/api/sessions/{session}/{path}", json=body)
        assert r.status_code == 422, r.text
        return r.json()["detail"][0]

    assert put("params", {"layers": []})["msg"].startswith("expected 3 layers")
    assert put("data", {"train": [[0, 0, 2]]})["loc"] == ["body", "train", "0", "2"]
    r = client.put(
        f"/api/sessions/{session}/data",
        content='{"train": [[0, 0, 1], [1e400, 0, 1]]}',
        headers={"content-type": "application/json"},
    )
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "train", "1", "0"]
    assert "finite" in r.json()["detail"][0]["msg"]
    assert put("data", {"train": [[0, 0, 1]] * 2_001})["msg"].startswith("at most 2000 points")
    r = client.patch(f"/api/sessions/{session}/params", json={"layer": 5, "neuron": 0, "value": 1})
    assert r.status_code == 422 and "layer must be 0..2" in r.json()["detail"][0]["msg"]
    r = client.post(f"/api/sessions/{session}/train", json={"epochs": 2_001})
    assert r.status_code == 422 and "at most 2000 epochs" in r.json()["detail"][0]["msg"]
    r = client.get(f"/api/sessions/{session}/boundary?size=5000")
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["query", "size"]
    # the session is untouched by all of that
    assert client.get(f"/api/sessions/{session}").json()["epoch"] == 0


@pytest.mark.parametrize(
    ("literal", "layer", "part", "where"),
    [("NaN", 0, "weight", [1, 0]), ("-Infinity", 2, "bias", [0]), ("1e999", 1, "weight", [0, 3])],
)
def test_put_params_refuses_values_that_are_not_finite(
    client: TestClient, session: str, literal: str, layer: int, part: str, where: list[int]
) -> None:
    before = client.get(f"/api/sessions/{session}/params").json()
    layers = json.loads(json.dumps(before["layers"]))
    target = layers[layer][part]
    for index in where[:-1]:
        target = target[index]
    target[where[-1]] = "HERE"
    body = json.dumps({"layers": layers}).replace('"HERE"', literal)  # JSON as Python writes it
    r = client.put(
        f"/api/sessions/{session}/params",
        content=body,
        headers={"content-type": "application/json"},
    )
    assert r.status_code == 422, r.text
    detail = r.json()["detail"][0]
    assert detail["loc"] == ["body", "layers", str(layer), part, *map(str, where)]
    assert "finite" in detail["msg"]
    assert client.get(f"/api/sessions/{session}/params").json() == before


def test_unknown_session_is_404(client: TestClient) -> None:
    for method, path in (("get", ""), ("get", "/params"), ("post", "/reset"), ("delete", "")):
        r = getattr(client, method)(f"/api/sessions/nope{path}")
        assert r.status_code == 404 and "unknown session" in r.json()["detail"]


def test_session_limit_is_429(client: TestClient) -> None:
    for _ in range(20):
        assert client.post("/api/sessions", json={}).status_code == 201
    r = client.post("/api/sessions", json={})
    assert r.status_code == 429 and "limit of 20 sessions" in r.json()["detail"]


def test_divergence_stops_training(client: TestClient, diverging: str) -> None:
    sid = diverging
    result = train(client, sid, 500)
    assert result["state"] == "diverged" and len(result["history"]) < 500
    state = client.get(f"/api/sessions/{sid}").json()
    assert "learning rate" in state["message"]
    assert client.post(f"/api/sessions/{sid}/train", json={"epochs": 1}).status_code == 409
    assert client.post(f"/api/sessions/{sid}/reset").json()["state"] == "idle"
    assert train(client, sid, 1)["epoch"] == 1


def test_openapi_documents_routes(client: TestClient) -> None:
    spec = json.loads(client.get("/openapi.json").text)
    assert "/api/sessions/{session_id}/train" in spec["paths"]


def test_oversized_body_is_refused_and_the_server_goes_on(client: TestClient, session: str) -> None:
    body = b'{"train": [' + b"[0, 0, 1]," * 500_000 + b"[0, 0, 1]]}"
    r = client.put(
        f"/api/sessions/{session}/data", content=body, headers={"content-type": "application/json"}
    )
    assert r.status_code == 413 and "larger than 4,000,000 bytes" in r.json()["detail"]
    assert client.get(f"/api/sessions/{session}").json()["custom_data"] is False


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


def test_step_on_a_diverged_session_is_refused(client: TestClient, diverging: str) -> None:
    client.post(f"/api/sessions/{diverging}/train", json={"epochs": 500})
    assert client.get(f"/api/sessions/{diverging}").json()["state"] == "diverged"
    r = client.post(f"/api/sessions/{diverging}/step")
    assert r.status_code == 409 and "reset it first" in r.json()["detail"]


def test_chunked_oversized_body_is_refused(client: TestClient, session: str) -> None:
    def chunks():  # type: ignore[no-untyped-def]
        yield b'{"train": ['
        for _ in range(60):
            yield b"[0, 0, 1]," * 10_000
        yield b"[0, 0, 1]]}"

    r = client.put(
        f"/api/sessions/{session}/data",
        content=chunks(),
        headers={"content-type": "application/json"},
    )
    assert r.status_code == 413 and "larger than" in r.json()["detail"]
    assert client.get(f"/api/sessions/{session}").json()["custom_data"] is False
