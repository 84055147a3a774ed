"""GAN and autoencoder sessions: what a config change keeps, a GAN's stages alone, your own
points, and a stored session that goes on exactly as the original (sessions/checkpoint.py);
a tampered generative row is refused with a message."""

from __future__ import annotations

import base64
import json
from dataclasses import replace
from typing import Any

import numpy as np
import pytest
import torch

from server.config import Settings
from server.engine.kinds.autoencoder import Autoencoder
from server.engine.kinds.gan import Gan
from server.errors import Conflict
from server.protocol.rest import Config, ConfigPatch, Point
from server.sessions import edits
from server.sessions.checkpoint import Refused, capture, restore
from server.sessions.session import Session
from server.sessions.state import State

CPU = torch.device("cpu")
SETTINGS = Settings()


def session(config: dict[str, Any]) -> Session:
    return Session("s" * 22, Config.model_validate(config), SETTINGS, CPU)


def flats(s: Session) -> list[torch.Tensor]:
    assert isinstance(s.model, (Gan, Autoencoder))
    return [net.flat.clone() for net in s.model.nets.values()]


def same(a: list[torch.Tensor], b: list[torch.Tensor]) -> bool:
    return all(torch.equal(x, y) for x, y in zip(a, b, strict=True))


def test_a_kind_without_its_settings_gets_the_defaults() -> None:
    s = session({"kind": "gan"})
    assert s.config.gan is not None and s.config.gan.source == "ring"
    assert isinstance(s.model, Gan) and len(s.model.real) == 500


def test_rates_and_steps_keep_the_nets_other_fields_rebuild_them() -> None:
    s = session({"kind": "gan", "seed": 3})
    s.train(5)
    before, version = flats(s), s.data_version
    s.apply_config(ConfigPatch.model_validate({"gan": {"d_learning_rate": 0.01, "g_steps": 2}}))
    assert s.model.epoch == 5 and same(flats(s), before)
    assert s.config.gan is not None and s.config.gan.g_steps == 2
    assert s.config.gan.d_steps == 2  # the patch changed only what it named
    s.apply_config(ConfigPatch.model_validate({"learning_rate": 0.3}))  # an MLP field
    assert s.model.epoch == 5 and same(flats(s), before)
    s.apply_config(ConfigPatch.model_validate({"gan": {"g_hidden": [8]}}))
    assert s.model.epoch == 0 and s.data_version == version
    assert isinstance(s.model, Gan) and s.model.nets["g"].sizes == [2, 8, 2]
    s.apply_config(ConfigPatch.model_validate({"gan": {"source": "line"}}))
    assert s.data_version == version + 1
    s.apply_config(ConfigPatch.model_validate({"dataset": "xor"}))  # not the GAN's points
    assert s.data_version == version + 1
    s.apply_config(ConfigPatch.model_validate({"noise": 30}))  # the line drawn wider
    assert s.data_version == version + 2


def test_the_kind_switches_and_back() -> None:
    s = session({})
    s.apply_config(ConfigPatch.model_validate({"kind": "autoencoder", "dataset": "moons"}))
    assert isinstance(s.model, Autoencoder) and len(s.model.train_x) == 250
    s.apply_config(ConfigPatch.model_validate({"kind": "mlp"}))
    assert s.mlp.net.sizes == [2, 4, 2, 1]
    assert s.config.autoencoder is not None  # kept for the next time


def test_a_gans_stages_step_alone_and_an_autoencoder_has_none() -> None:
    s = session({"kind": "gan"})
    s.step_part("d")
    s.step_part("g")
    assert isinstance(s.model, Gan) and s.model.updates == {"d": 2, "g": 1}
    assert s.state == State.PAUSED and s.model.epoch == 0
    ae = session({"kind": "autoencoder"})
    with pytest.raises(Conflict, match="only a gan session"):
        ae.step_part("d")
    with pytest.raises(Conflict, match="mlp sessions"):
        ae.mlp  # noqa: B018


def test_drawn_points_are_what_the_gan_learns() -> None:
    s = session({"kind": "gan"})
    edits.clear_points(s)
    for x in (-2.0, 0.0, 2.0):
        edits.add_point(s, Point(x=x, y=1.0, label=1))
    assert isinstance(s.model, Gan)
    assert s.custom_data and torch.allclose(
        s.model.real[:, 1] * 6, torch.ones(3, dtype=torch.float64)
    )
    s.train(3)
    assert s.model.epoch == 3


CASES = {
    "gan": {"kind": "gan", "seed": 4, "gan": {"noise_dim": 1, "noise": "gaussian"}},
    "gan sgd, least squares": {"kind": "gan",
                               "gan": {"g_optimizer": "sgd", "loss": "least_squares"}},
    "autoencoder, denoising": {"kind": "autoencoder", "dataset": "moons",
                               "autoencoder": {"input_noise": 0.3, "bottleneck": 2}},
}  # fmt: skip


