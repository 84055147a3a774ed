"""REST routes of web/api_export.py: the model as a script, a state dict and a JSON file,
and importing that file."""

from __future__ import annotations

import importlib.util
import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import torch
from fastapi.testclient import TestClient

from tests.helpers.api import CSV, HEADER, api, snapshot, train


def test_import_with_an_absurd_epoch_is_refused_and_changes_nothing(
    client: TestClient, session: str
) -> None:
    model = client.get(f"/api/sessions/{session}/export/model.json").json()
    model["epoch"] = 10**20
    model["config"]["hidden"] = [3]
    r = client.post(f"/api/sessions/{session}/import", json=model)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][-1] == "epoch"
    assert client.get(f"/api/sessions/{session}").json()["config"]["hidden"] == [4, 2]


def test_exported_script_predicts_what_the_boundary_shows(
    client: TestClient, tmp_path: Path
) -> None:
    config = {"features": ["x1", "x2", "x1_x2", "sin_x1"], "hidden": [5, 3], "activation": "relu"}
    sid = client.post("/api/sessions", json={"config": config}).json()["id"]
    train(client, sid, 40)
    r = client.get(api(sid, "/export/model.py"))
    assert r.status_code == 200
    assert r.headers["content-disposition"] == 'attachment; filename="model.py"'
    path = tmp_path / "model.py"
    path.write_text(r.text)
    # a 13×13 grid lands on whole numbers: row 0 is y = +6, column 0 is x = -6
    grid = client.get(api(sid, "/boundary"), params={"size": 13}).json()["values"]
    x, y = 2, -1
    run = subprocess.run(
        [sys.executable, str(path), str(x), str(y)], capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stderr
    assert abs(float(run.stdout) - grid[6 - y][x + 6]) < 1e-9


def test_state_dict_loads_into_the_scripts_module(
    client: TestClient, session: str, tmp_path: Path
) -> None:
    train(client, session, 5)
    r = client.get(api(session, "/export/state_dict.pt"))
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/octet-stream"
    weights = torch.load(io.BytesIO(r.content), weights_only=True)
    params = client.get(api(session, "/params")).json()
    assert weights["layers.2.weight"].tolist() == params["layers"][2]["weight"]
    path = tmp_path / "exported.py"
    path.write_text(client.get(api(session, "/export/model.py")).text)
    spec = importlib.util.spec_from_file_location("exported", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    net = module.PlaygroundNet()
    net.load_state_dict(weights)
    with torch.no_grad():
        assert torch.equal(net(module.inputs(1.0, 2.0)), module.load()(module.inputs(1.0, 2.0)))


def test_model_json_import_trains_on_as_the_original(client: TestClient) -> None:
    config = {"hidden": [3, 3], "regularization": "l1", "regularization_rate": 0.01, "noise": 10}
    original = client.post("/api/sessions", json={"config": config}).json()["id"]
    train(client, original, 60)
    r = client.get(api(original, "/export/model.json"))
    assert r.status_code == 200
    assert r.headers["content-disposition"] == 'attachment; filename="model.json"'
    exported = r.json()
    assert exported["format"] == "neural-playground-model" and exported["version"] == 1
    assert exported["epoch"] == 60 and exported["params"]["dead"]  # L1 killed some links
    copy = client.post("/api/sessions", json={"config": {"dataset": "xor"}}).json()["id"]
    r = client.post(api(copy, "/import"), json=exported)
    assert r.status_code == 200, r.text
    state = r.json()
    expected = client.get(api(original)).json()
    for key in ("config", "epoch", "dead_links"):
        assert state[key] == expected[key], key
    for key in ("train_loss", "test_loss"):  # the original's from the compiled kernel, the
        # copy's from torch: the same to rounding (docs/engine.md), not bit for bit
        assert state[key] == pytest.approx(expected[key], rel=1e-12, abs=1e-15), key
    assert client.get(api(copy, "/params")).json() == client.get(api(original, "/params")).json()
    assert client.get(api(copy, "/data")).json() == client.get(api(original, "/data")).json()
    # the loss chart goes on: the file carries the history
    assert client.get(api(copy, "/history")).json() == client.get(api(original, "/history")).json()
    assert client.get(api(copy, "/history")).json()["epoch"] == list(range(61))
    assert train(client, copy, 30)["history"] == train(client, original, 30)["history"]
    assert client.get(api(copy, "/history")).json() == client.get(api(original, "/history")).json()


def test_model_json_without_history_starts_the_chart_at_its_epoch(client: TestClient) -> None:
    original = client.post("/api/sessions", json={}).json()["id"]
    train(client, original, 5)
    exported = client.get(api(original, "/export/model.json")).json()
    copy = client.post("/api/sessions", json={}).json()["id"]
    assert client.post(api(copy, "/import"), json={**exported, "history": None}).status_code == 200
    assert client.get(api(copy, "/history")).json()["epoch"] == [5]
    late = {**exported, "history": {**exported["history"], "epoch": list(range(1, 7))}}
    r = client.post(api(copy, "/import"), json=late)
    assert r.status_code == 422 and "history" in r.text and "epochs must" not in r.text
    uneven = {**exported, "history": {**exported["history"], "train_loss": [0.5]}}
    r = client.post(api(copy, "/import"), json=uneven)
    assert r.status_code == 422 and "same length" in r.text
    JSON = {"content-type": "application/json"}
    for value in (-1.0, float("nan"), float("inf")):  # a loss is finite and ≥ 0 (or null)
        losses = [value, *exported["history"]["test_loss"][1:]]
        bad = {**exported, "history": {**exported["history"], "test_loss": losses}}
        r = client.post(api(copy, "/import"), content=json.dumps(bad), headers=JSON)
        assert r.status_code == 422, value
        assert ["body", "history", "test_loss", 0] in [e["loc"] for e in r.json()["detail"]]
    r = client.post(api(copy, "/import"), json={**exported, "epoch": 10**12 + 1})
    assert r.status_code == 422 and "1000000000000" in r.text


@pytest.mark.parametrize("optimizer", ["momentum", "adam"])
def test_model_json_carries_optimizer_state_and_unfinished_batches(
    client: TestClient, optimizer: str
) -> None:
    """Batch 7 over 250 training points leaves 5 points' gradients carried at every
    epoch's end; with them and the optimizer's state the import trains on exactly."""
    config = {"optimizer": optimizer, "batch_size": 7, "learning_rate": 0.01, "seed": 3}
    original = client.post("/api/sessions", json={"config": config}).json()["id"]
    train(client, original, 13)
    exported = client.get(api(original, "/export/model.json")).json()
    assert exported["state"]["carried_points"] == 250 % 7  # TFP never flushes them
    assert exported["state"]["steps"] == 13 * (250 // 7) and exported["state"]["slots"]
    copy = client.post("/api/sessions", json={}).json()["id"]
    assert client.post(api(copy, "/import"), json=exported).status_code == 200
    assert train(client, copy, 20)["history"] == train(client, original, 20)["history"]
    # an older file, without the state, still imports: both start empty
    older = {k: v for k, v in exported.items() if k != "state"}
    assert client.post(api(copy, "/import"), json=older).status_code == 200


def test_model_json_carries_where_an_unfinished_epoch_stopped(client: TestClient) -> None:
    """A live session can pause mid-epoch (the worker trains in turns of minibatches): the
    file says where, and the import goes on from that point exactly."""
    config = {"optimizer": "adam", "batch_size": 7, "seed": 4}
    original = client.post("/api/sessions", json={"config": config}).json()["id"]
    manager = client.app.state.manager  # type: ignore[attr-defined]
    slots = iter(range(10, 0, -1))
    manager.worker.submit(
        lambda: manager.sessions[original].model.train(1, lambda: next(slots) == 1)
    ).result(timeout=30)
    exported = client.get(api(original, "/export/model.json")).json()
    assert exported["state"]["cursor"] == 10 * 7 and exported["epoch"] == 0
    copy = client.post("/api/sessions", json={}).json()["id"]
    assert client.post(api(copy, "/import"), json=exported).status_code == 200
    assert train(client, copy, 5)["history"] == train(client, original, 5)["history"]
    for cursor in (250, 7 * 36):  # past the 250 points
        bad = {**exported, "state": {**exported["state"], "cursor": cursor}}
        r = client.post(api(copy, "/import"), json=bad)
        assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "state", "cursor"]


def test_import_keeps_uploaded_points_when_the_file_had_them(client: TestClient) -> None:
    points = HEADER + "1,1,1,train\n-1,-1,-1,train\n2,2,1,test\n"
    original = client.post("/api/sessions", json={}).json()["id"]
    client.put(api(original, "/data.csv"), content=points, headers=CSV)
    train(client, original, 7)
    exported = client.get(api(original, "/export/model.json")).json()
    assert exported["custom_data"] is True
    copy = client.post("/api/sessions", json={}).json()["id"]
    client.put(api(copy, "/data.csv"), content=points, headers=CSV)
    state = client.post(api(copy, "/import"), json=exported).json()
    assert state["custom_data"] is True and state["epoch"] == 7
    assert train(client, copy, 5)["history"] == train(client, original, 5)["history"]
    fresh = client.post("/api/sessions", json={}).json()["id"]
    state = client.post(api(fresh, "/import"), json=exported).json()
    assert state["custom_data"] is False  # no points of its own: the config's are generated


def bad_files(good: dict[str, Any]) -> list[tuple[dict[str, Any], list[str], str]]:
    def with_(**changes: Any) -> dict[str, Any]:
        return {**good, **changes}

    three = [*good["params"]["layers"], good["params"]["layers"][-1]]
    return [
        (with_(format="other"), ["body", "format"], "neural-playground-model"),
        (with_(version=2), ["body", "version"], "1"),
        (with_(epoch=-1), ["body", "epoch"], "greater than or equal to 0"),
        (with_(extra=1), ["body", "extra"], "Extra inputs"),
        (with_(config={**good["config"], "hidden": [3]}), ["body", "params", "layers"], "layers"),
        (
            with_(config={**good["config"], "hidden": [99]}),
            ["body", "config", "hidden", "0"],
            "1..8",
        ),
        (with_(params={"layers": three}), ["body", "params", "layers"], "expected 3 layers, got 4"),
        (
            with_(params={"layers": good["params"]["layers"], "dead": [[0, 9, 0]]}),
            ["body", "params", "dead", "0"],
            "no link",
        ),
        ({k: v for k, v in good.items() if k != "params"}, ["body", "params"], "Field required"),
        (
            with_(state={**good["state"], "slots": {"m": good["state"]["carried"]}}),
            ["body", "state", "slots"],
            "slots for sgd must be: none",
        ),
        (
            with_(state={**good["state"], "carried": good["state"]["carried"][:2]}),
            ["body", "state", "carried"],
            "expected 3 layers, got 2",
        ),
    ]


def test_bad_import_is_422_and_changes_nothing(client: TestClient, session: str) -> None:
    train(client, session, 4)
    good = client.get(api(session, "/export/model.json")).json()
    target = client.post("/api/sessions", json={"config": {"seed": 5}}).json()["id"]
    train(client, target, 2)
    before = snapshot(client, target)
    for body, loc, message in bad_files(good):
        r = client.post(api(target, "/import"), json=body)
        assert r.status_code == 422, loc
        detail = r.json()["detail"][0]
        assert detail["loc"] == loc and message in detail["msg"], detail
        assert snapshot(client, target) == before
    # a later reset still draws the target's own next weights (the seed stream is untouched)
    assert client.post(api(target, "/reset")).status_code == 200


def test_import_refuses_values_that_are_not_finite_and_a_negative_adam_v(
    client: TestClient,
) -> None:
    sid = client.post("/api/sessions", json={"config": {"optimizer": "adam"}}).json()["id"]
    train(client, sid, 3)
    good = client.get(api(sid, "/export/model.json")).json()
    before = snapshot(client, sid)
    cases: list[tuple[list[str | int], float, str]] = [
        (["params", "layers", 0, "weight", 0, 1], float("nan"), "finite"),
        (["params", "layers", 2, "bias", 0], float("inf"), "finite"),
        (["state", "carried", 1, "weight", 1, 0], float("-inf"), "finite"),
        (["state", "slots", "m", 0, "bias", 3], float("nan"), "finite"),
        (["state", "slots", "v", 1, "bias", 0], -1e-12, "at least 0"),
        (["state", "slots", "v", 0, "weight", 2, 1], float("inf"), "finite"),
        (["state", "slots", "m", 0, "bias", 0], 1e308, "at most 1e+30"),  # overflows a step
        (["state", "carried", 0, "weight", 0, 0], -1e31, "at most 1e+30"),
    ]
    for path, value, message in cases:
        body = json.loads(json.dumps(good))
        target = body
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
        r = client.post(
            api(sid, "/import"),
            content=json.dumps(body),  # NaN and Infinity as Python's json writes them
            headers={"content-type": "application/json"},
        )
        assert r.status_code == 422, (path, r.text)
        detail = r.json()["detail"][0]
        assert detail["loc"] == ["body", *map(str, path)] and message in detail["msg"], detail
        assert snapshot(client, sid) == before


def test_diverged_weights_do_not_export_as_json(client: TestClient, diverging: str) -> None:
    result = train(client, diverging, 2_000)
    assert result["state"] == "diverged"
    r = client.get(api(diverging, "/export/model.json"))
    assert r.status_code == 409 and "not finite" in r.json()["detail"]
    assert client.get(api(diverging, "/export/model.py")).status_code == 200


def test_an_imported_epoch_near_the_limit_still_exports_after_training(
    client: TestClient, session: str
) -> None:
    exported = client.get(api(session, "/export/model.json")).json()
    assert (
        client.post(api(session, "/import"), json={**exported, "epoch": 2**53}).status_code == 422
    )
    assert (
        client.post(api(session, "/import"), json={**exported, "epoch": 10**12}).status_code == 200
    )
    train(client, session, 2)
    assert client.get(api(session, "/export/model.json")).json()["epoch"] == 10**12 + 2
