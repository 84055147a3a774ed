"""The settings of the generative kinds: a config's ``gan`` and ``autoencoder`` objects
(engine/kinds/gan.py, engine/kinds/autoencoder.py), each field with its bounds, and the
patches that change some of them."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from server.protocol.base import Strict

ActivationName = Literal["tanh", "relu", "sigmoid", "linear"]
NetOptimizer = Literal["sgd", "adam"]
GanLoss = Literal["minimax", "non_saturating", "least_squares"]
NoiseKind = Literal["uniform", "gaussian"]
# where the points come from: one of GAN Lab's distributions, or the config's dataset
# (its points, their labels only colour them); a session's own points replace either
Source = Literal["ring", "line", "two_gaussians", "three_blobs", "dataset"]
SOURCE_HELP = ("ring, line, two_gaussians, three_blobs (GAN Lab's), or dataset: the config's "
               "dataset, noise and train_ratio")  # fmt: skip
MAX_NET_LAYERS, MAX_NET_NEURONS = 6, 16
Layers = Annotated[
    list[Annotated[int, Field(ge=1, le=MAX_NET_NEURONS)]],
    Field(max_length=MAX_NET_LAYERS, description="neurons per hidden layer: 0-6 layers of 1-16"),
]
Rate = Annotated[float, Field(gt=0, le=10)]
Batch = Annotated[int, Field(ge=1, le=512)]
Steps = Annotated[int, Field(ge=0, le=10, description="updates per iteration, 0-10")]
Spread = Annotated[float, Field(ge=0, le=3, description="plane units (the plane is ±6)")]


class GanOptions(Strict):
    """A GAN: generator G (noise → point) and discriminator D (point → real or not)."""

    source: Source = Field("ring", description=SOURCE_HELP)
    noise_dim: Literal[1, 2] = Field(2, description="G's input: 1-D or 2-D noise")
    noise: NoiseKind = Field("uniform", description="uniform in [-1, 1] or standard normal")
    g_hidden: Layers = Field(default_factory=lambda: [16, 16])
    g_activation: ActivationName = "relu"
    g_optimizer: NetOptimizer = "adam"
    g_learning_rate: Rate = 0.003
    d_hidden: Layers = Field(default_factory=lambda: [16, 16])
    d_activation: ActivationName = "relu"
    d_optimizer: NetOptimizer = "adam"
    d_learning_rate: Rate = 0.003
    batch_size: Batch = Field(128, description="real and generated points per update")
    d_steps: Steps = 1
    g_steps: Steps = 1
    loss: GanLoss = Field(
        "non_saturating",
        description="minimax: G minimises log(1 − D(G(z))); non_saturating: −log D(G(z)); "
        "least_squares: LSGAN's squared errors (no sigmoid)",
    )


class AutoencoderOptions(Strict):
    """An autoencoder: encoder (point → code of 1 or 2 numbers) and decoder (back)."""

    source: Source = Field("dataset", description=SOURCE_HELP)
    encoder: Layers = Field(default_factory=lambda: [16, 16])
    encoder_activation: ActivationName = "tanh"
    decoder: Layers = Field(default_factory=lambda: [16, 16])
    decoder_activation: ActivationName = "tanh"
    bottleneck: Literal[1, 2] = Field(1, description="numbers in the code")
    optimizer: NetOptimizer = "adam"
    learning_rate: Rate = 0.01
    batch_size: Batch = 25
    input_noise: Spread = Field(0.0, description="denoising: the spread of the noise added to "
                                "each training input, plane units (0: off)")  # fmt: skip


class GanPatch(Strict):
    """Any subset of GanOptions."""

    source: Source | None = None
    noise_dim: Literal[1, 2] | None = None
    noise: NoiseKind | None = None
    g_hidden: Layers | None = None
    g_activation: ActivationName | None = None
    g_optimizer: NetOptimizer | None = None
    g_learning_rate: Rate | None = None
    d_hidden: Layers | None = None
    d_activation: ActivationName | None = None
    d_optimizer: NetOptimizer | None = None
    d_learning_rate: Rate | None = None
    batch_size: Batch | None = None
    d_steps: Steps | None = None
    g_steps: Steps | None = None
    loss: GanLoss | None = None


class AutoencoderPatch(Strict):
    """Any subset of AutoencoderOptions."""

    source: Source | None = None
    encoder: Layers | None = None
    encoder_activation: ActivationName | None = None
    decoder: Layers | None = None
    decoder_activation: ActivationName | None = None
    bottleneck: Literal[1, 2] | None = None
    optimizer: NetOptimizer | None = None
    learning_rate: Rate | None = None
    batch_size: Batch | None = None
    input_noise: Spread | None = None


# changing these keeps the nets (a new optimizer starts its state over); "source" makes
# new points; anything else builds new nets
KEEPS_NETS = {
    "gan": {"g_learning_rate", "d_learning_rate", "g_optimizer", "d_optimizer", "batch_size",
            "d_steps", "g_steps", "loss"},
    "autoencoder": {"learning_rate", "batch_size", "input_noise"},
}  # fmt: skip
# the two presets GAN Lab's lesson needs (measured in bench/gan.py and tests)
PRESETS: dict[str, dict[str, object]] = {
    "balanced": {},  # the defaults: JS under 0.1 on the ring within 3,000 iterations
    "mode_collapse": {"source": "three_blobs", "noise_dim": 1, "loss": "minimax",
                      "g_learning_rate": 0.01, "d_learning_rate": 0.001, "g_steps": 3},
}  # fmt: skip
