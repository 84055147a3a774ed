"""REST and websocket routes of api_data.py: CSV upload and download, point edits (export and
import: test_api_export.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from server.formats.points import MAX_CSV_BYTES
from tests.helpers.api import CSV, HEADER, api, snapshot, train
from tests.helpers.ws import next_json, state_where


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
