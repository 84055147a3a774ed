"""The config's fields through the REST edge: every bad value is a 422 naming the field
and the whole allowed range, types are strict, and a refused patch changes nothing
(protocol/config.py's models, as a script meets them)."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"config": {"noise": 60}}, "noise"),
        ({"config": {"train_ratio": 5}}, "train_ratio"),
        ({"config": {"batch_size": 31}}, "batch_size"),
        ({"config": {"activation": "softplus"}}, "activation"),
        ({"config": {"dataset": "swirl"}}, "dataset"),
        ({"config": {"features": []}}, "features"),
        ({"config": {"features": ["x3"]}}, "features"),
        ({"config": {"hidden": [4, 9]}}, "hidden"),
        ({"config": {"hidden": [1] * 7}}, "hidden"),
        ({"config": {"problem": "regression", "dataset": "circle"}}, "dataset"),
        ({"config": {"learning_rate": -1}}, "learning_rate"),
        ({"config": {"colour": "red"}}, "colour"),
    ],
)
def test_bad_config_names_the_field(client: TestClient, body: dict, field: str) -> None:
    r = client.post("/api/sessions", json=body)
    assert r.status_code == 422
    detail = r.json()["detail"]
    assert any(field in map(str, d["loc"]) for d in detail), detail
    assert all(d["msg"] for d in detail)


@pytest.mark.parametrize(
    ("config", "loc", "expected"),
    [
        ({"same_init": 0}, ["same_init"], "valid boolean"),
        ({"same_init": "true"}, ["same_init"], "valid boolean"),
        ({"noise": "5"}, ["noise"], "valid integer"),
        ({"seed": 3.0}, ["seed"], "valid integer"),
        ({"learning_rate": "0.03"}, ["learning_rate"], "valid number"),
        ({"learning_rate": True}, ["learning_rate"], "valid number"),
        ({"hidden": ["4"]}, ["hidden", 0], "valid integer"),
    ],
)
def test_config_types_are_strict(
    client: TestClient, session: str, config: dict, loc: list, expected: str
) -> None:
    for r in (
        client.post("/api/sessions", json={"config": config}),
        client.patch(f"/api/sessions/{session}", json={"config": config}),
    ):
        assert r.status_code == 422, r.text
        detail = r.json()["detail"][0]
        assert detail["loc"][-len(loc) :] == loc and expected in detail["msg"], detail


def test_a_json_integer_is_a_float_and_other_bodies_are_strict(
    client: TestClient, session: str
) -> None:
    r = client.post("/api/sessions", json={"config": {"learning_rate": 1, "momentum": 0}})
    assert r.status_code == 201 and r.json()["config"]["learning_rate"] == 1.0
    bad = [
        ("patch", "/params", {"layer": "0", "neuron": 0, "value": 1}, ["layer"]),
        ("patch", "/params", {"layer": 0, "neuron": 0, "value": "1"}, ["value"]),
        ("post", "/train", {"epochs": "3"}, ["epochs"]),
        ("put", "/data", {"train": [["0", 0, 1]]}, ["train", 0, 0]),
        ("post", "/points", {"x": 1, "y": 1, "label": "1"}, ["label"]),
    ]
    for method, path, body, loc in bad:
        r = getattr(client, method)(f"/api/sessions/{session}{path}", json=body)
        assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", *loc], r.text
    assert client.get(f"/api/sessions/{session}/boundary?size=20").json()["size"] == 20


def test_a_number_out_of_range_gets_the_whole_allowed_range(
    client: TestClient, session: str
) -> None:
    r = client.post("/api/sessions", json={"config": {"learning_rate": 0}})
    assert r.status_code == 422
    assert r.json()["detail"][0]["msg"] == (
        "Input should be greater than 0 (allowed: greater than 0 and at most 10)"
    )
    r = client.patch(f"/api/sessions/{session}", json={"config": {"noise": 80}})
    assert r.json()["detail"][0]["msg"].endswith("(allowed: at least 0 and at most 50)")
    with client.websocket_connect(f"/ws/sessions/{session}") as ws:
        ws.send_json({"type": "config", "config": {"batch_size": 0}})
        message: dict = {}
        while message.get("type") != "error":  # skip the state and any frame
            text = ws.receive().get("text")
            message = json.loads(text) if text else {}
        assert message["field"] == "config.batch_size"
        assert message["message"].endswith("(allowed: at least 1 and at most 30)")


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
