"""Moving points and networks in and out: points as CSV, point edits on a Split, and the
network as a runnable PyTorch script, a weights-only state_dict and a JSON model file.

Pure functions of the engine's objects and the schemas: no web imports, no sessions.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from .engine.datasets import Split
from .engine.features import FEATURES
from .engine.network import Network, check_layers, set_layers
from .errors import InvalidInput
from .schemas import Data, Params

CSV_COLUMNS = ("x", "y", "label", "split")
SPLITS = ("train", "test")
MAX_CSV_BYTES = 1_000_000  # an uploaded CSV file, at most (10,000 points take about 400 KB)
REMOVE_RADIUS = 0.5  # remove_point takes the nearest point at most this far away
MODEL_FORMAT = "neural-playground-model"
MODEL_VERSION = 1


# -- labels ---------------------------------------------------------------------------------
def classes_of(config: Any) -> int:
    """Number of classes of a config (2 unless the config has more)."""
    return int(getattr(config, "classes", 2) or 2)


def labels_error(labels: np.ndarray, problem: str, classes: int = 2) -> tuple[int, str] | None:
    """(index, why) of the first label that does not fit the problem, or None.

    Regression: any finite number. Two classes: 1 or -1. More: a class number 0..k-1."""
    finite = np.isfinite(labels)
    if problem == "regression":
        ok = finite
        why = "must be a finite number"
    elif classes > 2:
        ok = finite & (labels == np.round(labels)) & (labels >= 0) & (labels < classes)
        why = f"must be a class number 0..{classes - 1} ({classes} classes)"
    else:
        ok = np.isin(labels, (-1.0, 1.0))
        why = "must be 1 or -1 (two-class classification)"
    bad = np.flatnonzero(~ok)
    if not len(bad):
        return None
    return int(bad[0]), f"{why}, got {_number(float(labels[bad[0]]))}"


# -- CSV ------------------------------------------------------------------------------------
def parse_csv(text: str, problem: str, classes: int, max_points: int) -> Data:
    """Points from CSV text with a header naming x, y, label and split (in any order).

    Errors name the row as a spreadsheet numbers it (the header is row 1) and the column;
    their field is ``"row N.column"``."""
    rows = csv.reader(io.StringIO(text))
    header = next(rows, None)
    if header is None or not any(cell.strip() for cell in header):
        raise InvalidInput(
            "the file is empty: the first row must name the columns x, y, label, split", "row 1"
        )
    names = [cell.strip().lower() for cell in header]
    for name, cell in zip(names, header, strict=True):
        if name not in CSV_COLUMNS:
            raise InvalidInput(
                f"row 1: unknown column {cell.strip()!r}; the columns are x, y, label, split",
                f"row 1.{cell.strip()}",
            )
        if names.count(name) > 1:
            raise InvalidInput(f"row 1: column {name!r} appears twice", f"row 1.{name}")
    for name in CSV_COLUMNS:
        if name not in names:
            raise InvalidInput(
                f"row 1: column {name!r} is missing; the columns are x, y, label, split",
                f"row 1.{name}",
            )
    parts: dict[str, list[tuple[float, float, float]]] = {"train": [], "test": []}
    count = 0
    for row, cells in enumerate(rows, start=2):
        if not any(cell.strip() for cell in cells):
            continue  # blank lines are allowed
        values = dict(zip(names, cells, strict=False))
        if len(cells) < len(names):
            name = names[len(cells)]
            raise InvalidInput(f"row {row}, column {name}: no value", f"row {row}.{name}")
        if len(cells) > len(names):
            raise InvalidInput(
                f"row {row}: {len(cells)} values but {len(names)} columns", f"row {row}"
            )
        count += 1
        if count > max_points:
            raise InvalidInput(
                f"row {row}: too many points; at most {max_points} (the server's max_points)",
                f"row {row}",
            )
        x, y, label = (_cell_number(values[name], row, name) for name in ("x", "y", "label"))
        wrong = labels_error(np.array([label]), problem, classes)
        if wrong:
            raise InvalidInput(f"row {row}, column label: {wrong[1]}", f"row {row}.label")
        split = values["split"].strip().lower()
        if split not in SPLITS:
            raise InvalidInput(
                f"row {row}, column split: must be train or test, got {values['split']!r}",
                f"row {row}.split",
            )
        parts[split].append((x, y, label))
    if not parts["train"]:
        raise InvalidInput("no training rows: at least one row needs split 'train'", "split")
    return Data(train=parts["train"], test=parts["test"])


def _cell_number(cell: str, row: int, column: str) -> float:
    try:
        value = float(cell.strip())
    except ValueError:
        raise InvalidInput(
            f"row {row}, column {column}: not a number: {cell!r}", f"row {row}.{column}"
        ) from None
    if not math.isfinite(value):
        raise InvalidInput(
            f"row {row}, column {column}: must be a finite number, got {cell.strip()!r}",
            f"row {row}.{column}",
        )
    return value


def _number(value: float) -> str:
    """Shortest text that reads back as exactly ``value``; whole numbers without '.0'."""
    text = repr(float(value))
    return text[:-2] if text.endswith(".0") else text


def format_csv(split: Split) -> str:
    """The points as CSV (x, y, label, split): training points first, in training order."""
    out = io.StringIO()
    out.write(",".join(CSV_COLUMNS) + "\n")
    for name, xs, ys in (
        ("train", split.train_x, split.train_y),
        ("test", split.test_x, split.test_y),
    ):
        for (x, y), label in zip(np.asarray(xs).reshape(-1, 2), ys, strict=True):
            out.write(f"{_number(x)},{_number(y)},{_number(label)},{name}\n")
    return out.getvalue()


# -- point edits ----------------------------------------------------------------------------
def empty_split() -> Split:
    """No points at all."""
    return Split(np.empty((0, 2)), np.empty(0), np.empty((0, 2)), np.empty(0))


def with_point(split: Split, x: float, y: float, label: float, part: str) -> Split:
    """``split`` with (x, y, label) appended to its training or test points."""
    assert part in SPLITS
    px, py = (split.train_x, split.train_y) if part == "train" else (split.test_x, split.test_y)
    px = np.concatenate([np.asarray(px, dtype=np.float64).reshape(-1, 2), [[x, y]]])
    py = np.concatenate([np.asarray(py, dtype=np.float64), [label]])
    if part == "train":
        return Split(px, py, split.test_x, split.test_y)
    return Split(split.train_x, split.train_y, px, py)


def without_nearest(split: Split, x: float, y: float, radius: float) -> Split | None:
    """``split`` without the point nearest (x, y), training or test; None if none lies
    within ``radius``."""
    best: tuple[float, str, int] | None = None
    for part, points in (("train", split.train_x), ("test", split.test_x)):
        points = np.asarray(points, dtype=np.float64).reshape(-1, 2)  # (N, 2)
        if not len(points):
            continue
        dist = np.hypot(points[:, 0] - x, points[:, 1] - y)
        index = int(np.argmin(dist))
        if dist[index] <= radius and (best is None or dist[index] < best[0]):
            best = (float(dist[index]), part, index)
    if best is None:
        return None
    _, part, index = best
    if part == "train":
        return Split(
            np.delete(split.train_x, index, 0),
            np.delete(split.train_y, index),
            split.test_x,
            split.test_y,
        )
    return Split(
        split.train_x,
        split.train_y,
        np.delete(split.test_x, index, 0),
        np.delete(split.test_y, index),
    )


# -- model files ----------------------------------------------------------------------------
def state_dict(net: Network) -> dict[str, torch.Tensor]:
    """The weights as the exported script's module names them (layers.0.weight, …), float64."""
    out: dict[str, torch.Tensor] = {}
    for layer, (w, b) in enumerate(zip(net.weights, net.biases, strict=True)):
        out[f"layers.{layer}.weight"] = w.detach().to("cpu", torch.float64).clone()  # (out, in)
        out[f"layers.{layer}.bias"] = b.detach().to("cpu", torch.float64).clone()  # (out,)
    return out


