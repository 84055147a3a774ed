"""REST and websocket routes of api_data.py: CSV upload and download, point edits, export
and import."""

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

from server.formats.points import MAX_CSV_BYTES
from tests.helpers.ws import next_json, state_where

HEADER = "x,y,label,split\n"
CSV = {"content-type": "text/csv"}


def api(sid: str, path: str = "") -> str:
    return f"/api/sessions/{sid}{path}"


def snapshot(client: TestClient, sid: str) -> tuple[Any, Any, Any]:
    """Everything a refused request must leave alone."""
    state = client.get(api(sid)).json()
    state.pop("rate")
    return state, client.get(api(sid, "/data")).json(), client.get(api(sid, "/params")).json()


def train(client: TestClient, sid: str, epochs: int) -> dict[str, Any]:
    r = client.post(api(sid, "/train"), json={"epochs": epochs})
    assert r.status_code == 200, r.text
    return r.json()


# -- CSV ------------------------------------------------------------------------------------
def test_get_data_csv_matches_the_json_points(client: TestClient, session: str) -> None:
    r = client.get(api(session, "/data.csv"))
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    assert r.headers["content-disposition"] == 'attachment; filename="playground-data.csv"'
    lines = r.text.splitlines()
    data = client.get(api(session, "/data")).json()
    assert lines[0] == "x,y,label,split"
    assert len(lines) == 1 + len(data["train"]) + len(data["test"])
    first = lines[1].split(",")
    assert [float(v) for v in first[:3]] == data["train"][0] and first[3] == "train"
    assert client.get(api(session, "/export/data.csv")).text == r.text


def test_put_data_csv_round_trip(client: TestClient, session: str) -> None:
    text = client.get(api(session, "/data.csv")).text
    other = client.post("/api/sessions", json={"config": {"dataset": "xor"}}).json()["id"]
    train(client, other, 5)
    r = client.put(api(other, "/data.csv"), content=text, headers=CSV)
    assert r.status_code == 200, r.text
    state = r.json()
    assert state["custom_data"] is True and state["data_version"] == 2 and state["epoch"] == 0
    assert client.get(api(other, "/data")).json() == client.get(api(session, "/data")).json()
    assert client.get(api(other, "/data.csv")).text == text


def test_put_data_csv_multipart_and_bom(client: TestClient, session: str) -> None:
    body = "\ufeff" + HEADER + "1,2,1,train\r\n-1,-2,-1,test\r\n"
    r = client.put(api(session, "/data.csv"), files={"file": ("points.csv", body.encode())})
    assert r.status_code == 200, r.text
    assert client.get(api(session, "/data")).json() == {
        "train": [[1.0, 2.0, 1.0]],
        "test": [[-1.0, -2.0, -1.0]],
    }
    r = client.put(api(session, "/data.csv"), files={"other": ("p.csv", body.encode())})
    assert r.status_code == 422 and "field named 'file'" in r.json()["detail"][0]["msg"]


def test_put_regression_csv(client: TestClient) -> None:
    config = {"problem": "regression", "dataset": "plane"}
    sid = client.post("/api/sessions", json={"config": config}).json()["id"]
    r = client.put(api(sid, "/data.csv"), content=HEADER + "1,2,0.37,train\n", headers=CSV)
    assert r.status_code == 200
    assert client.get(api(sid, "/data")).json()["train"] == [[1.0, 2.0, 0.37]]


