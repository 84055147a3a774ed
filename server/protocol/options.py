"""The options catalogue: every choice and limit a client needs (GET /api/options and the
page), built from the registries and from the config models' own bounds."""

from __future__ import annotations

import base64
from typing import Any

import numpy as np
import torch
from pydantic import TypeAdapter

from server.config import Settings
from server.engine.data import datasets
from server.engine.features import FEATURES
from server.engine.network import ACTIVATIONS
from server.engine.objectives import LOSSES
from server.engine.optimizers import OPTIMIZERS
from server.engine.render import MAP, grid_points, quantize
from server.engine.tfp_seed import MAX_SEED_LENGTH, MIN_SEED_LENGTH, SEED_TEXT
from server.engine.training import REGULARIZATIONS
from server.protocol.config import (
    DEFAULT_SPEED,
    LEARNING_RATES,
    REGULARIZATION_RATES,
    SPEEDS,
    Config,
    Speed,
)
from server.protocol.generative import generative_options

PROBLEM_TITLES = {"classification": "Classification", "regression": "Regression"}
# Choices for the optimizer settings (a link may carry any value the server accepts).
MOMENTUMS = [0.0, 0.5, 0.8, 0.9, 0.95, 0.99, 0.999]
BETA1S = [0.0, 0.5, 0.8, 0.9, 0.95, 0.99, 0.999]
BETA2S = [0.9, 0.99, 0.999, 0.9999, 0.99999]
EPSILONS = [1e-8, 1e-7, 1e-6, 1e-4, 1e-2]
# Config's numeric fields, in the order clients list them
BOUNDED = (
    "noise",
    "train_ratio",
    "batch_size",
    "learning_rate",
    "regularization_rate",
    "classes",
    "momentum",
    "beta1",
    "beta2",
    "epsilon",
)
PREVIEW_CLASSES = 3  # k-class datasets show this many classes in their thumbnail
FEATURE_MAP = MAP  # input feature maps are drawn at the neuron maps' resolution


def _numeric(schema: dict[str, Any]) -> dict[str, Any]:
    """{"min", "max"[, "min_open"][, "integer"]} of a JSON schema's numeric branch."""
    if "anyOf" in schema:
        branch = next(s for s in schema["anyOf"] if s.get("type") in ("integer", "number"))
        return _numeric(branch)
    out: dict[str, Any] = {}
    if "exclusiveMinimum" in schema:
        out.update(min=schema["exclusiveMinimum"], min_open=True)
    else:
        out["min"] = schema["minimum"]
    if "exclusiveMaximum" in schema:
        out.update(max=schema["exclusiveMaximum"], max_open=True)
    else:
        out["max"] = schema["maximum"]
    if schema.get("type") == "integer":
        out["integer"] = True
    return out


def bounds(s: Settings) -> dict[str, dict[str, Any]]:
    """Every numeric bound of a config, as the models themselves enforce it: Config's
    fields, the speed, the integer seed, and the server's hidden-layer limits."""
    fields = Config.model_json_schema()["properties"]
    out = {name: _numeric(fields[name]) for name in BOUNDED}
    out["speed"] = _numeric(TypeAdapter(Speed).json_schema())
    out["seed"] = _numeric(fields["seed"])
    out["neurons"] = {"min": 1, "max": s.max_neurons, "integer": True}  # per hidden layer
    out["layers"] = {"min": 0, "max": s.max_layers, "integer": True}  # hidden layers
    return out


def seed_text() -> dict[str, Any]:
    """What a TFP seed string may be: its length and a regex source Python and JS share."""
    return {"min_length": MIN_SEED_LENGTH, "max_length": MAX_SEED_LENGTH, "pattern": SEED_TEXT}


def option_lists(s: Settings) -> dict[str, Any]:
    """The choices and limits behind /api/options (the page embeds them too)."""
    limits = bounds(s)

    def pair(name: str) -> list[float]:
        return [limits[name]["min"], limits[name]["max"]]

    return {
        "problems": list(datasets.PROBLEMS),
        "datasets": [
            {"name": n, "problem": d.problem, "title": d.title, "classes": list(d.classes)}
            for n, d in datasets.DATASETS.items()
        ],
        "features": [{"name": n, "label": f.label} for n, f in FEATURES.items()],
        "activations": list(ACTIVATIONS),
        "regularizations": list(REGULARIZATIONS),
        "losses": list(LOSSES),
        "optimizers": list(OPTIMIZERS),
        "learning_rates": LEARNING_RATES,
        "regularization_rates": REGULARIZATION_RATES,
        "speeds": SPEEDS,
        "default_speed": DEFAULT_SPEED,
        "limits": {
            "max_layers": s.max_layers,
            "max_neurons": s.max_neurons,
            **{name: pair(name) for name in BOUNDED},
            "max_train_epochs": s.max_train_epochs,
            "max_points": s.max_points,
            "max_sessions": s.max_sessions,
        },
        "bounds": limits,
        "seed_text": seed_text(),
        "defaults": Config().model_dump(),
        "kinds": ["mlp", "gan", "autoencoder"],
        "generative": generative_options(),
    }


def previews() -> list[dict[str, Any]]:
    """Every dataset with 200 preview points [x, y, label] (noise 0, seed 0)."""
    out = []
    for name, spec in datasets.DATASETS.items():
        low, high = spec.classes
        classes = PREVIEW_CLASSES if high >= PREVIEW_CLASSES else low
        split = datasets.generate(name, 0, 50, 0, classes)
        points = np.concatenate([split.train_x, split.test_x])[:200]
        labels = np.concatenate([split.train_y, split.test_y])[:200]
        out.append(
            {
                "name": name,
                "problem": spec.problem,
                "title": spec.title,
                "classes": [low, high],
                "preview_classes": classes,
                "preview": np.round(np.column_stack([points, labels]), 4).tolist(),
            }
        )
    return out


def feature_maps() -> dict[str, str]:
    """Each input feature over [-6, 6]², quantized as frames are, base64 of (M, M) uint8."""
    points = grid_points(FEATURE_MAP, torch.float64, "cpu")  # (M*M, 2), rows y=+6 .. -6
    x, y = points[:, 0], points[:, 1]
    return {
        name: base64.b64encode(quantize(feature(x, y)).numpy().tobytes()).decode("ascii")
        for name, feature in FEATURES.items()
    }


# Computed once, at import: they never change, and request threads leave torch alone.
FEATURE_MAPS = feature_maps()


def page_options(settings: Settings) -> dict[str, Any]:
    """/api/options, with display titles and each input feature's map for the page."""
    options = option_lists(settings)
    options.update(
        problems=[{"name": p, "title": PROBLEM_TITLES.get(p, p)} for p in datasets.PROBLEMS],
        features=[
            {"name": name, "label": f.label, "map": FEATURE_MAPS[name]}
            for name, f in FEATURES.items()
        ],
        feature_map_size=FEATURE_MAP,
        activations=[{"name": n, "title": a.title} for n, a in ACTIVATIONS.items()],
        regularizations=[{"name": n, "title": r.title} for n, r in REGULARIZATIONS.items()],
        losses=[{"name": n, "title": loss.title} for n, loss in LOSSES.items()],
        optimizers=[{"name": n, "title": o.title} for n, o in OPTIMIZERS.items()],
        choices={"momentum": MOMENTUMS, "beta1": BETA1S, "beta2": BETA2S, "epsilon": EPSILONS},
    )
    options["limits"]["max_fps"] = settings.max_fps
    return options
