"""TFP seed strings give TFP's own points, split, weights and run.

Three witnesses: tests/fixtures/tfp_runs.json, recorded from TensorFlow Playground's own
code in Node (tests/tfp_oracle/); tests/helpers/tfp_port.py, an independent Python port checked
against that fixture; and the engine and sessions, checked against both.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

from server.engine import compiled
from server.engine.data import datasets
from server.engine.data import tfp as tfp_datasets
from server.engine.tfp_seed import SeedStream, next_seed, to_fixed5
from server.protocol.rest import Config, ConfigPatch
from server.sessions.session import Session
from tests.helpers import tfp_port
from tests.helpers.tfp_cases import (
    CASES,
    PORT_NAMES,
    REG_NAMES,
    assert_digest,
    assert_network,
    config_of,
    digest,
    make,
    split_digests,
)


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
def follow(session: Session, case: dict[str, Any], kernel: bool = False) -> None:
    """Replay a recorded TFP page run on a session, step by step (its epochs trained by
    the compiled kernel if ``kernel``)."""
    steps = case["steps"]
    assert_network(session, steps[0]["start"]["weights"])
    train, test = split_digests(session)
    assert_digest(train, steps[0]["start"]["train"])
    assert_digest(test, steps[0]["start"]["test"])
    for action, step in zip(case["actions"], steps[1:], strict=True):
        if "epochs" in action:
            for epoch, (train_loss, test_loss) in zip(
                session.model.train(action["epochs"], kernel=kernel), step["losses"], strict=True
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


@pytest.mark.parametrize("name", list(CASES))
def test_a_tfp_link_trains_as_tfps_page_on_the_compiled_kernel(name: str) -> None:
    pytest.importorskip("numba")
    compiled.prepare(background=False)
    session = make(config_of(CASES[name]["state"]))
    follow(session, CASES[name], kernel=True)
    assert session.model.bound is not None  # the kernel trained it
