"""REST routes about the server itself: health, the options catalogue, the datasets."""

from __future__ import annotations

from typing import Any

import numpy as np
from fastapi import APIRouter, Request

from server.config import Settings
from server.engine.data import datasets
from server.engine.features import FEATURES, LABELS
from server.engine.network import ACTIVATIONS
from server.engine.objectives import LOSSES
from server.engine.optimizers import OPTIMIZERS
from server.engine.training import REGULARIZATIONS
from server.protocol.rest import (
    DEFAULT_SPEED,
    LEARNING_RATES,
    REGULARIZATION_RATES,
    SPEEDS,
    Config,
    Health,
)
from server.web.deps import Manager
from server.web.openapi import DeclaredRoute

router = APIRouter(prefix="/api", route_class=DeclaredRoute)


@router.get("/health", response_model=Health, tags=["server"])
async def health(manager: Manager) -> dict[str, Any]:
    """Liveness and load: sessions, live ones, REST requests in progress and viewers.
    Answered without waiting for the worker, so it stays fast under any load."""
    return {
        "status": "stopping" if manager.stopping else "ok",
        **manager.counts(),
        "device": str(manager.worker.device),
        "dtype": manager.settings.dtype,
    }


@router.get("/options", tags=["server"])
async def options(manager: Manager) -> dict[str, Any]:
    """Every choice and limit a client needs to build its controls."""
    return option_lists(manager.settings)


def option_lists(s: Settings) -> dict[str, Any]:
    """The choices and limits behind /api/options (the page embeds them too)."""
    return {
        "problems": list(datasets.PROBLEMS),
        "datasets": [
            {"name": n, "problem": d.problem, "title": d.title, "classes": list(d.classes)}
            for n, d in datasets.DATASETS.items()
        ],
        "features": [{"name": n, "label": LABELS[n]} for n in FEATURES],
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
            "batch_size": [1, 30],
            "noise": [0, 50],
            "train_ratio": [10, 90],
            "learning_rate": [0, 10],
            "regularization_rate": [0, 10],
            "classes": [2, datasets.MAX_CLASSES],
            "momentum": [0, 0.999],
            "beta1": [0, 0.999],
            "beta2": [0, 0.99999],
            "epsilon": [0, 1],
            "max_train_epochs": s.max_train_epochs,
            "max_points": s.max_points,
            "max_sessions": s.max_sessions,
        },
        "defaults": Config().model_dump(),
    }


@router.get("/datasets", tags=["server"])
async def list_datasets(request: Request) -> list[dict[str, Any]]:
    """Every dataset with its class range and 200 preview points [x, y, label] (noise 0,
    seed 0) for thumbnails; k-class datasets preview 3 classes (labels 0, 1, 2)."""
    previews: list[dict[str, Any]] = request.app.state.previews
    return previews


PREVIEW_CLASSES = 3  # k-class datasets show this many classes in their thumbnail


def previews() -> list[dict[str, Any]]:
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
