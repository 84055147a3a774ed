"""points.py and export.py: CSV, point edits, and the exported model files."""

from __future__ import annotations

import importlib.util
import io
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
import torch

from server.engine.data import datasets
from server.engine.features import make_inputs
from server.engine.network import build
from server.errors import InvalidInput
from server.formats.export import load_params, model_script, state_dict, state_dict_bytes
from server.formats.points import (
    empty_split,
    format_csv,
    labels_error,
    parse_csv,
    with_point,
    without_nearest,
)
from server.protocol.rest import Params

HEADER = "x,y,label,split\n"


def rows(split: datasets.Split) -> dict[str, list[tuple[float, float, float]]]:
    """A split's points as (x, y, label) rows, per part."""
    return {
        part: [(x, y, label) for (x, y), label in zip(xs.tolist(), ys.tolist(), strict=True)]
        for part, xs, ys in (
            ("train", split.train_x, split.train_y),
            ("test", split.test_x, split.test_y),
        )
    }


# -- CSV ------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["circle", "spiral", "plane", "multi_gauss"])
def test_csv_round_trip_is_exact(name: str) -> None:
    split = datasets.generate(name, noise=20, train_ratio=30, seed=7)
    problem = datasets.DATASETS[name].problem
    back = parse_csv(format_csv(split), problem, 2, 10_000)
    for a, b in zip(
        (split.train_x, split.train_y, split.test_x, split.test_y),
        (back.train_x, back.train_y, back.test_x, back.test_y),
        strict=True,
    ):
        assert np.array_equal(a, b)  # bit for bit, in order


def test_csv_format() -> None:
    split = datasets.Split(
        np.array([[0.5, -1.0]]), np.array([1.0]), np.array([[2.0, 3.25]]), np.array([-1.0])
    )
    assert format_csv(split) == "x,y,label,split\n0.5,-1,1,train\n2,3.25,-1,test\n"
    assert format_csv(empty_split()) == HEADER


def test_csv_columns_in_any_order_case_space_and_blank_lines() -> None:
    text = " Split ,LABEL,y,x\ntest,1,2,3\n\n train ,-1, 4 ,5\n"
    data = rows(parse_csv(text, "classification", 2, 100))
    assert data["train"] == [(5.0, 4.0, -1.0)]
    assert data["test"] == [(3.0, 2.0, 1.0)]


BAD_FILES = [
    ("", "the file is empty", "row 1"),
    ("x,y,label\n1,2,1\n", "row 1: column 'split' is missing", "row 1.split"),
    ("x,y,label,split,z\n1,2,1,train,0\n", "row 1: unknown column 'z'", "row 1.z"),
    ("1,2,1,train\n", "row 1: unknown column '1'", "row 1.1"),
    ("x,y,x,label,split\n", "row 1: column 'x' appears twice", "row 1.x"),
    (HEADER + "1,2,1,train\nabc,2,1,train\n", "row 3, column x: not a number: 'abc'", "row 3.x"),
    (HEADER + "1,nan,1,train\n", "row 2, column y: must be a finite number", "row 2.y"),
    (HEADER + "1,2,inf,train\n", "row 2, column label: must be a finite number", "row 2.label"),
    (HEADER + "1,2,,train\n", "row 2, column label: not a number", "row 2.label"),
    (HEADER + "1,2,2,train\n", "row 2, column label: must be 1 or -1", "row 2.label"),
    (HEADER + "1,2,1,valid\n", "row 2, column split: must be train or test", "row 2.split"),
    (HEADER + "1,2,1\n", "row 2, column split: no value", "row 2.split"),
    (HEADER + "1,2,1,train,5\n", "row 2: 5 values but 4 columns", "row 2"),
    (HEADER + "1,2,1,train\n\n1,2,0,train\n", "row 4, column label", "row 4.label"),
    (HEADER + "1,2,1,test\n", "no training rows", "split"),
    (HEADER + "1,2,1,train\n" * 3, "row 4: too many points; at most 2", "row 4"),
    # values past the csv module's own field limit (131,072 characters) and short of it
    (HEADER + "1," + "9" * 200_000 + ",1,train\n", "row 2, column y: longer than 100", "row 2.y"),
    (HEADER + "1,2," + "1" * 101 + ",test\n", "row 2, column label: longer", "row 2.label"),
    (HEADER + '1,"2\n' + "3" * 140_000 + '",1,train\n', "row 2, column y: longer", "row 2.y"),
    ("x," + "y" * 101 + ",label,split\n", "row 1, column 2: longer than 100 characters", "row 1.2"),
    # text the csv module cannot read at all: a lone carriage return inside a row
    (HEADER + "1,2,1,train\n1,2\r3,1,train\n", "row 3: not readable as CSV", "row 3"),
]


