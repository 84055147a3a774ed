"""The metrics: accuracy, per-class accuracy and confusion for classification, R² for
regression, on points small enough to count by hand."""

from __future__ import annotations

import pytest
import torch

from server.engine.metrics import evaluate
from server.engine.network import Network
from tests.helpers.tiny_nets import net_1x1, t


def test_classification_metrics_by_hand() -> None:
    # tanh(x): negative x predicts −1 (class 0), the rest +1 (class 1).
    # x = −2, −1, 1, 2, 3 with labels −1, +1, +1, −1, +1:
    # true 0 1 1 0 1, predicted 0 0 1 1 1 -> confusion [[1, 1], [1, 2]], accuracy 3/5
    net = net_1x1("tanh")
    points = (t([[-2.0], [-1.0], [1.0], [2.0], [3.0]]), t([-1.0, 1.0, 1.0, -1.0, 1.0]))
    m = evaluate(net, "classification", 2, points, (t([[0.0]])[:0], t([])))
    assert m["train_confusion"] == [[1, 1], [1, 2]] and m["labels"] == [-1.0, 1.0]
    assert m["train_accuracy"] == pytest.approx(0.6)
    assert m["train_class_accuracy"] == pytest.approx([0.5, 2 / 3])
    assert m["test_accuracy"] is None and m["test_class_accuracy"] == [None, None]


def test_three_class_confusion() -> None:
    # outputs = (x, 0, −x): x > 0 picks class 0, x < 0 class 2
    net = Network([t([[1.0], [0.0], [-1.0]])], [t([0.0, 0.0, 0.0])],
                  [torch.ones(3, 1, dtype=torch.bool)], "tanh", "softmax")  # fmt: skip
    points = (t([[1.0], [2.0], [-1.0], [-3.0]]), t([0.0, 1.0, 2.0, 2.0]))
    m = evaluate(net, "classification", 3, points, points)
    assert m["test_confusion"] == [[1, 0, 0], [1, 0, 0], [0, 0, 2]]
    assert m["test_class_accuracy"] == [1.0, 0.0, 1.0] and m["test_accuracy"] == 0.75


def test_r_squared_by_hand() -> None:
    # predictions x = 1, 2, 3 for targets 1, 2, 4: SS_res 1, SS_tot 42/9 -> R² = 33/42
    net = net_1x1("linear")
    points = (t([[1.0], [2.0], [3.0]]), t([1.0, 2.0, 4.0]))
    m = evaluate(net, "regression", 2, points, (t([[1.0]]), t([5.0])))
    assert m["train_r2"] == pytest.approx(33 / 42, abs=1e-15)
    assert m["test_r2"] is None  # constant targets: undefined
    assert m["train_accuracy"] is None and m["classes"] == 0
