"""TFP seed strings give TFP's own points, split, weights and run.

Three witnesses: tests/fixtures/tfp_runs.json, recorded from TensorFlow Playground's own
code in Node (tests/tfp_oracle/); tests/helpers/tfp_port.py, an independent Python port checked
against that fixture; and the engine and sessions, checked against both.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from fastapi.testclient import TestClient

from server.config import Settings
from server.engine.data import datasets
from server.engine.data import tfp as tfp_datasets
from server.engine.tfp_seed import SeedStream, next_seed, to_fixed5
from server.protocol.rest import Config, ConfigPatch
from server.sessions.session import Session
from tests.helpers import tfp_port

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
FIXTURE = json.loads((FIXTURES / "tfp_runs.json").read_text())
CASES = {case["name"]: case for case in FIXTURE["cases"]}
TFP_FEATURES = {"x": "x1", "y": "x2", "xSquared": "x1_squared", "ySquared": "x2_squared",
                "xTimesY": "x1_x2", "sinX": "sin_x1", "sinY": "sin_x2"}  # fmt: skip
REG_NAMES = {"reg-plane": "plane", "reg-gauss": "multi_gauss"}
PORT_NAMES = {"plane": "reg-plane", "multi_gauss": "reg-gauss"}


def config_of(state: dict[str, Any]) -> Config:
    """A TFP state (as the oracle records it) as our config."""
    regression = state["problem"] == "regression"
    return Config(
        seed=state["seed"],
        problem=state["problem"],
        dataset=REG_NAMES[state["regDataset"]] if regression else state["dataset"],
        noise=state["noise"],
        train_ratio=state["percTrainData"],
        hidden=state["networkShape"],
        activation=state["activation"],
        regularization=state["regularization"].lower(),
        regularization_rate=state["regularizationRate"],
        learning_rate=state["learningRate"],
        batch_size=state["batchSize"],
        features=[TFP_FEATURES[f] for f in state["features"]],
        init_zero=state["initZero"],
    )


def digest(points: np.ndarray, labels: np.ndarray) -> dict[str, Any]:
    """The oracle's digest: index-weighted sums tell a reordering apart."""
    w = np.arange(1, len(labels) + 1)
    return {"n": len(labels), "sx": float(w @ points[:, 0]), "sy": float(w @ points[:, 1]),
            "sl": float(w @ labels), "first": np.column_stack([points[:3], labels[:3]]).tolist(),
            "last": np.column_stack([points[-1:], labels[-1:]]).tolist()}  # fmt: skip


def assert_digest(ours: dict[str, Any], tfp: dict[str, Any]) -> None:
    assert ours["n"] == tfp["n"]
    for mine, theirs in ((ours["first"], tfp["first"]), (ours["last"], tfp["last"])):
        # labels exactly; coordinates to an ulp or so: V8's Math.sin and cos (spiral, circle)
        # may differ from the C library's in the last bit
        assert [p[2] for p in mine] == [p[2] for p in theirs]
        np.testing.assert_allclose(
            np.array(mine)[:, :2], np.array(theirs)[:, :2], rtol=1e-14, atol=1e-14
        )
    for key in ("sx", "sy", "sl"):  # sums: equal up to their own rounding
        assert ours[key] == pytest.approx(tfp[key], rel=1e-12, abs=1e-9)


def tfp_layers(layers: list[list[dict[str, Any]]]) -> list[tuple[list[list[float]], list[float]]]:
    return [
        ([node["weights"] for node in layer], [node["bias"] for node in layer]) for layer in layers
    ]


def assert_network(session: Session, layers: list[list[dict[str, Any]]]) -> None:
    for (w, b), (tw, tb) in zip(
        zip(session.model.net.weights, session.model.net.biases, strict=True),
        tfp_layers(layers),
        strict=True,
    ):
        np.testing.assert_allclose(w.numpy(), np.array(tw).reshape(w.shape), rtol=0, atol=1e-12)
        np.testing.assert_allclose(b.numpy(), tb, rtol=0, atol=1e-12)


def make(config: Config) -> Session:
    return Session("s", config, Settings(), torch.device("cpu"))


def split_digests(session: Session) -> tuple[dict[str, Any], dict[str, Any]]:
    s = session.model.split
    return digest(s.train_x, s.train_y), digest(s.test_x, s.test_y)


# -- the port against TFP's own code -------------------------------------------------------
@pytest.mark.parametrize("name", [n for n in CASES if CASES[n]["state"]["seed"]])
def test_the_port_opens_links_as_tfp_does(name: str) -> None:
    state = CASES[name]["state"]
    start = CASES[name]["steps"][0]["start"]
    regression = state["problem"] == "regression"
    generator = state["regDataset"] if regression else state["dataset"]
    random, train, test = tfp_port.open_link(
        state["seed"], generator, state["noise"], state["percTrainData"], regression
    )
    for points, tfp in ((train, start["train"]), (test, start["test"])):
        table = np.array(points, dtype=float).reshape(-1, 3)
        assert_digest(digest(table[:, :2], table[:, 2]), tfp)
    shape = [len(state["features"]), *state["networkShape"], 1]
    net = tfp_port.build_network(random, shape, state["initZero"])
    assert [[list(w) for _, w in layer] for layer in net] == [
        [node["weights"] for node in layer] for layer in start["weights"]
    ]
    assert [[b for b, _ in layer] for layer in net] == [
        [node["bias"] for node in layer] for layer in start["weights"]
    ]


