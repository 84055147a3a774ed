"""Networks out and back in: a runnable PyTorch script, a weights-only state_dict and the
JSON model file that POST …/import reads.

Pure functions of the engine's objects and the schemas: no web imports, no sessions.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch

from server.engine.features import FEATURES
from server.engine.kinds.mlp import Model
from server.engine.network import (
    ACTIVATIONS,
    OUTPUT_ACTIVATIONS,
    Network,
    check_layers,
    set_layers,
)
from server.engine.optimizers import OPTIMIZERS, OptState
from server.engine.training import Accumulator
from server.errors import InvalidInput
from server.protocol.rest import Layer, Params, TrainingState

MODEL_FORMAT = "neural-playground-model"
MODEL_VERSION = 1
# optimizer slots that cannot be negative, and why (adam divides by the square root of v)
NONNEGATIVE_SLOTS = {"v": "adam's v is a running mean of squared gradients"}
# carried gradients and optimizer state beyond this are no training's: an adam m of 1e308
# sent a bias to infinity at the next update while the loss stayed finite
MAX_STATE = 1e30


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
    config: dict[str, Any],
    params: dict[str, Any],
    epoch: int,
    custom_data: bool,
    state: dict[str, Any] | None = None,
    stream: dict[str, Any] | None = None,
    history: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The JSON model file: everything POST …/import needs to go on training."""
    return {
        "stream": stream,
        "history": history,
        "format": MODEL_FORMAT,
        "version": MODEL_VERSION,
        "config": config,
        "params": params,
        "epoch": epoch,
        "custom_data": custom_data,
        "state": state,
    }


def layers_json(
    weights: Sequence[torch.Tensor], biases: Sequence[torch.Tensor]
) -> list[dict[str, Any]]:
    """Per layer ``{"weight": [out][in], "bias": [out]}``: schemas.Layer, as params are sent."""
    return [
        {"weight": w.cpu().tolist(), "bias": b.cpu().tolist()}
        for w, b in zip(weights, biases, strict=True)
    ]


def checked_layers(
    net: Network, layers: list[Layer], field: str
) -> list[tuple[list[list[float]], list[float]]]:
    """``layers`` as (weight, bias) pairs, if they fit ``net``'s shapes and are finite;
    else a 422 on ``field`` (``field.i.weight.r.c`` for a value that is not finite)."""
    pairs = [(layer.weight, layer.bias) for layer in layers]
    problem = check_layers(net, pairs)
    if problem:
        raise InvalidInput(problem, field)
    check_finite(pairs, field)
    return pairs


def check_finite(pairs: Sequence[tuple[Sequence[Any], Sequence[Any]]], field: str) -> None:
    """A 422 on ``field.i.weight.r.c`` (or ``field.i.bias.r``) for the first value of the
    (weight, bias) pairs, shapes already checked, that is NaN or infinite."""
    found = _first(pairs, lambda values: ~np.isfinite(values))
    if found:
        raise InvalidInput(f"must be a finite number, got {found[1]}", f"{field}.{found[0]}")


def _first(
    pairs: Sequence[tuple[Sequence[Any], Sequence[Any]]], bad: Callable[[np.ndarray], np.ndarray]
) -> tuple[str, float] | None:
    """("i.weight.r.c" or "i.bias.r", value) of the first value of the (weight, bias) pairs
    that ``bad`` marks, or None."""
    for index, (weight, bias) in enumerate(pairs):
        for part, values in (("weight", weight), ("bias", bias)):
            array = np.asarray(values, dtype=np.float64)  # (out, in) or (out,)
            marked = np.argwhere(bad(array))
            if len(marked):
                where = ".".join(str(i) for i in marked[0].tolist())
                return f"{index}.{part}.{where}", float(array[tuple(marked[0])])
    return None


def training_state(model: Model) -> dict[str, Any]:
    """The carried gradients and the optimizer's state, as ModelFile.state."""
    count = len(model.net.weights)
    return {
        "carried_points": model.acc.count,
        "carried": layers_json(model.acc.weights, model.acc.biases),
        "steps": int(model.opt.steps.item()),
        "cursor": model.cursor,
        "slots": {name: layers_json(t[:count], t[count:]) for name, t in model.opt.slots.items()},
    }


def load_training_state(model: Model, state: TrainingState) -> None:
    """Set ``model``'s carried gradients and optimizer state from ``state`` (checked first:
    a state that does not fit the network or the optimizer is a 422)."""
    optimizer = model.hyper.optimizer
    wanted = sorted(OPTIMIZERS[optimizer].slots)
    if sorted(state.slots) != wanted:
        names = ", ".join(wanted) or "none"
        raise InvalidInput(f"slots for {optimizer} must be: {names}", "state.slots")

    def tensors(layers: list[Layer], field: str) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
        pairs = checked_layers(model.net, layers, field)
        huge = _first(pairs, lambda values: np.abs(values) > MAX_STATE)
        if huge:  # finite, but one update with it overflows the weights
            raise InvalidInput(f"must be at most {MAX_STATE:g} in size, got {huge[1]:g}",
                               f"{field}.{huge[0]}")  # fmt: skip
        t = [torch.tensor(v, dtype=model.dtype, device=model.device) for p in pairs for v in p]
        return t[0::2], t[1::2]  # weights, biases

    weights, biases = tensors(state.carried, "state.carried")
    slots = {}
    for name, layers in state.slots.items():
        slot_weights, slot_biases = tensors(layers, f"state.slots.{name}")
        negative = _first([(x.weight, x.bias) for x in layers], lambda values: values < 0)
        if name in NONNEGATIVE_SLOTS and negative:
            raise InvalidInput(
                f"must be at least 0 ({NONNEGATIVE_SLOTS[name]}), got {negative[1]}",
                f"state.slots.{name}.{negative[0]}",
            )
        slots[name] = [*slot_weights, *slot_biases]  # weights first, then biases
    points = model.train_y.shape[-1]
    if state.cursor and state.cursor >= points:
        raise InvalidInput(
            f"must be below the {points} training points, got {state.cursor}", "state.cursor"
        )
    model.acc = Accumulator(weights, biases, state.carried_points)
    steps = torch.tensor(float(state.steps), dtype=model.dtype, device=model.device)
    model.opt = OptState(slots, steps)
    model.cursor = state.cursor


def load_params(net: Network, params: Params) -> None:
    """Set every weight, bias and dead link of ``net`` from ``params`` (checked first)."""
    layers = checked_layers(net, params.layers, "params.layers")
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
TORCH_ACTIVATIONS = {n: a.torch_code for n, a in (ACTIVATIONS | OUTPUT_ACTIVATIONS).items()}
FEATURE_CODE = {n: f.code for n, f in FEATURES.items()}  # on (N,) tensors x and y

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
