"""The GAN kind (engine/kinds/gan.py): it learns GAN Lab's ring, its presets show what
they promise, its losses' gradients are the losses', a stack trains each GAN as if alone,
and one stage alone moves only its net."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

from server.engine import dense
from server.engine.data import distributions
from server.engine.kinds import gan_training
from server.engine.kinds.gan import Gan
from server.protocol.generative import PRESETS, GanOptions


def make(seed: int = 1, source: str | None = None, **changes: Any) -> Gan:
    options = {**GanOptions().model_dump(), **changes}
    if source is not None:
        options["source"] = source
    split = distributions.generate(options["source"], 0, 50, 0)
    return Gan(options, split, torch.Generator().manual_seed(seed))


def blobs_covered(model: Gan) -> int:
    """How many of the three blobs hold at least 10 % of the generated points."""
    fake = (model._generate(model.eval_noise)[0] * 6).numpy()
    angles = np.pi / 2 + 2 * np.pi * np.arange(3) / 3
    centres = 3.5 * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    distance = ((fake[:, None, :] - centres[None]) ** 2).sum(-1)
    near = distance.min(1) < 1.5**2
    share = np.bincount(distance.argmin(1)[near], minlength=3) / len(fake)
    return int((share >= 0.1).sum())


def test_the_balanced_preset_learns_the_ring() -> None:
    # (the bench runs the full version: JS below 0.1 within 3,000 iterations)
    model = make()
    _, start = model.divergence()
    seen = []
    for _ in range(6):
        model.train(250)
        seen.append(model.divergence()[1])
    assert start > 0.8
    assert min(seen) < 0.1
    assert seen[-1] < 0.2
    assert model.divergences[-1] == (1500, *model.divergence())


def test_the_mode_collapse_preset_covers_one_blob_where_balanced_covers_three() -> None:
    collapse = make(**{**GanOptions().model_dump(), **PRESETS["mode_collapse"]})
    balanced = make(source="three_blobs")
    collapse.train(1500)
    balanced.train(1000)
    assert blobs_covered(balanced) == 3
    assert blobs_covered(collapse) <= 1


def test_a_stack_trains_each_gan_as_if_alone() -> None:
    rates = (0.003, 0.01, 0.001)
    stacked = [make(seed, d_learning_rate=r) for seed, r in zip((1, 2, 3), rates, strict=True)]
    alone = [make(seed, d_learning_rate=r) for seed, r in zip((1, 2, 3), rates, strict=True)]
    losses = gan_training.train_together(stacked, 20)
    assert losses.shape == (20, 3, 2)
    for i, model in enumerate(alone):
        own = model.train(20)
        assert [r.epoch for r in own] == list(range(1, 21))
        assert np.allclose([[r.train_loss, r.test_loss] for r in own], losses[:, i], atol=1e-12)
        for part in ("g", "d"):
            assert torch.allclose(model.nets[part].flat, stacked[i].nets[part].flat, atol=1e-12)
    assert stacked[0].stack is stacked[2].stack  # their tensors are views of one stack


def test_a_stage_alone_moves_only_its_net() -> None:
    model = make(d_steps=3, g_steps=2)
    g, d = model.nets["g"].flat.clone(), model.nets["d"].flat.clone()
    model.step_part("d")
    assert torch.equal(model.nets["g"].flat, g) and not torch.equal(model.nets["d"].flat, d)
    assert model.updates == {"d": 3, "g": 0} and model.epoch == 0
    d = model.nets["d"].flat.clone()
    model.step_part("g")
    assert torch.equal(model.nets["d"].flat, d) and not torch.equal(model.nets["g"].flat, g)
    assert model.updates == {"d": 3, "g": 2}


def test_the_arrows_point_up_the_discriminators_slope() -> None:
    model = make()
    model.train(200)
    views = model.views(20)
    fake = views["fake"] / 6  # net units
    with torch.enable_grad():
        x = fake.clone().requires_grad_(True)
        logit, _ = dense.forward(model.nets["d"], x.unsqueeze(0))
        logit.sum().backward()
    assert x.grad is not None
    along = (views["push"] * x.grad).sum(1)  # non-saturating: G pushes towards "real"
    assert bool((along > 0).all())
    assert views["dmap"].shape == (20, 20) and views["dmap"].dtype == torch.uint8


@pytest.mark.parametrize("noise_dim, shape", [(1, (64, 2)), (2, (15, 15, 2))])
def test_the_manifold_is_a_curve_for_1d_noise_and_a_mesh_for_2d(
    noise_dim: int, shape: tuple[int, ...]
) -> None:
    assert tuple(make(noise_dim=noise_dim).views(10)["manifold"].shape) == shape


def test_a_stacked_gan_that_stepped_alone_trains_on_with_its_group() -> None:
    pair, lone = [make(1), make(2)], [make(1), make(2)]
    gan_training.train_together(pair, 4)
    pair[1].step_part("d")  # alone, as Step D does: it leaves the stack
    pair[0].set_options({**pair[0].options, "d_learning_rate": 0.01})  # a new rate
    gan_training.train_together(pair, 13)  # gathered again: 17 and 17 iterations
    for model in lone:
        model.train(4)
    lone[1].step_part("d")
    lone[0].set_options({**lone[0].options, "d_learning_rate": 0.01})
    for model in lone:
        model.train(13)
    for stacked, alone in zip(pair, lone, strict=True):
        assert torch.allclose(stacked.nets["g"].flat, alone.nets["g"].flat, atol=1e-12)
        assert np.allclose(stacked.divergences, alone.divergences, atol=1e-9)
    assert [e for e, _, _ in pair[0].divergences] == [0, 10]


def test_gans_at_different_iterations_are_measured_each_at_its_own_tenth() -> None:
    ahead, behind = make(1), make(2)
    ahead.train(3)
    gan_training.train_together([ahead, behind], 20)
    assert [e for e, _, _ in ahead.divergences] == [0, 10, 20]
    assert [e for e, _, _ in behind.divergences] == [0, 10, 20]


def test_an_iteration_sliced_at_every_update_gives_the_same_numbers() -> None:
    whole, sliced = make(1, d_steps=3, g_steps=2), make(1, d_steps=3, g_steps=2)
    whole.train(4)
    calls = 0
    while sliced.epoch < 4:
        done = sliced.train(4 - sliced.epoch, stop=lambda: True)  # one update a call
        calls += 1
        assert sliced.fraction == sliced.cursor / 5
        assert len(done) == (1 if sliced.cursor == 0 else 0)
    assert calls == 4 * 5
    assert torch.equal(whole.nets["g"].flat, sliced.nets["g"].flat)
    assert (whole.train_loss, whole.test_loss) == (sliced.train_loss, sliced.test_loss)
    assert whole.updates == sliced.updates == {"d": 12, "g": 8}
