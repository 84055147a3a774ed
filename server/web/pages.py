"""The HTML page: the playground UI, rendered from the registries (no build step)."""

from __future__ import annotations

import base64
from typing import Any

import torch
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from server.config import Settings
from server.engine.data.datasets import PROBLEMS
from server.engine.features import FEATURES, LABELS, make_inputs
from server.engine.network import ACTIVATIONS
from server.engine.render import MAP, grid_points, quantize
from server.engine.training import REGULARIZATIONS
from server.web.api_sessions import option_lists
from server.web.paths import TEMPLATES

router = APIRouter()
templates = Jinja2Templates(directory=TEMPLATES)


def plain_number(value: float) -> str:
    """0.00001 rather than 1e-05, 1 rather than 1.0: how the controls show rates."""
    return f"{value:.10f}".rstrip("0").rstrip(".") if isinstance(value, float) else str(value)


def short_number(value: float) -> str:
    """1e-8 rather than 1e-08, 0.999 as it is: how the optimizer settings show."""
    return f"{value:g}".replace("e-0", "e-")


templates.env.filters["plain_number"] = plain_number
templates.env.filters["short_number"] = short_number

# How the page names registry keys; a key missing here is shown as itself.
ACTIVATION_TITLES = {"relu": "ReLU", "tanh": "Tanh", "sigmoid": "Sigmoid", "linear": "Linear"}
REGULARIZATION_TITLES = {"none": "None", "l1": "L1", "l2": "L2"}
PROBLEM_TITLES = {"classification": "Classification", "regression": "Regression"}
LOSS_TITLES = {"mse": "0.5·MSE", "cross_entropy": "Cross-entropy"}
OPTIMIZER_TITLES = {"sgd": "SGD", "momentum": "Momentum", "adam": "Adam"}
# Choices for the optimizer settings (a link may carry any value the server accepts).
MOMENTUMS = [0.0, 0.5, 0.8, 0.9, 0.95, 0.99, 0.999]
BETA1S = [0.0, 0.5, 0.8, 0.9, 0.95, 0.99, 0.999]
BETA2S = [0.9, 0.99, 0.999, 0.9999, 0.99999]
EPSILONS = [1e-8, 1e-7, 1e-6, 1e-4, 1e-2]
FEATURE_MAP = MAP  # input feature maps are drawn at the neuron maps' resolution


def feature_maps() -> dict[str, str]:
    """Each input feature over [-6, 6]², quantized as frames are, base64 of (M, M) uint8."""
    points = grid_points(FEATURE_MAP, torch.float64, "cpu")  # (M*M, 2), rows y=+6 .. -6
    values = make_inputs(points, list(FEATURES))  # (M*M, F)
    return {
        name: base64.b64encode(quantize(values[:, i]).numpy().tobytes()).decode("ascii")
        for i, name in enumerate(FEATURES)
    }


# Computed once, at import: they never change, and request threads leave torch alone.
FEATURE_MAPS = feature_maps()


def page_options(settings: Settings) -> dict[str, Any]:
    """/api/options, with display titles and each input feature's map for the page."""
    options = option_lists(settings)
    options.update(
        problems=[{"name": p, "title": PROBLEM_TITLES.get(p, p)} for p in PROBLEMS],
        features=[
            {"name": name, "label": LABELS[name], "map": FEATURE_MAPS[name]} for name in FEATURES
        ],
        feature_map_size=FEATURE_MAP,
        activations=[{"name": n, "title": ACTIVATION_TITLES.get(n, n)} for n in ACTIVATIONS],
        regularizations=[
            {"name": n, "title": REGULARIZATION_TITLES.get(n, n)} for n in REGULARIZATIONS
        ],
        losses=[{"name": n, "title": LOSS_TITLES.get(n, n)} for n in options["losses"]],
        optimizers=[
            {"name": n, "title": OPTIMIZER_TITLES.get(n, n)} for n in options["optimizers"]
        ],
        choices={"momentum": MOMENTUMS, "beta1": BETA1S, "beta2": BETA2S, "epsilon": EPSILONS},
    )
    options["limits"]["max_fps"] = settings.max_fps
    return options


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
async def index(request: Request) -> HTMLResponse:
    """The playground."""
    settings: Settings = request.app.state.settings
    return templates.TemplateResponse(request, "index.html", {"options": page_options(settings)})


@router.get("/favicon.ico", include_in_schema=False)
async def favicon() -> RedirectResponse:
    """Browsers ask for /favicon.ico where a page names no icon (a JSON answer opened in a
    tab): the app's icon, not a 404."""
    return RedirectResponse("/static/favicon.svg", status_code=301)
