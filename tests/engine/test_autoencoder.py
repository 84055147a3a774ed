"""The autoencoder kind (engine/kinds/autoencoder.py): linear with a bottleneck of 1 it is
PCA (the first principal axis, as numpy's SVD finds it); with its defaults it finds the
curve of the moons, which no line can; a stack trains each one as if alone."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from server.engine.data import datasets
from server.engine.data.split import Split, make_split
from server.engine.kinds import autoencoder
from server.engine.kinds.autoencoder import Autoencoder
from server.protocol.generative import AutoencoderOptions


def make(split: Split, seed: int = 1, **changes: Any) -> Autoencoder:
    options = {**AutoencoderOptions().model_dump(), **changes}
    return Autoencoder(options, split, torch.Generator().manual_seed(seed))


def rank_one_residual(points: np.ndarray) -> float:
    """PCA's error keeping one component: the mean squared distance to the first axis,
    per coordinate (the autoencoder's loss)."""
    centred = points - points.mean(0)
    s = np.linalg.svd(centred, compute_uv=False)
    return float(s[1] ** 2 / len(points) / 2)


def test_linear_with_a_bottleneck_of_one_finds_the_first_principal_component() -> None:
    rng = np.random.default_rng(0)
    points = rng.normal(size=(400, 2)) @ np.array([[3.0, 1.0], [0.0, 0.6]]) + [0.5, -0.3]
    split = make_split(points, np.ones(400), 50)
    model = make(split, encoder=[], decoder=[], encoder_activation="linear",
                 decoder_activation="linear", bottleneck=1)  # fmt: skip
    model.train(200)
    _, _, vt = np.linalg.svd(split.train_x - split.train_x.mean(0))
    curve = model.views()["manifold"].numpy()  # the decoded line, (80, 2)
    direction = (curve[-1] - curve[0]) / np.linalg.norm(curve[-1] - curve[0])
    assert abs(direction @ vt[0]) > 0.999
    # every decoded point lies on the line through the mean along that axis
    offsets = curve - split.train_x.mean(0)
    assert np.abs(offsets @ vt[1]).max() < 0.05
    assert model.train_loss <= 1.01 * rank_one_residual(split.train_x)


def test_it_finds_the_curve_of_the_moons() -> None:
    split = datasets.generate("moons", 0, 50, 0)
    model = make(split)
    model.train(300)
    pca = rank_one_residual(split.train_x)
    assert model.train_loss < 0.1
    assert model.train_loss < pca / 10  # a line cannot follow the moons
    assert model.test_loss < 0.2  # points it never trained on land on the curve too


def test_a_stack_trains_each_autoencoder_as_if_alone() -> None:
    split = datasets.generate("moons", 0, 50, 0)
    stacked = [make(split, seed, learning_rate=r) for seed, r in ((1, 0.01), (2, 0.003))]
    alone = [make(split, seed, learning_rate=r) for seed, r in ((1, 0.01), (2, 0.003))]
    losses = autoencoder.train_together(stacked, 5)
    for i, model in enumerate(alone):
        own = model.train(5)
        assert np.allclose([[r.train_loss, r.test_loss] for r in own], losses[:, i], atol=1e-12)
        assert torch.allclose(model.nets["decoder"].flat, stacked[i].nets["decoder"].flat,
                              atol=1e-12)  # fmt: skip


def test_an_epoch_sliced_anywhere_gives_the_same_numbers() -> None:
    split = datasets.generate("moons", 0, 50, 0)
    whole, sliced = make(split), make(split)
    whole.train(3)
    calls = 0
    while sliced.epoch < 3:
        sliced.train(3 - sliced.epoch, stop=lambda: True)  # one minibatch a call
        calls += 1
    assert calls == 3 * 10  # 250 training points in batches of 25
    assert torch.equal(whole.nets["encoder"].flat, sliced.nets["encoder"].flat)
    assert whole.train_loss == sliced.train_loss


def test_denoising_adds_noise_to_the_inputs_only() -> None:
    split = datasets.generate("moons", 0, 50, 0)
    clean, noisy = make(split), make(split, input_noise=0.5)
    clean.train(20)
    noisy.train(20)
    assert not torch.equal(clean.nets["encoder"].flat, noisy.nets["encoder"].flat)
    assert noisy.train_loss < 0.6  # it still reconstructs the clean points


def test_a_bottleneck_of_two_decodes_a_sheet() -> None:
    split = datasets.generate("moons", 0, 50, 0)
    views = make(split, bottleneck=2).views()
    assert tuple(views["manifold"].shape) == (15, 15, 2)
    assert tuple(views["codes"].shape) == (500, 2)
    assert len(views["code_range"][0]) == 2
