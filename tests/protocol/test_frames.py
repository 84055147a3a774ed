"""The frame header names the model kind at byte 37 (the former always-zero flags2)."""

from __future__ import annotations

import struct

import pytest
import torch

from server.engine.data import datasets
from server.engine.kinds.mlp import Model
from server.engine.kinds.registry import KINDS
from server.protocol.frames import HEADER, KIND_OFFSET, VERSION, View, encode


def _model() -> Model:
    return Model.from_options(
        {"hidden": [3], "features": ["x1", "x2"]},
        datasets.generate("circle", 0, 50, 0),
        torch.Generator().manual_seed(0),
    )


def _frame(model: Model, **kw: object) -> bytearray:
    snap = model.snapshot()
    return encode(
        net=snap.net,
        features=snap.features,
        state_code=0,
        epoch=snap.epoch,
        rate=0.0,
        train_loss=snap.train_loss,
        test_loss=snap.test_loss,
        view=View(grid=10, maps=False),
        **kw,  # type: ignore[arg-type]
    )


def test_an_mlp_frame_carries_kind_0_and_stays_version_2() -> None:
    model = _model()
    frame = _frame(model, kind=model.snapshot().kind)
    assert KINDS["mlp"].code == model.snapshot().kind == 0
    assert frame[0] == VERSION == 2
    assert frame[KIND_OFFSET] == 0
    fields = HEADER.unpack_from(frame)
    assert fields[12] == 0  # the kind, where flags2 was: a version-2 reader sees no change
    assert _frame(model) == frame  # kind defaults to the MLP's


def test_the_kind_byte_is_byte_37_of_the_header() -> None:
    frame = _frame(_model(), kind=3)
    assert frame[KIND_OFFSET] == 3 and KIND_OFFSET == 37
    assert struct.calcsize("<BBBBHHIfddIB") == KIND_OFFSET  # right after the classes byte
    assert frame[36] == 0 and frame[38:40] == b"\0\0"  # classes (one output), reserved


def test_the_bench_decoder_reads_the_kind_byte() -> None:
    from bench.stream import decode

    model = _model()
    assert decode(bytes(_frame(model)))[0] == model.epoch
    with pytest.raises(ValueError, match="kind 3"):
        decode(bytes(_frame(model, kind=3)))