@pytest.mark.parametrize(("text", "message", "field"), BAD_FILES)
def test_bad_csv_names_row_and_column(text: str, message: str, field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_csv(text, "classification", 2, 2)
    assert message in caught.value.message
    assert caught.value.field == field


def test_labels_by_problem() -> None:
    regression = parse_csv(HEADER + "1,2,0.37,train\n", "regression", 2, 10)
    assert rows(regression)["train"] == [(1, 2, 0.37)]
    assert rows(parse_csv(HEADER + "1,2,2,train\n", "classification", 3, 10))["train"] == [
        (1, 2, 2)
    ]
    for label in ("3", "1.5", "-1"):
        with pytest.raises(
            InvalidInput, match=r"row 2, column label: must be a class number 0\.\.2"
        ):
            parse_csv(HEADER + f"1,2,{label},train\n", "classification", 3, 10)
    assert labels_error(np.array([1.0, -1.0, 0.0]), "classification") == (
        2,
        "must be 1 or -1 (two-class classification), got 0",
    )
    assert labels_error(np.array([5.0, np.nan]), "regression") == (
        1,
        "must be a finite number, got nan",
    )


# -- point edits ----------------------------------------------------------------------------
def test_with_point_appends_to_its_part() -> None:
    split = with_point(empty_split(), 1.0, 2.0, 1.0, "train")
    split = with_point(split, -3.0, 0.5, -1.0, "test")
    split = with_point(split, 4.0, 4.0, -1.0, "train")
    assert split.train_x.tolist() == [[1.0, 2.0], [4.0, 4.0]]
    assert split.train_y.tolist() == [1.0, -1.0]
    assert split.test_x.tolist() == [[-3.0, 0.5]] and split.test_y.tolist() == [-1.0]


def test_without_nearest_takes_the_closest_point_of_either_part() -> None:
    split = datasets.Split(
        np.array([[0.0, 0.0], [1.0, 1.0]]), np.array([1.0, -1.0]),
        np.array([[0.3, 0.0]]), np.array([1.0]),
    )  # fmt: skip
    after = without_nearest(split, 0.25, 0.0, 0.5)
    assert after is not None
    assert after.test_y.shape == (0,) and after.test_x.shape == (0, 2)
    assert after.train_x.tolist() == [[0.0, 0.0], [1.0, 1.0]]
    after = without_nearest(split, 0.9, 1.0, 0.5)
    assert after is not None and after.train_x.tolist() == [[0.0, 0.0]]
    assert without_nearest(split, 3.0, 3.0, 0.5) is None
    assert without_nearest(empty_split(), 0.0, 0.0, 0.5) is None


# -- model files ----------------------------------------------------------------------------
def net_for(activation: str, output: str, sizes: list[int], layer_activations: list | None = None):
    net = build(sizes, activation, output, torch.Generator().manual_seed(3))
    net.layer_activations = list(layer_activations or [])
    for b in net.biases:
        b.uniform_(-0.5, 0.5, generator=torch.Generator().manual_seed(4))
    return net


def load_script(text: str, path: Path) -> ModuleType:
    path.write_text(text)
    spec = importlib.util.spec_from_file_location(f"exported_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


FEATURES = ["x1", "x2", "x1_squared", "x2_squared", "x1_x2", "sin_x1", "sin_x2"]


@pytest.mark.parametrize(
    ("activation", "output", "sizes", "layers"),
    [
        ("tanh", "tanh", [7, 4, 2, 1], None),
        ("relu", "linear", [7, 3, 1], None),
        ("sigmoid", "sigmoid", [7, 5, 4, 1], ["relu", None]),
        ("linear", "softmax", [7, 3, 3], None),
        ("tanh", "tanh", [7, 1], None),
    ],
)
def test_script_module_computes_what_the_engine_does(
    tmp_path: Path, activation: str, output: str, sizes: list[int], layers: list | None
) -> None:
    net = net_for(activation, output, sizes, layers)
    module = load_script(model_script(net, FEATURES, "test", 12), tmp_path / "m.py")
    model = module.load()
    assert module.EPOCH == 12 and list(module.SIZES) == list(sizes)
    for x, y in [(0.5, -2.0), (-6.0, 6.0), (3.3, 1.1)]:
        expected = net.forward(make_inputs(torch.tensor([[x, y]], dtype=torch.float64), FEATURES))[
            -1
        ][1]
        with torch.no_grad():
            got = model(module.inputs(x, y))
        assert torch.allclose(got, expected, rtol=0, atol=1e-12)


def test_script_runs_and_prints_the_output(tmp_path: Path) -> None:
    net = net_for("relu", "tanh", [3, 4, 1])
    features = ["x1", "x2", "sin_x2"]
    path = tmp_path / "model.py"
    path.write_text(model_script(net, features, "test", 0))
    run = subprocess.run(
        [sys.executable, str(path), "1.5", "-2.25"], capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stderr
    expected = float(
        net.predict(make_inputs(torch.tensor([[1.5, -2.25]], dtype=torch.float64), features))[0]
    )
    assert abs(float(run.stdout) - expected) < 1e-12
    usage = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, timeout=120)
    assert usage.returncode == 1 and "usage: python model.py X Y" in usage.stderr


def test_state_dict_loads_weights_only_into_the_scripts_module(tmp_path: Path) -> None:
    net = net_for("tanh", "tanh", [2, 4, 2, 1]).to("cpu", torch.float32)
    loaded = torch.load(io.BytesIO(state_dict_bytes(net)), weights_only=True)
    assert list(loaded) == [f"layers.{i}.{k}" for i in range(3) for k in ("weight", "bias")]
    assert all(t.dtype == torch.float64 for t in loaded.values())
    module = load_script(model_script(net, ["x1", "x2"], "t", 0), tmp_path / "m.py")
    fresh = module.PlaygroundNet()
    fresh.load_state_dict(loaded)  # strict: the same keys and shapes
    for key, value in fresh.state_dict().items():
        assert torch.equal(value, state_dict(net)[key])


def test_unknown_activation_is_refused() -> None:
    net = net_for("tanh", "tanh", [2, 1])
    net.output_activation = "gelu"
    with pytest.raises(InvalidInput, match="cannot export activation 'gelu'"):
        model_script(net, ["x1", "x2"], "t", 0)


def test_load_params_checks_shapes_values_and_dead_links() -> None:
    net = net_for("tanh", "tanh", [2, 2, 1])
    good = {
        "layers": [{"weight": [[1, 2], [3, 4]], "bias": [0, 0]}, {"weight": [[5, 6]], "bias": [7]}]
    }
    load_params(net, Params.model_validate({**good, "dead": [[0, 1, 0]]}))
    assert net.weights[0].tolist() == [[1, 2], [3, 4]] and net.biases[1].tolist() == [7]
    assert net.dead_links() == [(0, 1, 0)]
    cases = [
        ({"layers": good["layers"][:1]}, "expected 2 layers, got 1", "params.layers"),
        (
            {"layers": [good["layers"][0], {"weight": [[5, 6, 7]], "bias": [7]}]},
            "layers[1].weight must be 1x2",
            "params.layers",
        ),
        (
            {"layers": [good["layers"][0], {"weight": [[5, float("nan")]], "bias": [7]}]},
            "must be a finite number, got nan",
            "params.layers.1.weight.0.1",
        ),
        ({**good, "dead": [[1, 0, 2]]}, "no link (layer 1, neuron 0, input 2)", "params.dead.0"),
    ]
    for body, message, field in cases:
        with pytest.raises(InvalidInput) as caught:
            load_params(net, Params.model_validate(body))
        assert message in caught.value.message and caught.value.field == field
