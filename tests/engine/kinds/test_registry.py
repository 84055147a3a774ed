"""Kinds are built through the registry, from a config's fields, as Model(...) builds them."""

from __future__ import annotations

import torch

from server.engine.data import datasets
from server.engine.kinds.base import Kind
from server.engine.kinds.mlp import Model
from server.engine.kinds.registry import KINDS
from server.protocol.config import Config
from server.sessions.rules import hyper_of


def test_the_mlp_is_built_from_a_configs_fields_as_a_session_builds_it() -> None:
    config = Config(hidden=[5, 3], activation="relu", learning_rate=0.1, optimizer="adam",
                    regularization="l1", regularization_rate=0.01, layer_activations=["tanh"],
                    features=["x1", "x2", "sin_x1"])  # fmt: skip
    split = datasets.generate(config.dataset, 10, 50, 3)
    built = KINDS[config.kind].build(config.model_dump(), split, torch.Generator().manual_seed(7))
    direct = Model(
        problem=config.problem, features=config.features, hidden=config.hidden,
        activation=config.activation, hyper=hyper_of(config),
        generator=torch.Generator().manual_seed(7), split=split, classes=config.classes,
        loss=config.loss, layer_activations=config.layer_activations, init_zero=config.init_zero,
    )  # fmt: skip
    assert isinstance(built, Model)
    assert built.hyper == direct.hyper and built.net.sizes == direct.net.sizes == [3, 5, 3, 1]
    assert built.net.hidden_activations == ("tanh", "relu")
    for a, b in zip(built.net.weights, direct.net.weights, strict=True):
        assert torch.equal(a, b)
    assert built.group_key() == direct.group_key()
    assert [r.train_loss for r in built.train(3)] == [r.train_loss for r in direct.train(3)]


def test_missing_options_are_the_configs_defaults() -> None:
    split = datasets.generate("circle", 0, 50, 0)
    model = Model.from_options({}, split, torch.Generator().manual_seed(0))
    default = Config()
    assert (model.problem, model.features, model.hidden, model.activation) == (
        default.problem, default.features, default.hidden, default.activation,
    )  # fmt: skip
    assert (model.classes, model.loss, model.init_zero) == (2, default.loss, default.init_zero)
    assert model.hyper == hyper_of(default)


def test_a_snapshot_is_what_a_frame_shows() -> None:
    model: Kind = Model.from_options({}, datasets.generate("xor", 0, 50, 1), torch.Generator())
    model.train(2)
    snap = model.snapshot()
    assert (snap.kind, snap.epoch) == (KINDS["mlp"].code, 2)
    assert (snap.train_loss, snap.test_loss) == (model.train_loss, model.test_loss)