@pytest.mark.parametrize("config", CASES.values(), ids=CASES.keys())
def test_a_restored_session_goes_on_exactly_as_the_original(config: dict[str, Any]) -> None:
    original = session(config)
    original.train(27)
    original.train(1, stop=lambda: True)  # stop mid-epoch (mid-iteration): the place too
    assert original.model.cursor > 0
    stored = capture(original)
    assert stored is not None
    copy = restore(stored, SETTINGS, CPU)
    assert copy.model.epoch == original.model.epoch and copy.state == original.state
    assert copy.model.cursor == original.model.cursor
    assert copy.model.train_loss == original.model.train_loss
    assert same(flats(copy), flats(original))
    assert copy.history.as_dict() == original.history.as_dict()
    original.train(13)
    copy.train(13)
    assert same(flats(copy), flats(original))
    assert copy.model.train_loss == original.model.train_loss
    if isinstance(original.model, Gan):
        assert isinstance(copy.model, Gan)
        assert copy.model.divergences == original.model.divergences
        assert copy.model.updates == original.model.updates


def test_own_points_survive_a_restore() -> None:
    original = session({"kind": "autoencoder"})
    edits.clear_points(original)
    for i in range(12):
        edits.add_point(original, Point(x=i / 2 - 3, y=(i % 3) - 1.0, label=1))
    original.train(4)
    stored = capture(original)
    assert stored is not None
    copy = restore(stored, SETTINGS, CPU)
    assert copy.custom_data
    assert np.array_equal(copy.model.split.train_x, original.model.split.train_x)


def _tampered(stored: Any, change: Any) -> Any:
    body = json.loads(stored.body)
    change(body["generative"])
    return replace(stored, body=json.dumps(body).encode())


def test_a_tampered_generative_row_is_refused_naming_what() -> None:
    s = session({"kind": "autoencoder"})
    s.train(2)
    stored = capture(s)
    assert stored is not None

    def short(g: dict[str, Any]) -> None:
        raw = base64.b64decode(g["tensors"])[:-8]
        g["tensors"] = base64.b64encode(raw).decode()

    def shuffled(g: dict[str, Any]) -> None:
        g["order"] = [0] * len(g["order"])

    def bad_steps(g: dict[str, Any]) -> None:
        g["config"]["autoencoder"]["batch_size"] = 0

    def huge(g: dict[str, Any]) -> None:
        values = np.frombuffer(base64.b64decode(g["tensors"]), dtype=np.float64).copy()
        values[0] = 1e300
        g["tensors"] = base64.b64encode(values.tobytes()).decode()

    def backwards(g: dict[str, Any]) -> None:
        values = np.frombuffer(base64.b64decode(g["tensors"]), dtype=np.float64).copy()
        values[-1] = -3.0  # the decoder's adam step count
        g["tensors"] = base64.b64encode(values.tobytes()).decode()

    for change, words in ((short, "generative.tensors"), (shuffled, "generative.order"),
                          (bad_steps, "generative.config.autoencoder.batch_size"),
                          (huge, "numbers beyond"), (backwards, "step count")):  # fmt: skip
        with pytest.raises(Refused, match=words):
            restore(_tampered(stored, change), SETTINGS, CPU)


@pytest.mark.parametrize("kind", ["gan", "autoencoder"])
def test_training_goes_on_after_points_change_and_the_optimizer_changes(kind: str) -> None:
    s = session({"kind": kind, "dataset": "moons"})
    s.train(3)
    edits.add_point(s, Point(x=1.0, y=1.0, label=1))
    s.train(3)
    optimizer = "g_optimizer" if kind == "gan" else "optimizer"
    s.apply_config(ConfigPatch.model_validate({kind: {optimizer: "sgd"}}))
    s.train(3)
    s.regenerate()
    s.train(2)
    assert s.state != State.FAILED, s.message
    assert s.model.epoch == 11 and np.isfinite(s.model.train_loss)


def test_switching_the_kind_keeps_your_own_points() -> None:
    s = session({})
    edits.clear_points(s)
    for i in range(10):
        edits.add_point(s, Point(x=i - 5.0, y=1.0, label=1 if i % 2 else -1))
    drawn = s.model.split.train_x.copy()
    for kind in ("autoencoder", "gan", "mlp"):
        s.apply_config(ConfigPatch.model_validate({"kind": kind}))
        assert s.custom_data and np.array_equal(s.model.split.train_x, drawn), kind
    assert list(s.model.split.train_y) == [1 if i % 2 else -1 for i in range(10)]