def state_dict_bytes(net: Network) -> bytes:
    """state_dict(net) as torch.save writes it (loads with torch.load(weights_only=True))."""
    buffer = io.BytesIO()
    torch.save(state_dict(net), buffer)
    return buffer.getvalue()


def model_file(
    config: dict[str, Any], params: dict[str, Any], epoch: int, custom_data: bool
) -> dict[str, Any]:
    """The JSON model file: everything POST …/import needs to go on training."""
    return {
        "format": MODEL_FORMAT,
        "version": MODEL_VERSION,
        "config": config,
        "params": params,
        "epoch": epoch,
        "custom_data": custom_data,
    }


def load_params(net: Network, params: Params) -> None:
    """Set every weight, bias and dead link of ``net`` from ``params`` (checked first)."""
    layers = [(layer.weight, layer.bias) for layer in params.layers]
    problem = check_layers(net, layers)
    if problem:
        raise InvalidInput(problem, "params.layers")
    for index, (weight, bias) in enumerate(layers):
        if not all(math.isfinite(v) for v in [*bias, *(v for row in weight for v in row)]):
            raise InvalidInput(
                "weights and biases must be finite numbers", f"params.layers.{index}"
            )
    sizes = net.sizes
    for index, (layer, neuron, source) in enumerate(params.dead):
        if not (
            0 <= layer < len(net.weights)
            and 0 <= neuron < sizes[layer + 1]
            and 0 <= source < sizes[layer]
        ):
            raise InvalidInput(
                f"no link (layer {layer}, neuron {neuron}, input {source}) in this network",
                f"params.dead.{index}",
            )
    set_layers(net, layers)
    for layer, neuron, source in params.dead:
        net.alive[layer][neuron, source] = False


