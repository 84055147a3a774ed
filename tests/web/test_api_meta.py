"""REST routes of web/api_meta.py: health, the options catalogue, the datasets' previews."""

from __future__ import annotations

from fastapi.testclient import TestClient


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
