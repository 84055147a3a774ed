"""Input features in TensorFlow Playground's order."""

from __future__ import annotations

import math

import pytest
import torch

from server.engine.features import FEATURES, LABELS, canonical, make_inputs

TFP_ORDER = ["x1", "x2", "x1_squared", "x2_squared", "x1_x2", "sin_x1", "sin_x2"]


def test_registry_is_in_tfp_order_with_labels() -> None:
    assert list(FEATURES) == TFP_ORDER
    assert list(LABELS) == TFP_ORDER


def test_feature_values() -> None:
    points = torch.tensor([[1.5, -2.0], [-0.25, 3.0], [0.0, 0.0]], dtype=torch.float64)
    inputs = make_inputs(points, TFP_ORDER)
    assert inputs.shape == (3, 7)
    assert inputs.dtype == torch.float64
    for row, (x, y) in zip(inputs.tolist(), points.tolist(), strict=True):
        expected = [x, y, x * x, y * y, x * y, math.sin(x), math.sin(y)]
        assert row[:5] == expected[:5]  # products are exact
        assert row[5:] == pytest.approx(expected[5:], rel=1e-15, abs=1e-300)


def test_canonical_orders_and_deduplicates() -> None:
    assert canonical(["sin_x2", "x1", "x1", "x2_squared"]) == ["x1", "x2_squared", "sin_x2"]
    assert canonical([]) == []


def test_make_inputs_uses_canonical_column_order() -> None:
    points = torch.tensor([[2.0, 3.0]], dtype=torch.float64)
    assert make_inputs(points, ["x1_x2", "x2", "x1"]).tolist() == [[2.0, 3.0, 6.0]]


def test_make_inputs_keeps_dtype_and_handles_no_points() -> None:
    points = torch.zeros(0, 2, dtype=torch.float32)
    inputs = make_inputs(points, ["x1", "sin_x1"])
    assert inputs.shape == (0, 2)
    assert inputs.dtype == torch.float32
