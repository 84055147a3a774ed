"""The browser draws maps from streamed weights exactly as the server would (issue #6:
client-side rendering), within one quantization step."""

from __future__ import annotations

import httpx
import numpy as np
import pytest
import torch

from server.engine.network import Network
from server.engine.render import quantize, render

from .conftest import Playground, Server

pytestmark = pytest.mark.e2e

CONFIGS = [
    {"dataset": "circle", "features": ["x1", "x2"], "hidden": [4, 2], "activation": "tanh"},
    {
        "dataset": "spiral",
        "features": ["x1", "x2", "x1_squared", "x2_squared", "x1_x2", "sin_x1", "sin_x2"],
        "hidden": [8, 8, 8, 8, 8, 8],
        "activation": "relu",
    },
    {
        "problem": "regression",
        "dataset": "multi_gauss",
        "features": ["x1", "x2", "sin_x2"],
        "hidden": [5, 3],
        "activation": "sigmoid",
    },
    {"dataset": "xor", "features": ["x1_x2"], "hidden": [], "activation": "linear"},
]


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: c["dataset"])
def test_browser_maps_equal_the_servers(
    playground: Playground, server: Server, config: dict
) -> None:
    with httpx.Client(base_url=f"{server.url}/api") as api:
        session = api.post("/sessions", json={"config": {**config, "seed": 3}}).json()
        # larger weights than the initial ones, so every map has structure to compare
        params = api.get(f"/sessions/{session['id']}/params").json()
        rng = np.random.default_rng(5)
        for layer in params["layers"]:
            layer["weight"] = rng.uniform(-2, 2, np.shape(layer["weight"])).tolist()
            layer["bias"] = rng.uniform(-1, 1, len(layer["bias"])).tolist()
        api.put(f"/sessions/{session['id']}/params", json={"layers": params["layers"]})
        params = api.get(f"/sessions/{session['id']}/params").json()
        api.delete(f"/sessions/{session['id']}")

    net = Network(
        [torch.tensor(layer["weight"], dtype=torch.float64) for layer in params["layers"]],
        [torch.tensor(layer["bias"], dtype=torch.float64) for layer in params["layers"]],
        [
            torch.ones(len(layer["weight"]), len(layer["weight"][0]), dtype=torch.bool)
            for layer in params["layers"]
        ],
        config["activation"],
        "linear" if config.get("problem") == "regression" else "tanh",
        config.get("layer_activations", []),
    )
    maps = render(net, session["config"]["features"], 100, 25)
    server_grid = quantize(maps.output).numpy().reshape(-1)
    server_maps = quantize(maps.neurons).numpy().reshape(-1)

    page = playground.open()
    browser = page.evaluate(
        """async ([url, params, config]) => {
          const { renderFrame } = await import(url);
          const layers = params.layers;
          const frame = {
            sizes: [layers[0].weight[0].length, ...layers.map((l) => l.bias.length)],
            weights: layers.map((l) => Float64Array.from(l.weight.flat())),
            biases: layers.map((l) => Float64Array.from(l.bias)),
          };
          const { grid, maps } = renderFrame(frame, config, 100, 25);
          return { grid: Array.from(grid), maps: Array.from(maps ?? []) };
        }""",
        [playground.module_url("renderFrame"), params, session["config"]],
    )
    grid = np.array(browser["grid"], dtype=int)
    assert grid.shape == server_grid.shape
    assert np.abs(grid - server_grid.astype(int)).max() <= 1
    assert len(set(grid.tolist())) > 5  # a real picture, not a constant
    browser_maps = np.array(browser["maps"], dtype=int)
    assert browser_maps.shape == server_maps.shape
    if browser_maps.size:
        assert np.abs(browser_maps - server_maps.astype(int)).max() <= 1
