"""A session's seed through REST and model files: a TFP seed string is taken (a bad one
explained), a TFP run survives export and import, a stream far along resumes at once,
and our own integer seeds keep numpy's points (server/sessions/seeds.py)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from fastapi.testclient import TestClient

from server.engine.data import datasets
from server.engine.tfp_seed import SeedStream
from server.protocol.rest import Config
from tests.helpers.tfp_cases import (
    CASES,
    config_of,
    make,
    split_digests,
)


def test_a_tfp_run_survives_export_and_import(client: TestClient) -> None:
    case = CASES["regenerate, thumbnail, problem"]
    config = config_of(case["state"]).model_dump()
    sid = client.post("/api/sessions", json={"config": config}).json()["id"]
    assert client.get(f"/api/sessions/{sid}").json()["config"]["seed"] == "0.24680"
    client.post(f"/api/sessions/{sid}/train", json={"epochs": 3})
    file = client.get(f"/api/sessions/{sid}/export/model.json").json()
    other = client.post("/api/sessions", json={}).json()["id"]
    assert client.post(f"/api/sessions/{other}/import", json=file).status_code == 200
    # both now regenerate to TFP's next seed and points: the stream came along in the file
    for session_id in (sid, other):
        body = client.post(f"/api/sessions/{session_id}/regenerate").json()
        assert body["config"]["seed"] == case["steps"][2]["regenerate"]["seed"]
    ours = client.app.state.manager.sessions
    assert split_digests(ours[sid]) == split_digests(ours[other])


def test_rest_config_takes_a_tfp_seed_and_explains_a_bad_one(client: TestClient) -> None:
    made = client.post("/api/sessions", json={"config": {"seed": "0.12345"}})
    assert made.status_code == 201 and made.json()["config"]["seed"] == "0.12345"
    start = CASES["default circle"]["steps"][0]["start"]
    assert made.json()["train_loss"] == pytest.approx(start["loss"][0], rel=1e-12)
    bad = client.post("/api/sessions", json={"config": {"seed": "a&b"}})
    assert bad.status_code == 422
    assert "seed" in json.dumps(bad.json()) and "printable ASCII" in json.dumps(bad.json())
    sid = made.json()["id"]
    patched = client.patch(f"/api/sessions/{sid}", json={"config": {"noise": 10}})
    new_seed = patched.json()["config"]["seed"]  # new data under a TFP seed: TFP's next seed
    assert isinstance(new_seed, str) and len(new_seed) == 7 and new_seed != "0.12345"
    kept = client.patch(f"/api/sessions/{sid}", json={"config": {"noise": 20, "seed": "0.5"}})
    assert kept.json()["config"]["seed"] == "0.5"  # a seed the caller names is kept
    assert math.isfinite(kept.json()["train_loss"])


def test_our_own_integer_seeds_keep_numpys_points() -> None:
    split = datasets.generate("circle", 0, 50, 7)
    again = make(Config(seed=7)).model.split
    assert np.array_equal(split.train_x, again.train_x)
    tfp = make(Config(seed="7")).model.split  # the string "7" is TFP's seed, not ours
    assert not np.array_equal(split.train_x, tfp.train_x)


def test_a_stream_far_along_resumes_at_once_and_a_bad_one_is_refused(client: TestClient) -> None:
    sid = client.post("/api/sessions", json={"config": {"seed": "0.5"}}).json()["id"]
    file = client.get(f"/api/sessions/{sid}/export/model.json").json()
    far = SeedStream("0.5")
    far.skip(3_000_000)  # as after many thousands of resets
    s, i, j = far.state()
    stream = {**file["stream"], "position": 2**40, "s": s, "i": i, "j": j}
    # 2⁴⁰ bytes in: resumed from (s, i, j), where replaying the stream would take hours
    assert client.post(f"/api/sessions/{sid}/import", json={**file, "stream": stream}).is_success
    client.post(f"/api/sessions/{sid}/reset")
    first = client.get(f"/api/sessions/{sid}/params").json()["layers"][0]["weight"][0][0]
    assert first == far.random() - 0.5  # the next weights come from where the file stood
    for bad, field, words in [
        ({"s": [*range(255), 0]}, "stream", "each of 0..255 once"),
        ({"i": 256}, "i", "less than or equal to 255"),
        ({"data_position": 2**21}, "data_position", "less than or equal to 1048576"),
        ({"position": 5, "data_position": 6}, "stream", "at most position"),
        ({"s": [0] * 10}, "s", "at least 256"),
    ]:
        r = client.post(f"/api/sessions/{sid}/import", json={**file, "stream": {**stream, **bad}})
        assert r.status_code == 422 and field in r.text and words in r.text, (bad, r.text)


def test_a_stream_given_as_a_short_position_is_replayed(client: TestClient) -> None:
    sid = client.post("/api/sessions", json={"config": {"seed": "0.5"}}).json()["id"]
    file = client.get(f"/api/sessions/{sid}/export/model.json").json()
    short = {k: file["stream"][k] for k in ("position", "data_position")}  # an early file
    other = client.post("/api/sessions", json={}).json()["id"]
    assert client.post(f"/api/sessions/{other}/import", json={**file, "stream": short}).is_success
    for session_id in (sid, other):  # both regenerate to the same next seed
        client.post(f"/api/sessions/{session_id}/reset")
    params = [client.get(f"/api/sessions/{x}/params").json() for x in (sid, other)]
    assert params[0] == params[1]
    for bad, words in [
        ({**short, "position": 2**21}, "position must be at most 1048576"),
        ({**file["stream"], "i": None}, "s, i and j come together"),
    ]:
        r = client.post(f"/api/sessions/{other}/import", json={**file, "stream": bad})
        assert r.status_code == 422 and words in r.text, r.text
    ours = {**file, "config": {**file["config"], "seed": 5}}  # an integer seed has no stream
    r = client.post(f"/api/sessions/{other}/import", json=ours)
    assert r.status_code == 422 and '"stream"' in r.text and "integer seed" in r.text
