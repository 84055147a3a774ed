"""Where a session's points and initial weights come from: its seed's streams.

An integer seed is ours: numpy draws the points (engine/datasets.py) and a torch
generator the weights. A string seed is TensorFlow Playground's: one ``Math.random``
stream (engine/tfp_seed.py) draws the points, the shuffle and then every network's weights,
in TFP's page's order, so a TFP link opens with TFP's very points and weights:

- the page opens: seed the stream, draw the points, shuffle, then the first weights;
- reset (and any change that rebuilds the network): the next weights, from the same stream;
- regenerate, or new data (dataset, noise, ratio, problem): the next seed is
  ``Math.random().toFixed(5)`` from the running stream, which is then seeded with it;
  a new problem type redraws TFP's thumbnails from the stream before the weights.
"""

from __future__ import annotations

import zlib
from typing import Any

import torch

from server.engine.data import datasets, distributions
from server.engine.data import tfp as tfp_datasets
from server.engine.network import Uniform
from server.engine.tfp_seed import SeedStream, next_seed
from server.protocol.rest import Config


class SeedState:
    """A session's TFP stream (None for integer seeds) and where its points ended."""

    def __init__(self, seed: int | str) -> None:
        self.stream: SeedStream | None = None
        self.data_position = 0  # the stream's position after the points: same_init starts here
        self.reseed(seed)

    @property
    def tfp(self) -> bool:
        return self.stream is not None

    def reseed(self, seed: int | str) -> None:
        """Seed the TFP stream in place (the model drawing from it sees the new one)."""
        if not isinstance(seed, str):
            self.stream = None
        elif self.stream is None:
            self.stream = SeedStream(seed)
        else:
            self.stream.restart(seed)

    def points(self, config: Config, thumbnails: bool = False) -> datasets.Split:
        """The config's points; for a TFP seed drawn from the stream, which then stands
        where TFP builds the network (after the thumbnails TFP redraws on a new problem).
        A generative kind's own distribution (its ``source``) draws from numpy."""
        source = getattr(config, config.kind).source if config.kind != "mlp" else "dataset"
        if source != "dataset":
            seed = config.seed if isinstance(config.seed, int) else zlib.crc32(config.seed.encode())
            return distributions.generate(source, config.noise, config.train_ratio, seed)
        if self.stream is None:
            return datasets.generate(
                config.dataset, config.noise, config.train_ratio, config.seed, config.classes
            )
        split = datasets.generate(
            config.dataset, config.noise, config.train_ratio, config.seed, config.classes,
            stream=self.stream,
        )  # fmt: skip
        if thumbnails:
            tfp_datasets.draw_thumbnails(config.problem, self.stream.random)
        self.data_position = self.stream.position
        return split

    def start_weights(
        self, config: Config, generator: torch.Generator, reseeded: bool = True
    ) -> None:
        """Make the next weights the seed's first ones (an integer seed restarts torch's
        generator only when ``reseeded``)."""
        if self.stream is not None:
            self.stream.seek(self.data_position)
        elif reseeded:
            assert isinstance(config.seed, int)
            generator.manual_seed(config.seed)

    def weights_source(self, generator: torch.Generator) -> torch.Generator | Uniform:
        return self.stream if self.stream is not None else generator

    def next_seed(self) -> str:
        assert self.stream is not None
        return next_seed(self.stream)

    # -- model files ------------------------------------------------------------------------
    def state(self) -> dict[str, Any] | None:
        """Where the TFP stream stands, for model.json (None for integer seeds)."""
        if self.stream is None:
            return None
        s, i, j = self.stream.state()
        return {"position": self.stream.position, "data_position": self.data_position,
                "s": s, "i": i, "j": j}  # fmt: skip

    def restore(self, seed: int | str, state: Any) -> None:
        """Stand where a model file's stream stood (``state``: schemas.StreamState, checked)."""
        self.reseed(seed)
        if self.stream is not None and state is not None:
            self.data_position = state.data_position
            if state.s is None:  # an early file: a short position, replayed
                self.stream.seek(state.position)
            else:
                self.stream.resume(state.s, state.i, state.j, state.position)
