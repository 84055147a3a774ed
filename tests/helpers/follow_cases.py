"""Cases of the config follow rule (server/config_rules.follow_changes), shared by the
server's tests and the browser's copy (static/js/state/rules.js followChanges), which must agree.

Each case: (name, the config's fields, the patch, the fields that must result)."""

from __future__ import annotations

from typing import Any

Case = tuple[str, dict[str, Any], dict[str, Any], dict[str, Any]]

CIRCLE = {"problem": "classification", "dataset": "circle", "classes": 2, "loss": "mse"}
CLOUDS4 = {"problem": "classification", "dataset": "clouds", "classes": 4, "loss": "cross_entropy"}
PLANE = {"problem": "regression", "dataset": "plane", "classes": 2, "loss": "mse"}

CASES: list[Case] = [
    (
        "more classes take cross-entropy",
        CIRCLE,
        {"dataset": "clouds", "classes": 4},
        {"classes": 4, "loss": "cross_entropy"},
    ),
    (
        "back to a TFP dataset: mse again",
        CLOUDS4,
        {"dataset": "circle"},
        {"classes": 2, "loss": "mse"},
    ),
    (
        "classes down to 2 on a TFP-less dataset: the data does not choose",
        CLOUDS4,
        {"classes": 2},
        {"classes": 2, "loss": "cross_entropy"},
    ),
    (
        "our two-class extra keeps the loss",
        CLOUDS4,
        {"dataset": "moons"},
        {"classes": 2, "loss": "cross_entropy"},
    ),
    (
        "a chosen cross-entropy stays on TFP data",
        {**CIRCLE, "loss": "cross_entropy"},
        {"dataset": "xor"},
        {"classes": 2, "loss": "cross_entropy"},
    ),
    (
        "regression takes mse",
        {**CIRCLE, "loss": "cross_entropy"},
        {"problem": "regression", "dataset": "plane"},
        {"classes": 2, "loss": "mse"},
    ),
    (
        "from regression to circle: mse",
        PLANE,
        {"problem": "classification", "dataset": "circle"},
        {"classes": 2, "loss": "mse"},
    ),
    (
        "a loss named in the patch is kept",
        CLOUDS4,
        {"dataset": "circle", "loss": "cross_entropy"},
        {"classes": 2, "loss": "cross_entropy"},
    ),
    (
        "a dataset keeps the class count it can",
        CLOUDS4,
        {"dataset": "rings"},
        {"classes": 4, "loss": "cross_entropy"},
    ),
    (
        "noise leaves the loss alone",
        {**CIRCLE, "loss": "cross_entropy"},
        {"noise": 10},
        {"loss": "cross_entropy", "classes": 2},
    ),
    (
        "fewer layers drop their activations",
        {**CIRCLE, "hidden": [4, 2], "layer_activations": ["relu", "tanh"]},
        {"hidden": [3]},
        {"layer_activations": ["relu"]},
    ),
]