# -- the PyTorch script ---------------------------------------------------------------------
TORCH_ACTIVATIONS = {
    "tanh": "nn.Tanh()",
    "relu": "nn.ReLU()",
    "sigmoid": "nn.Sigmoid()",
    "linear": "nn.Identity()",
    "softmax": "nn.Softmax(dim=-1)",
}
FEATURE_CODE = {  # features.py's definitions, on (N,) tensors x and y
    "x1": "x",
    "x2": "y",
    "x1_squared": "x * x",
    "x2_squared": "y * y",
    "x1_x2": "x * y",
    "sin_x1": "torch.sin(x)",
    "sin_x2": "torch.sin(y)",
}
assert set(FEATURE_CODE) == set(FEATURES)

SCRIPT = '''#!/usr/bin/env python3
"""{title}

    python model.py X Y      prints the network's output at the point (X, Y)

From Python: ``from model import load, inputs; net = load(); net(inputs(x, y))``.
The same weights as a state_dict: ``net.load_state_dict(torch.load("state_dict.pt",
weights_only=True))``. Needs only torch.
"""

from __future__ import annotations

import sys

import torch
from torch import nn

inf, nan = float("inf"), float("nan")  # should a weight not be finite

FEATURES = {features!r}  # the network's inputs, computed from the point (x1, x2)
SIZES = {sizes!r}  # neurons per layer, inputs first
ACTIVATIONS = {activations!r}  # after each Linear layer, the output layer's last
EPOCH = {epoch}


def inputs(x1: float, x2: float) -> torch.Tensor:
    """The point (x1, x2) as a (1, {n_features}) batch of input features."""
    x = torch.tensor([x1], dtype=torch.float64)
    y = torch.tensor([x2], dtype=torch.float64)
    return torch.stack([{feature_code}], dim=1)


def activation(name: str) -> nn.Module:
    return {{{activation_code}}}[name]


class PlaygroundNet(nn.Module):
    """Linear layers of SIZES, each followed by its activation (float64)."""

    def __init__(self) -> None:
        super().__init__()
        self.layers = nn.ModuleList(
            nn.Linear(n_in, n_out, dtype=torch.float64) for n_in, n_out in zip(SIZES, SIZES[1:])
        )
        self.activations = nn.ModuleList(activation(name) for name in ACTIVATIONS)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        """(N, {n_features}) input features -> (N, {n_outputs}) outputs."""
        out = features
        for layer, act in zip(self.layers, self.activations):
            out = act(layer(out))
        return out


# weight [out][in] and bias [out] of each layer, as torch.nn.Linear keeps them
WEIGHTS = {{
{weights}}}


def load() -> PlaygroundNet:
    """The network with its exported weights."""
    net = PlaygroundNet()
    net.load_state_dict({{k: torch.tensor(v, dtype=torch.float64) for k, v in WEIGHTS.items()}})
    return net.eval()


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: python model.py X Y   (a point; the playground shows [-6, 6] x [-6, 6])")
    with torch.no_grad():
        output = load()(inputs(float(sys.argv[1]), float(sys.argv[2])))[0]
    print(" ".join(repr(value) for value in output.tolist()))
'''


def model_script(net: Network, features: Sequence[str], title: str, epoch: int) -> str:
    """A runnable PyTorch script that rebuilds ``net`` with its weights inline."""
    activations = [net.layer_activation(layer) for layer in range(len(net.weights))]
    unknown = [name for name in activations if name not in TORCH_ACTIVATIONS]
    if unknown:
        raise InvalidInput(f"cannot export activation {unknown[0]!r} to PyTorch", "activation")
    weights = "".join(
        f"    {name!r}: {_nested(tensor.tolist())},\n" for name, tensor in state_dict(net).items()
    )
    sizes = net.sizes
    return SCRIPT.format(
        title=title,
        features=list(features),
        sizes=sizes,
        activations=activations,
        epoch=epoch,
        n_features=sizes[0],
        n_outputs=sizes[-1],
        feature_code=", ".join(FEATURE_CODE[name] for name in features),
        activation_code=", ".join(
            f'"{name}": {TORCH_ACTIVATIONS[name]}' for name in dict.fromkeys(activations)
        ),
        weights=weights,
    )


def _nested(values: Any) -> str:
    """A (nested) list of floats as Python source that reads back exactly."""
    if isinstance(values, list):
        return "[" + ", ".join(_nested(v) for v in values) + "]"
    return repr(float(values))
