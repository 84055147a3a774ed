"""The bounded loss history: batched recording keeps exactly what epoch-by-epoch adds keep."""

from __future__ import annotations

import numpy as np
import pytest

from server.sessions.history import LossHistory


@pytest.mark.parametrize("chunks", [[1] * 50, [7, 3, 30, 1, 9], [64], [5, 40, 13, 2]])
def test_extend_keeps_what_add_keeps_across_thinning(chunks: list[int]) -> None:
    rng = np.random.default_rng(0)
    one_by_one, batched = LossHistory(capacity=8), LossHistory(capacity=8)
    one_by_one.add(0, 1.0, 2.0)
    batched.add(0, 1.0, 2.0)
    epoch = 1
    for n in chunks:
        train, test = rng.random(n), rng.random(n)
        for k in range(n):
            one_by_one.add(epoch + k, float(train[k]), float(test[k]))
        batched.extend(epoch, train, test)
        epoch += n
        assert batched.as_dict() == one_by_one.as_dict()
        assert batched.stride == one_by_one.stride
    assert one_by_one.stride > 1  # the chunks crossed at least one thinning
    assert len(batched.epoch) < 8


def test_extend_takes_strided_views_and_non_finite_losses() -> None:
    history = LossHistory(capacity=100)
    losses = np.array([[0.5, 0.6], [np.inf, np.nan], [0.25, 0.3]])
    history.extend(1, losses[:, 0], losses[:, 1])  # columns of one array: strided views
    assert history.as_dict() == {
        "epoch": [1, 2, 3],
        "train_loss": [0.5, None, 0.25],
        "test_loss": [0.6, None, 0.3],
    }
