"""A GAN's or an autoencoder's nets as PyTorch: a state_dict file of both nets (each an
``nn.Sequential``: Linear, activation, ..., Linear) and a runnable script that rebuilds
them with their weights inline and draws samples (the GAN) or reconstructs points (the
autoencoder) on the playground's plane."""

from __future__ import annotations

import io
from collections import OrderedDict
from typing import Any

import torch

from server.engine import dense
from server.engine.kinds.generative import SCALE

TORCH_CODE = {"tanh": "nn.Tanh()", "relu": "nn.ReLU()", "sigmoid": "nn.Sigmoid()",
              "linear": "nn.Identity()"}  # fmt: skip
NAMES = {"g": "generator", "d": "discriminator", "encoder": "encoder", "decoder": "decoder"}


def net_state(net: dense.Net) -> OrderedDict[str, torch.Tensor]:
    """One net's state_dict as ``nn.Sequential`` names it: Linear layers at even indices,
    each followed by its activation (the last, linear, by none)."""
    out: OrderedDict[str, torch.Tensor] = OrderedDict()
    for layer, (w, b) in enumerate(zip(net.weights, net.biases, strict=True)):
        out[f"{2 * layer}.weight"] = w[0].detach().to("cpu", torch.float32).clone()
        out[f"{2 * layer}.bias"] = b[0].detach().to("cpu", torch.float32).clone()
    return out


def state_dict(model: Any) -> dict[str, OrderedDict[str, torch.Tensor]]:
    """{"generator": …, "discriminator": …} or {"encoder": …, "decoder": …}."""
    return {NAMES[name]: net_state(net) for name, net in model.nets.items()}


def state_dict_bytes(model: Any) -> bytes:
    """As torch.save writes it (loads with torch.load(weights_only=True))."""
    buffer = io.BytesIO()
    torch.save(state_dict(model), buffer)
    return buffer.getvalue()


def _sequential(net: dense.Net) -> str:
    parts = []
    for layer, name in enumerate(net.activations):
        parts.append(f"nn.Linear({net.sizes[layer]}, {net.sizes[layer + 1]})")
        if layer + 1 < len(net.activations):
            parts.append(TORCH_CODE[name])
    return "nn.Sequential(" + ", ".join(parts) + ")"


def _weights(net: dense.Net) -> str:
    return "".join(f"    {k!r}: {_nested(v.tolist())},\n" for k, v in net_state(net).items())


def _nested(values: Any) -> str:
    if isinstance(values, list):
        return "[" + ", ".join(_nested(v) for v in values) + "]"
    return repr(float(values))


GAN_SCRIPT = '''"""A GAN exported from Neural Playground at iteration {epoch}.

G maps {noise_dim}-D {noise} noise to a point; D maps a point to a logit (sigmoid: the
probability it calls the point real). Both work in net units: the playground's plane
is {scale:g} times larger (a point on the plane is G(z) * {scale:g}).

Run: python gan.py  (prints ten generated points on the plane)
"""

import torch
from torch import nn

SCALE = {scale!r}
generator = {g}
discriminator = {d}

G_WEIGHTS = {{
{g_weights}}}
D_WEIGHTS = {{
{d_weights}}}
generator.load_state_dict({{k: torch.tensor(v) for k, v in G_WEIGHTS.items()}})
discriminator.load_state_dict({{k: torch.tensor(v) for k, v in D_WEIGHTS.items()}})


def noise(count):
    if {gaussian!r}:
        return torch.randn(count, {noise_dim})
    return torch.rand(count, {noise_dim}) * 2 - 1


if __name__ == "__main__":
    torch.manual_seed(0)
    with torch.no_grad():
        points = generator(noise(10)) * SCALE
        real = torch.sigmoid(discriminator(points / SCALE)).squeeze(1)
    for (x, y), p in zip(points.tolist(), real.tolist()):
        print(f"({{x:+.3f}}, {{y:+.3f}})  D says real with p = {{p:.3f}}")
'''

AUTOENCODER_SCRIPT = '''"""An autoencoder exported from Neural Playground at epoch {epoch}.

The encoder maps a point to a code of {bottleneck} number(s); the decoder maps a code
back to a point. Both work in net units: the playground's plane is {scale:g} times larger.

Run: python autoencoder.py  (encodes and decodes a few points of the plane)
"""

import torch
from torch import nn

SCALE = {scale!r}
encoder = {e}
decoder = {d}

E_WEIGHTS = {{
{e_weights}}}
D_WEIGHTS = {{
{d_weights}}}
encoder.load_state_dict({{k: torch.tensor(v) for k, v in E_WEIGHTS.items()}})
decoder.load_state_dict({{k: torch.tensor(v) for k, v in D_WEIGHTS.items()}})

if __name__ == "__main__":
    points = torch.tensor([[-3.0, 1.0], [0.0, 0.0], [2.0, -2.0]])
    with torch.no_grad():
        codes = encoder(points / SCALE)
        back = decoder(codes) * SCALE
    for p, c, b in zip(points.tolist(), codes.tolist(), back.tolist()):
        print(p, "-> code", [round(v, 4) for v in c], "->", [round(v, 3) for v in b])
'''


def script(model: Any, kind: str, epoch: int) -> str:
    """The runnable script of a GAN (``kind`` "gan") or an autoencoder."""
    if kind == "gan":
        o = model.options
        g, d = model.nets["g"], model.nets["d"]
        return GAN_SCRIPT.format(epoch=epoch, noise_dim=o["noise_dim"], noise=o["noise"],
                                 scale=SCALE, g=_sequential(g), d=_sequential(d),
                                 g_weights=_weights(g), d_weights=_weights(d),
                                 gaussian=o["noise"] == "gaussian")  # fmt: skip
    e, d = model.nets["encoder"], model.nets["decoder"]
    return AUTOENCODER_SCRIPT.format(epoch=epoch, bottleneck=model.options["bottleneck"],
                                     scale=SCALE, e=_sequential(e), d=_sequential(d),
                                     e_weights=_weights(e), d_weights=_weights(d))  # fmt: skip
