"""The engine against tests/helpers/tfp_reference.py (TensorFlow Playground's rules):
the same networks trained 50 epochs in float64 agree to 1e-12, dead links included, and
TFP's opening screen learns."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
import torch

from server.engine.data import datasets
from server.engine.training import Hyper
from tests.helpers.tfp_models import max_diff as _max_diff
from tests.helpers.tfp_models import reference_for as _reference_for
from tests.helpers.tfp_models import tfp_model as _model
from tests.helpers.tfp_reference import make_inputs


@dataclass(frozen=True)
class Case:
    dataset: str
    features: tuple[str, ...]
    hidden: tuple[int, ...]
    activation: str
    learning_rate: float
    batch_size: int
    regularization: str
    rate: float
    ratio: int = 50
    noise: int = 0


ALL_FEATURES = ("x1", "x2", "x1_squared", "x2_squared", "x1_x2", "sin_x1", "sin_x2")
CASES = {
    "circle-default": Case("circle", ("x1", "x2"), (4, 2), "tanh", 0.03, 10, "none", 0.0),
    "xor-relu-b1-l1": Case(
        "xor", ("x1", "x2", "x1_x2"), (3,), "relu", 0.01, 1, "l1", 0.001, ratio=20, noise=10
    ),
    "gauss-sigmoid-b7-l2-nohidden": Case(
        "gauss", ALL_FEATURES, (), "sigmoid", 0.1, 7, "l2", 0.01, noise=20
    ),
    "spiral-tanh-b30-l1-3layers": Case(
        "spiral", ALL_FEATURES, (6, 4, 3), "tanh", 0.1, 30, "l1", 0.003, ratio=30, noise=10
    ),
    "plane-linear-b10-l2": Case(
        "plane", ("x1", "x2"), (2,), "linear", 0.01, 10, "l2", 0.03, ratio=20, noise=5
    ),
    "multigauss-relu-b30-l1": Case(
        "multi_gauss",
        ("x1", "x2", "sin_x1", "sin_x2"),
        (5, 3),
        "relu",
        0.03,
        30,
        "l1",
        0.01,
        ratio=10,
    ),
    "circle-sigmoid-b10-l1-dies": Case(
        "circle",
        ("x1", "x2", "x1_squared", "x2_squared"),
        (3,),
        "sigmoid",
        0.1,
        10,
        "l1",
        0.03,
        ratio=20,
    ),
    "xor-linear-b7-none": Case(
        "xor", ("x1", "x2", "x1_x2", "sin_x1"), (4, 2), "linear", 0.003, 7, "none", 0.0, ratio=30
    ),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_engine_matches_reference_for_50_epochs(case: Case) -> None:
    split = datasets.generate(case.dataset, case.noise, case.ratio, seed=7)
    problem = datasets.DATASETS[case.dataset].problem
    hyper = Hyper(case.learning_rate, case.batch_size, case.regularization, case.rate)
    model = _model(split, case.features, case.hidden, case.activation, hyper, problem, seed=11)
    assert model.net.weights[0].dtype == torch.float64
    ref = _reference_for(model)
    train_in = make_inputs(split.train_x.tolist(), case.features)
    test_in = make_inputs(split.test_x.tolist(), case.features)
    train_y, test_y = split.train_y.tolist(), split.test_y.tolist()
    worst = 0.0
    for epoch in range(1, 51):
        result = model.train_epoch()
        ref.train_epoch(train_in, train_y, case.learning_rate, case.batch_size, case.rate)
        worst = max(
            worst,
            _max_diff(model.net.weights, ref.weights()),
            _max_diff(model.net.biases, ref.biases()),
            abs(result.train_loss - ref.loss(train_in, train_y)),
            abs(result.test_loss - ref.loss(test_in, test_y)),
        )
        assert worst <= 1e-12, f"epoch {epoch}: max abs difference {worst:.3g}"
        assert set(model.net.dead_links()) == set(ref.dead_links()), f"epoch {epoch}"
    assert model.acc.count == len(train_y) % case.batch_size


def test_agreement_cases_exercise_dead_links() -> None:
    # The L1 case named "dies" must actually kill links, or the agreement test above
    # never compares a dead link.
    case = CASES["circle-sigmoid-b10-l1-dies"]
    split = datasets.generate(case.dataset, case.noise, case.ratio, seed=7)
    hyper = Hyper(case.learning_rate, case.batch_size, case.regularization, case.rate)
    model = _model(split, case.features, case.hidden, case.activation, hyper, seed=11)
    for _ in range(50):
        model.train_epoch()
    assert model.net.dead_links()
    for layer, j, i in model.net.dead_links():
        assert model.net.weights[layer][j, i] == 0.0


def test_default_circle_learns_by_epoch_100() -> None:
    # TFP's opening screen: circle, x1 x2, 4-2 tanh, lr 0.03, batch 10, ratio 50, noise 0.
    split = datasets.generate("circle", noise=0, train_ratio=50, seed=0)
    model = _model(split, ["x1", "x2"], [4, 2], "tanh", Hyper(learning_rate=0.03, batch_size=10))
    for _ in range(100):
        result = model.train_epoch()
    assert result.epoch == 100
    assert result.train_loss < 0.01, f"train {result.train_loss:.4f} test {result.test_loss:.4f}"
