"""REST routes of web/api_meta.py: health, the options catalogue, the datasets' previews."""

from __future__ import annotations

from fastapi.testclient import TestClient

from server.engine.data.datasets import DATASETS


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


def test_health_and_options(client: TestClient) -> None:
    health = client.get("/api/health").json()
    assert health["status"] == "ok"
    assert health["kernel"] == "ready"  # tests/conftest.py compiled it before the server started
    options = client.get("/api/options").json()
    assert [d["name"] for d in options["datasets"]] == list(DATASETS)
    assert options["limits"]["max_layers"] == 6
    assert options["defaults"]["hidden"] == [4, 2]


def test_datasets_have_previews(client: TestClient) -> None:
    for entry in client.get("/api/datasets").json():
        assert len(entry["preview"]) == 200
        assert all(len(p) == 3 for p in entry["preview"])
