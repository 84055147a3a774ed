"""engine/kernel.py: the compiled kernel (through Model.train(kernel=True)) trains as the
torch engine does, to 1e-12 after 50 epochs, over a broad set of configs (seeded): every
activation, loss and optimizer, L1 with dead links, L2, k classes, the carry. The configs
are ones whose training is not chaotic: where the loss oscillates (momentum 0.8 at batch
4 on the circle), a difference of one rounding (BLAS sums a batch in its own order)
doubles every epoch or so, and no two correct engines agree after 50 epochs."""

from __future__ import annotations

import pytest
import torch

pytest.importorskip("numba")

from server.config import Settings
from server.engine import compiled
from server.protocol.rest import Config
from server.sessions.session import Session

CONFIGS = [
    {},
    {"activation": "relu", "hidden": [8, 8, 4], "batch_size": 7},
    {"activation": "sigmoid", "batch_size": 1, "learning_rate": 0.3},
    {"activation": "linear", "hidden": [], "batch_size": 30},
    {"regularization": "l1", "regularization_rate": 0.01, "learning_rate": 0.1},
    {"regularization": "l2", "regularization_rate": 0.003, "activation": "relu"},
    {"features": ["x1", "x2", "x1_squared", "x2_squared", "x1_x2", "sin_x1", "sin_x2"],
     "hidden": [8, 8, 8, 8, 8, 8], "dataset": "spiral"},
    {"problem": "regression", "dataset": "plane"},
    {"loss": "cross_entropy"},
    {"loss": "cross_entropy", "classes": 3, "dataset": "clouds"},
    {"dataset": "xor", "seed": 7, "layer_activations": ["relu", "tanh"]},
    {"optimizer": "momentum", "momentum": 0.5, "batch_size": 4},
    {"optimizer": "adam", "learning_rate": 0.01, "activation": "relu"},
    {"optimizer": "adam", "regularization": "l1", "regularization_rate": 0.003},
    {"optimizer": "momentum", "regularization": "l2", "regularization_rate": 0.01,
     "loss": "cross_entropy", "classes": 4, "dataset": "arms"},
]  # fmt: skip


@pytest.fixture(scope="module", autouse=True)
def compiled_kernel() -> None:
    compiled.prepare(background=False)
    assert compiled.ready(), compiled.why_not()


def pair(options: dict[str, object]) -> tuple[Session, Session]:
    config = Config(**{"seed": 3, **options})
    return Session("a", config, Settings(), torch.device("cpu")), Session(
        "b", config, Settings(), torch.device("cpu")
    )


def assert_same(mine: Session, theirs: Session, tolerance: float = 1e-12) -> None:
    a, b = mine.model, theirs.model
    for w, v in zip(a.net.weights + a.net.biases, b.net.weights + b.net.biases, strict=True):
        assert torch.allclose(w, v, rtol=0, atol=tolerance), (w - v).abs().max()
    for w, v in zip(a.net.alive, b.net.alive, strict=True):
        assert torch.equal(w, v)
    assert (a.epoch, a.cursor, a.acc.count) == (b.epoch, b.cursor, b.acc.count)
    assert abs(a.train_loss - b.train_loss) <= tolerance
    assert abs(a.test_loss - b.test_loss) <= tolerance


@pytest.mark.parametrize(
    "options", CONFIGS, ids=lambda o: ",".join(f"{k}={v}" for k, v in o.items()) or "default"
)
def test_the_kernel_trains_as_the_torch_engine(options: dict[str, object]) -> None:
    mine, theirs = pair(options)
    results = mine.model.train(50, kernel=True)
    expected = theirs.model.train(50)
    assert mine.model.bound is not None  # the kernel trained it
    assert [r.epoch for r in results] == [r.epoch for r in expected] == list(range(1, 51))
    for r, e in zip(results, expected, strict=True):
        assert abs(r.train_loss - e.train_loss) <= 1e-12
        assert abs(r.test_loss - e.test_loss) <= 1e-12
    assert_same(mine, theirs)
