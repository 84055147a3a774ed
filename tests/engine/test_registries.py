"""The registries are objects that carry their behaviour; their names are the wire's."""

from __future__ import annotations

import pytest
import torch

from server.engine.features import FEATURES, LABELS
from server.engine.network import ACTIVATIONS, OUTPUT_ACTIVATIONS, activate, activation
from server.engine.objectives import LOSSES, output_activation
from server.engine.optimizers import OPTIMIZERS
from server.engine.training import REGULARIZATIONS


def test_names_on_the_wire_are_unchanged() -> None:
    assert list(FEATURES) == [
        "x1", "x2", "x1_squared", "x2_squared", "x1_x2", "sin_x1", "sin_x2",
    ]  # fmt: skip
    assert list(ACTIVATIONS) == ["tanh", "relu", "sigmoid", "linear"]
    assert list(OUTPUT_ACTIVATIONS) == ["tanh", "linear", "sigmoid", "softmax"]
    assert list(REGULARIZATIONS) == ["none", "l1", "l2"]
    assert list(LOSSES) == ["mse", "cross_entropy"]
    assert list(OPTIMIZERS) == ["sgd", "momentum", "adam"]
    for registry in (
        FEATURES,
        ACTIVATIONS,
        OUTPUT_ACTIVATIONS,
        REGULARIZATIONS,
        LOSSES,
        OPTIMIZERS,
    ):
        assert all(entry.name == name for name, entry in registry.items())


def test_entries_are_frozen() -> None:
    with pytest.raises(AttributeError):
        ACTIVATIONS["tanh"].title = "x"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        LOSSES["mse"].title = "x"  # type: ignore[misc]


def test_feature_code_is_the_feature() -> None:
    """The exported script's formula of each feature computes what the engine computes."""
    x = torch.linspace(-6, 6, 13, dtype=torch.float64)
    y = torch.linspace(5, -5, 13, dtype=torch.float64)
    for name, feature in FEATURES.items():
        written = eval(feature.code, {"torch": torch, "x": x, "y": y})
        assert torch.equal(written, feature(x, y)), name
        assert LABELS[name] == feature.label


def test_activation_torch_code_is_the_activation() -> None:
    from torch import nn

    z = torch.linspace(-3, 3, 12, dtype=torch.float64).reshape(3, 4)
    for name, entry in OUTPUT_ACTIVATIONS.items() | ACTIVATIONS.items():
        module = eval(entry.torch_code, {"nn": nn})
        assert torch.allclose(module(z), activate(name, z), rtol=0, atol=1e-15), name
    assert activation("softmax").derivative is None


def test_each_loss_picks_its_output() -> None:
    assert output_activation("classification", "mse", 2) == "tanh"
    assert output_activation("classification", "cross_entropy", 2) == "sigmoid"
    assert output_activation("classification", "cross_entropy", 4) == "softmax"
    assert output_activation("regression", "cross_entropy", 2) == "linear"
    for loss in LOSSES.values():
        assert loss.output(2) in loss.outputs and loss.output(3) in loss.outputs


def test_only_l1_kills_and_none_has_no_penalty() -> None:
    assert [r.name for r in REGULARIZATIONS.values() if r.kills] == ["l1"]
    assert REGULARIZATIONS["none"].derivative is None
    w = torch.tensor([-2.0, 0.0, 3.0], dtype=torch.float64)
    l1, l2 = REGULARIZATIONS["l1"].derivative, REGULARIZATIONS["l2"].derivative
    assert l1 is not None and l2 is not None
    assert l1(w).tolist() == [-1.0, 0.0, 1.0] and l2(w).tolist() == w.tolist()


def test_optimizer_slots() -> None:
    assert {n: o.slots for n, o in OPTIMIZERS.items()} == {
        "sgd": (),
        "momentum": ("velocity",),
        "adam": ("m", "v"),
    }
    assert sorted(OPTIMIZERS["adam"]) == ["m", "v"]  # formats/export.py iterates an entry