def test_the_port_makes_tfps_next_seeds() -> None:
    # TFP's regenerate: seed = Math.random().toFixed(5) from the stream after the weights
    case = CASES["regenerate, thumbnail, problem"]
    random, _, _ = tfp_port.open_link("0.24680", "circle", 0, 50)
    tfp_port.build_network(random, [2, 4, 2, 1])
    regenerated = case["steps"][2]["regenerate"]
    assert tfp_port.to_fixed5(random()) == regenerated["seed"]


# -- the engine against the port, over many links ------------------------------------------
SEEDS = ["0.12345", "0.5", "0.00001", "0.99999", "classroom", "1e-7"]


@pytest.mark.parametrize("seed", SEEDS)
def test_the_stream_equals_the_ports(seed: str) -> None:
    ours, theirs = SeedStream(seed), tfp_port.MathRandom(seed)
    assert [ours.random() for _ in range(3000)] == [theirs() for _ in range(3000)]
    again = SeedStream(seed, ours.position)  # a stored position resumes the same stream
    assert [again.random() for _ in range(50)] == [theirs() for _ in range(50)]


@pytest.mark.parametrize("dataset", list(tfp_datasets.GENERATORS))
@pytest.mark.parametrize(("noise", "ratio"), [(0, 50), (25, 10), (50, 90), (35, 67)])
def test_every_tfp_dataset_gives_the_ports_points(dataset: str, noise: int, ratio: int) -> None:
    seed = to_fixed5((sum(map(ord, dataset)) * 7919 + noise * 31 + ratio) % 100000 / 100000)
    regression = dataset in PORT_NAMES
    _, train, test = tfp_port.open_link(
        seed, PORT_NAMES.get(dataset, dataset), noise, ratio, regression
    )
    split = datasets.generate(dataset, noise, ratio, seed)
    for points, xs, ys in (
        (train, split.train_x, split.train_y),
        (test, split.test_x, split.test_y),
    ):
        table = np.array(points, dtype=float).reshape(-1, 3)
        assert np.array_equal(xs, table[:, :2]) and np.array_equal(ys, table[:, 2])


def test_seeds_format_as_javascripts_to_fixed() -> None:
    assert to_fixed5(0.015625) == "0.01563" == tfp_port.to_fixed5(0.015625)  # a tie rounds up
    assert to_fixed5(0.123456) == "0.12346" and to_fixed5(0.999996) == "1.00000"
    stream = SeedStream("0.12345")
    for _ in range(200):
        value = stream.copy().random()
        assert next_seed(stream) == tfp_port.to_fixed5(value)


def test_initial_weights_follow_the_points_on_the_same_stream() -> None:
    session = make(Config(seed="0.777", dataset="spiral", noise=20, hidden=[3, 2],
                          features=["x1", "x2", "sin_x1"]))  # fmt: skip
    random, _, _ = tfp_port.open_link("0.777", "spiral", 20, 50)
    for _ in range(3):  # each reset goes on drawing from the same stream
        net = tfp_port.build_network(random, [3, 3, 2, 1])
        for w, layer in zip(session.model.net.weights, net, strict=True):
            assert w.tolist() == [weights for _, weights in layer]
        session.reset()


def test_same_init_restarts_from_the_seeds_first_weights() -> None:
    session = make(Config(seed="0.31", same_init=True))
    first = [w.clone() for w in session.model.net.weights]
    session.model.train(3)
    session.reset()
    assert all(torch.equal(a, b) for a, b in zip(first, session.model.net.weights, strict=True))


def test_init_zero_starts_every_weight_and_bias_at_zero() -> None:
    for seed in ("0.5", 5):
        session = make(Config(seed=seed, init_zero=True, hidden=[3]))
        assert all(not w.any() for w in session.model.net.weights)
        assert all(not b.any() for b in session.model.net.biases)
        assert session.model.train_loss == pytest.approx(0.5)  # every output is 0, labels ±1


# -- whole runs against TFP's page ----------------------------------------------------------
def follow(session: Session, case: dict[str, Any]) -> None:
    """Replay a recorded TFP page run on a session, step by step."""
    steps = case["steps"]
    assert_network(session, steps[0]["start"]["weights"])
    train, test = split_digests(session)
    assert_digest(train, steps[0]["start"]["train"])
    assert_digest(test, steps[0]["start"]["test"])
    for action, step in zip(case["actions"], steps[1:], strict=True):
        if "epochs" in action:
            for epoch, (train_loss, test_loss) in zip(
                session.model.train(action["epochs"]), step["losses"], strict=True
            ):
                assert epoch.train_loss == pytest.approx(train_loss, rel=1e-9, abs=1e-12)
                assert epoch.test_loss == pytest.approx(test_loss, rel=1e-9, abs=1e-12)
            assert_network(session, step["weights"])
            continue
        if action.get("reset"):
            session.reset()
        elif action.get("regenerate"):
            session.regenerate()
        elif "problem" in action:
            session.apply_config(ConfigPatch(problem=action["problem"]))
        else:
            name = action.get("dataset") or REG_NAMES[action["regDataset"]]
            session.apply_config(ConfigPatch(dataset=name))
        snapshot = next(iter(step.values()))
        assert session.config.seed == snapshot["seed"]
        train, test = split_digests(session)
        assert_digest(train, snapshot["train"])
        assert_digest(test, snapshot["test"])
        assert_network(session, snapshot["weights"])
        assert session.model.train_loss == pytest.approx(snapshot["loss"][0], rel=1e-12)


@pytest.mark.parametrize("name", list(CASES))
def test_a_tfp_link_trains_as_tfps_page(name: str) -> None:
    case = CASES[name]
    follow(make(config_of(case["state"])), case)


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