@pytest.mark.parametrize(
    ("body", "loc", "message"),
    [
        (HEADER + "1,2,1,train\n1,x,1,train\n", ["row 3", "y"], "row 3, column y: not a number"),
        (HEADER + "1,2,NaN,train\n", ["row 2", "label"], "must be a finite number"),
        (HEADER + "1,2,0,train\n", ["row 2", "label"], "must be 1 or -1"),
        (HEADER + "1,2,1,later\n", ["row 2", "split"], "must be train or test"),
        ("x,y,split\n1,2,train\n", ["row 1", "label"], "column 'label' is missing"),
        (HEADER + "1,2,1,test\n", ["split"], "no training rows"),
        (HEADER + "1,2,1,train\n" * 2_001, ["row 2002"], "at most 2000"),
        (b"x,y,label,split\n1,2,1,tr\xe9in\n", ["file"], "not UTF-8"),
        (HEADER + "1,2,1,train\n1,2," + "1" * 200_000 + ",train\n", ["row 3", "label"], "longer"),
        (HEADER + "1,2\r3,1,train\n", ["row 2"], "not readable as CSV"),
    ],
)
def test_bad_csv_is_422_and_changes_nothing(
    client: TestClient, session: str, body: str | bytes, loc: list[str], message: str
) -> None:
    before = snapshot(client, session)
    r = client.put(api(session, "/data.csv"), content=body, headers=CSV)
    assert r.status_code == 422
    detail = r.json()["detail"][0]
    assert detail["loc"] == ["body", *loc] and message in detail["msg"]
    assert snapshot(client, session) == before


def test_csv_over_a_megabyte_is_413(client: TestClient, session: str) -> None:
    before = snapshot(client, session)
    body = HEADER + "1,2,1,train\n" + " " * MAX_CSV_BYTES
    r = client.put(api(session, "/data.csv"), content=body, headers=CSV)
    assert r.status_code == 413 and "larger than" in r.json()["detail"]
    r = client.put(api(session, "/data.csv"), files={"file": ("big.csv", body.encode())})
    assert r.status_code == 413
    assert snapshot(client, session) == before


def test_unknown_session_is_404(client: TestClient) -> None:
    routes: list[tuple[str, str, dict[str, Any]]] = [
        ("GET", "/data.csv", {}),
        ("PUT", "/data.csv", {"content": HEADER + "1,1,1,train\n"}),
        ("POST", "/points", {"json": {"x": 0, "y": 0, "label": 1}}),
        ("DELETE", "/points?x=0&y=0", {}),
        ("POST", "/points/clear", {}),
        ("GET", "/export/model.py", {}),
        ("GET", "/export/state_dict.pt", {}),
        ("GET", "/export/model.json", {}),
    ]
    for method, path, kwargs in routes:
        r = client.request(method, api("nope", path), **kwargs)
        assert r.status_code == 404, (method, path)


# -- point edits ----------------------------------------------------------------------------
def test_add_point_keeps_weights_and_epoch(client: TestClient, session: str) -> None:
    train(client, session, 10)
    before = client.get(api(session)).json()
    params = client.get(api(session, "/params")).json()
    r = client.post(api(session, "/points"), json={"x": 5.5, "y": -6, "label": -1})
    assert r.status_code == 200, r.text
    after = r.json()
    assert after["epoch"] == 10 and after["data_version"] == before["data_version"] + 1
    assert after["custom_data"] is True and after["train_loss"] != before["train_loss"]
    assert client.get(api(session, "/params")).json() == params
    data = client.get(api(session, "/data")).json()
    assert data["train"][-1] == [5.5, -6.0, -1.0] and len(data["train"]) == 251
    r = client.post(api(session, "/points"), json={"x": 0, "y": 0, "label": 1, "split": "test"})
    assert client.get(api(session, "/data")).json()["test"][-1] == [0.0, 0.0, 1.0]
    assert train(client, session, 1)["epoch"] == 11


@pytest.mark.parametrize(
    ("body", "loc", "message"),
    [
        ({"x": 6.5, "y": 0, "label": 1}, ["body", "x"], "less than or equal to 6"),
        ({"x": 0, "y": -7, "label": 1}, ["body", "y"], "greater than or equal to -6"),
        ({"x": 0, "y": 0, "label": 0}, ["body", "label"], "must be 1 or -1"),
        ({"x": 0, "y": 0}, ["body", "label"], "Field required"),
        ({"x": 0, "y": 0, "label": 1, "split": "val"}, ["body", "split"], "'train' or 'test'"),
    ],
)
def test_bad_point_is_422(
    client: TestClient, session: str, body: dict, loc: list[str], message: str
) -> None:
    before = snapshot(client, session)
    r = client.post(api(session, "/points"), json=body)
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == loc and message in r.json()["detail"][0]["msg"]
    assert snapshot(client, session) == before


