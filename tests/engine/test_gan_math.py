"""A GAN's arithmetic (engine/kinds/gan_math.py): each loss's gradient is its formula's
(autograd checks it), and the divergences are 0 for one density and about 1 bit apart."""

from __future__ import annotations

import pytest
import torch

from server.engine.data import distributions
from server.engine.kinds import gan_math


@pytest.mark.parametrize("loss", gan_math.LOSSES)
def test_each_losss_gradient_is_its_formula(loss: str) -> None:
    logits = torch.linspace(-3, 3, 7, dtype=torch.float64).reshape(1, 7, 1)
    fake = logits.flip(1).clone()
    with torch.enable_grad():
        real_l, fake_l = logits.clone().requires_grad_(True), fake.clone().requires_grad_(True)
        (gan_math.d_loss(loss, real_l, fake_l).sum() * 7).backward()
        g_l = fake.clone().requires_grad_(True)
        (gan_math.g_loss(loss, g_l).sum() * 7).backward()
    assert real_l.grad is not None and fake_l.grad is not None and g_l.grad is not None
    assert torch.allclose(gan_math.d_real_grad(loss, logits), real_l.grad, atol=1e-12)
    assert torch.allclose(gan_math.d_fake_grad(loss, fake), fake_l.grad, atol=1e-12)
    assert torch.allclose(gan_math.g_logit_grad(loss, fake), g_l.grad, atol=1e-12)


def test_divergences_are_zero_for_the_same_points_and_one_bit_apart() -> None:
    real = torch.tensor(distributions.generate("ring", 0, 100, 0).train_x / 6)
    p = gan_math.density(real)
    far = gan_math.density(real * 0.1 + torch.tensor([0.9, 0.9], dtype=torch.float64))

    def js(a: torch.Tensor, b: torch.Tensor) -> float:
        m = (a + b) / 2
        return float(0.5 * (a * (a / m).log2()).sum() + 0.5 * (b * (b / m).log2()).sum())

    assert js(p, p) == 0.0
    assert js(p, far) > 0.95
    assert gan_math.divergence_of(p, real)[1] == pytest.approx(0.0, abs=1e-12)
    assert gan_math.divergence_of(p, real * 0.1 + 0.9)[1] > 0.95
