"""The settings of the generative kinds: a config's ``gan`` and ``autoencoder`` objects
(engine/kinds/gan.py, engine/kinds/autoencoder.py), each field with its bounds, and the
patches that change some of them."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

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
    # 2: measured over 6 seeds on the ring, JS fell below 0.1 within 1,250 iterations in
    # every one (one D step: within 3,000 in 5 of 6, and oscillated back up to 0.3)
    d_steps: Steps = 2
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
    # relu: measured on the moons, 0.05 plane units² after 500 epochs; tanh stayed at 0.19
    encoder_activation: ActivationName = "relu"
    decoder: Layers = Field(default_factory=lambda: [16, 16])
    decoder_activation: ActivationName = "relu"
    bottleneck: Literal[1, 2] = Field(1, description="numbers in the code")
    optimizer: NetOptimizer = "adam"
    # 0.003: measured on the moons over 4 seeds, under 0.1 plane units² within 100 epochs and
    # steady after; 0.01 got there as fast but jumped back (to 2.5 once) in one seed of 3
    learning_rate: Rate = 0.003
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


# -- REST replies ---------------------------------------------------------------------------
class GenerativeMetrics(BaseModel):
    """How a GAN or an autoencoder does now."""

    train_accuracy: None = None
    test_accuracy: None = None
    kl: float | None = Field(None, description="a GAN: KL(real ‖ generated) on a 16×16 grid, bits")
    js: float | None = Field(None, description="a GAN: Jensen–Shannon divergence, bits (0..1)")
    d_real: float | None = Field(None, description="a GAN: D's mean probability on real points")
    d_fake: float | None = Field(None, description="a GAN: … on generated points")
    updates: dict[str, int] | None = Field(None, description="a GAN: D's and G's updates so far")
    train_mse: float | None = Field(None, description="an autoencoder: plane units²")
    test_mse: float | None = None


class GenerativeView(BaseModel):
    """GET …/generative: what a GAN's or an autoencoder's page draws (plane units)."""

    kind: Literal["gan", "autoencoder"]
    epoch: int
    train_loss: float | None = Field(description="a GAN: D's loss; an autoencoder: train MSE")
    test_loss: float | None = Field(description="a GAN: G's loss; an autoencoder: test MSE")
    metrics: GenerativeMetrics
    real: list[list[float]] | None = Field(None, description="a GAN: every real point")
    fake: list[list[float]] | None = Field(None, description="a GAN: 300 generated points")
    push: list[list[float]] | None = Field(None, description="a GAN: −∂(G loss)/∂x at each")
    dmap: list[list[float]] | None = Field(None, description="a GAN: D(x) on the grid, y down")
    manifold: list[Any] = Field(description="G's (or the decoder's) curve (M, 2) or mesh")
    divergences: list[tuple[int, float | None, float | None]] | None = Field(
        None, description="a GAN: [iteration, KL, JS] every 10 iterations"
    )
    points: list[list[float]] | None = Field(None, description="an autoencoder: every point")
    recon: list[list[float]] | None = Field(None, description="… each one's reconstruction")
    codes: list[list[float]] | None = Field(None, description="… each one's code")
    code_range: list[list[float]] | None = Field(None, description="[lows, highs] of the codes")


# changing these keeps the nets (a new optimizer starts its state over); "source" makes
# new points; anything else builds new nets
KEEPS_NETS = {
    "gan": {"g_learning_rate", "d_learning_rate", "g_optimizer", "d_optimizer", "batch_size",
            "d_steps", "g_steps", "loss"},
    "autoencoder": {"learning_rate", "batch_size", "input_noise", "optimizer"},
}  # fmt: skip
# the two presets GAN Lab's lesson needs (measured in bench/gan.py and tests)
PRESETS: dict[str, dict[str, object]] = {
    "balanced": {},  # the defaults: JS under 0.1 on the ring within 3,000 iterations
    "mode_collapse": {"source": "three_blobs", "noise_dim": 1, "loss": "minimax",
                      "g_learning_rate": 0.01, "d_learning_rate": 0.001, "g_steps": 3},
}  # fmt: skip

# a generative kind's setting -> the lock of the MLP's control that does the same job
GENERATIVE_LOCKS = {
    "source": "dataset", "noise_dim": "features", "noise": "features", "g_hidden": "hidden",
    "d_hidden": "hidden", "encoder": "hidden", "decoder": "hidden", "bottleneck": "hidden",
    "g_activation": "activation", "d_activation": "activation",
    "encoder_activation": "activation", "decoder_activation": "activation",
    "g_optimizer": "optimizer", "d_optimizer": "optimizer", "optimizer": "optimizer",
    "g_learning_rate": "learning_rate", "d_learning_rate": "learning_rate",
    "learning_rate": "learning_rate", "batch_size": "batch_size", "d_steps": "extras",
    "g_steps": "extras", "loss": "loss_function", "input_noise": "noise",
}  # fmt: skip
TITLES = {
    "source": "Real data", "noise_dim": "Noise dimensions", "noise": "Noise",
    "g_hidden": "Generator layers", "g_activation": "Generator activation",
    "g_optimizer": "Generator optimizer", "g_learning_rate": "Generator learning rate",
    "d_hidden": "Discriminator layers", "d_activation": "Discriminator activation",
    "d_optimizer": "Discriminator optimizer", "d_learning_rate": "Discriminator learning rate",
    "batch_size": "Batch size", "d_steps": "D steps per iteration",
    "g_steps": "G steps per iteration", "loss": "Loss",
    "encoder": "Encoder layers", "encoder_activation": "Encoder activation",
    "decoder": "Decoder layers", "decoder_activation": "Decoder activation",
    "bottleneck": "Bottleneck", "optimizer": "Optimizer", "learning_rate": "Learning rate",
    "input_noise": "Input noise (denoising)",
}  # fmt: skip
SOURCE_TITLES = {"ring": "Ring", "line": "Line", "two_gaussians": "Two Gaussians",
                 "three_blobs": "Three blobs", "dataset": "The dataset"}  # fmt: skip
GAN_RATES = [0.0001, 0.0003, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1]


def _field(name: str, info: Any) -> dict[str, Any]:
    """One setting as the page builds its control: choices, a range or layer sizes."""
    out: dict[str, Any] = {"name": name, "title": TITLES.get(name, name),
                           "description": info.description or "",
                           "lock": GENERATIVE_LOCKS[name]}  # fmt: skip
    args = getattr(info.annotation, "__args__", ())
    origin = getattr(info.annotation, "__origin__", None)
    if origin is Literal or (args and all(isinstance(a, (str, int)) for a in args)):
        out |= {"type": "choice", "values": list(args)}
    elif info.annotation is bool:
        out["type"] = "bool"
    else:
        bounds = {k: getattr(m, k) for m in info.metadata for k in ("ge", "gt", "le")
                  if getattr(m, k, None) is not None}  # fmt: skip
        if name.endswith("hidden") or name in ("encoder", "decoder"):
            out |= {"type": "layers", "max_layers": MAX_NET_LAYERS, "max_neurons": MAX_NET_NEURONS}
        elif "rate" in name:  # a menu of the usual rates; any rate in (0, 10] is taken
            out |= {"type": "choice", "values": GAN_RATES, "number": True,
                    "min": bounds["gt"], "max": bounds["le"]}  # fmt: skip
        else:
            kind = "int" if info.annotation is int else "float"
            out |= {"type": kind, "min": bounds.get("ge", bounds.get("gt", 0)), "max": bounds["le"]}
    return out


def generative_options() -> dict[str, Any]:
    """The page's description of both kinds' settings: each field's control, the
    defaults, the presets and the distributions' titles (/api/options "generative")."""
    out: dict[str, Any] = {}
    for kind, model in (("gan", GanOptions), ("autoencoder", AutoencoderOptions)):
        out[kind] = {
            "fields": [_field(name, info) for name, info in model.model_fields.items()],
            "defaults": model().model_dump(),
            "keeps_nets": sorted(KEEPS_NETS[kind]),
        }
    out["gan"]["presets"] = {
        name: {**GanOptions().model_dump(), **p} for name, p in PRESETS.items()
    }
    out["sources"] = [{"name": n, "title": t} for n, t in SOURCE_TITLES.items()]
    return out