def test_regression_point_takes_any_number(client: TestClient) -> None:
    config = {"problem": "regression", "dataset": "plane"}
    sid = client.post("/api/sessions", json={"config": config}).json()["id"]
    r = client.post(api(sid, "/points"), json={"x": 1, "y": 1, "label": 0.123})
    assert r.status_code == 200
    assert client.get(api(sid, "/data")).json()["train"][-1] == [1.0, 1.0, 0.123]


def test_remove_nearest_point(client: TestClient, session: str) -> None:
    client.put(api(session, "/data"), json={"train": [[0, 0, 1], [1, 1, -1]], "test": [[3, 3, 1]]})
    version = client.get(api(session)).json()["data_version"]
    r = client.delete(api(session, "/points"), params={"x": 0.8, "y": 1.1})
    assert r.status_code == 200 and r.json()["data_version"] == version + 1
    assert client.get(api(session, "/data")).json() == {"train": [[0, 0, 1]], "test": [[3, 3, 1]]}
    r = client.delete(api(session, "/points"), params={"x": 3.2, "y": 2.9})
    assert client.get(api(session, "/data")).json() == {"train": [[0, 0, 1]], "test": []}
    before = snapshot(client, session)
    r = client.delete(api(session, "/points"), params={"x": 0.4, "y": 0.4})
    assert r.status_code == 422
    assert r.json()["detail"][0]["msg"] == "no point within 0.5 of (0.4, 0.4)"
    r = client.delete(api(session, "/points"), params={"x": 9, "y": 0})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["query", "x"]
    assert snapshot(client, session) == before


def test_clear_points_then_training_is_refused_until_points_come(
    client: TestClient, session: str
) -> None:
    train(client, session, 3)
    client.post(api(session, "/play"))
    r = client.post(api(session, "/points/clear"))
    assert r.status_code == 200
    state = r.json()
    assert state["state"] == "paused" and state["epoch"] >= 3
    assert state["train_loss"] is None and state["test_loss"] is None
    assert client.get(api(session, "/data")).json() == {"train": [], "test": []}
    for path, body in [("/train", {"epochs": 5}), ("/play", None), ("/step", None)]:
        r = client.post(api(session, path), json=body)
        assert r.status_code == 409 and "no training points" in r.json()["detail"], path
    assert client.get(api(session, "/boundary.png")).status_code == 200
    assert client.get(api(session, "/figure")).status_code == 200
    assert client.get(api(session, "/data.csv")).text == HEADER
    client.post(api(session, "/points"), json={"x": 1, "y": 1, "label": 1})
    assert train(client, session, 2)["epoch"] == state["epoch"] + 2


# -- export and import ----------------------------------------------------------------------
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
    for key in ("config", "epoch", "train_loss", "test_loss", "dead_links"):
        assert state[key] == expected[key], key
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


# -- websocket ------------------------------------------------------------------------------
def test_websocket_point_messages(client: TestClient, session: str) -> None:
    train(client, session, 5)
    with client.websocket_connect(f"/ws/sessions/{session}") as ws:
        first = next_json(ws, "state")["session"]
        version = first["data_version"]
        ws.send_json({"type": "add_point", "x": 1.5, "y": -2, "label": 1, "split": "test"})
        state = state_where(ws, data_version=version + 1)
        assert state["epoch"] == 5 and state["custom_data"] is True
        assert client.get(api(session, "/data")).json()["test"][-1] == [1.5, -2.0, 1.0]
        ws.send_json({"type": "remove_point", "x": 1.6, "y": -2})
        state = state_where(ws, data_version=version + 2)
        assert state["epoch"] == 5
        assert [1.5, -2.0, 1.0] not in client.get(api(session, "/data")).json()["test"]
        ws.send_json({"type": "clear_points"})
        state = state_where(ws, data_version=version + 3)
        assert state["epoch"] == 5 and state["train_loss"] is None
        ws.send_json({"type": "play"})
        error = next_json(ws, "error")
        assert "no training points" in error["message"]
        ws.send_json({"type": "add_point", "x": 7, "y": 0, "label": 1})
        assert next_json(ws, "error")["field"] == "x"
        ws.send_json({"type": "add_point", "x": 0, "y": 0, "label": 0.5})
        assert next_json(ws, "error") == {
            "type": "error",
            "field": "label",
            "message": "must be 1 or -1 (two-class classification), got 0.5",
        }
        ws.send_json({"type": "remove_point", "x": 0, "y": 0})
        assert next_json(ws, "error") == {
            "type": "error",
            "field": "x",
            "message": "no point within 0.5 of (0, 0)",
        }
        ws.send_json({"type": "clear_points", "all": True})
        assert next_json(ws, "error")["field"] == "all"


# -- more than two classes ------------------------------------------------------------------
def test_three_classes_upload_points_export_and_import(client: TestClient, tmp_path: Path) -> None:
    config = {"dataset": "arms", "classes": 3, "loss": "cross_entropy"}
    sid = client.post("/api/sessions", json={"config": config}).json()["id"]
    body = HEADER + "1,1,2,train\n-1,0,0,train\n0,-2,1,test\n"
    assert client.put(api(sid, "/data.csv"), content=body, headers=CSV).status_code == 200
    r = client.put(api(sid, "/data.csv"), content=HEADER + "1,1,-1,train\n", headers=CSV)
    assert r.status_code == 422 and "must be a class number 0..2" in r.json()["detail"][0]["msg"]
    assert client.post(api(sid, "/points"), json={"x": 2, "y": 2, "label": 1}).status_code == 200
    r = client.post(api(sid, "/points"), json={"x": 2, "y": 2, "label": 3})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "label"]
    train(client, sid, 20)
    path = tmp_path / "model.py"
    path.write_text(client.get(api(sid, "/export/model.py")).text)
    run = subprocess.run(
        [sys.executable, str(path), "2", "-1"], capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stderr
    probabilities = [float(v) for v in run.stdout.split()]
    assert len(probabilities) == 3 and abs(sum(probabilities) - 1) < 1e-12
    grid = client.get(api(sid, "/boundary"), params={"size": 13}).json()
    best = max(range(3), key=probabilities.__getitem__)
    assert grid["values"][7][8] == best
    assert abs(grid["confidence"][7][8] - probabilities[best]) < 1e-9
    exported = client.get(api(sid, "/export/model.json")).json()
    copy = client.post("/api/sessions", json={}).json()["id"]
    state = client.post(api(copy, "/import"), json=exported).json()
    assert state["config"]["classes"] == 3 and state["epoch"] == 20


@pytest.mark.parametrize(
    ("content_type", "body", "message"),
    [
        (
            "multipart/form-data; boundary=XyZ",
            b'--XyZ\r\nContent-Disposition: form-data; name="file"; ' + b"a=b; " * 3000,
            "headers are over",
        ),
        ("multipart/form-data; boundary=XyZ; " + "a=b; " * 1000, b"--XyZ--\r\n", "Content-Type"),
        (
            "multipart/form-data; boundary=XyZ",
            b"".join(
                b'--XyZ\r\nContent-Disposition: form-data; name="f"\r\n\r\nx\r\n' for _ in range(40)
            ),
            "parts at most",
        ),
    ],
)
def test_multipart_uploads_that_would_take_the_parser_seconds_are_refused(
    client: TestClient, session: str, content_type: str, body: bytes, message: str
) -> None:
    """The email parser is quadratic in a header's length: long part headers, a long
    Content-Type or thousands of parts are refused before it runs (it once held the
    event loop, and every session, for 40 s)."""
    r = client.put(api(session, "/data.csv"), content=body, headers={"content-type": content_type})
    assert r.status_code == 422 and message in r.json()["detail"][0]["msg"]


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
