"""Read-only views of a session, as replies and files show them. They run on the worker
thread (``SessionManager.read``), so the web layer asks for a view by name and never
reaches into a session's model."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from server.engine.data.datasets import Split
from server.engine.render import render
from server.errors import Conflict
from server.formats.export import (
    layers_json,
    model_file,
    model_script,
    state_dict_bytes,
    training_state,
)
from server.formats.points import format_csv

if TYPE_CHECKING:
    from server.sessions.session import Session


def params(session: Session) -> dict[str, Any]:
    net = session.model.net
    return {"layers": layers_json(net.weights, net.biases), "dead": net.dead_links()}


def data(session: Session) -> dict[str, Any]:
    split = session.model.split

    def rows(x: Any, y: Any) -> list[list[float]]:
        return [[float(a), float(b), float(c)] for (a, b), c in zip(x, y, strict=True)]

    return {"train": rows(split.train_x, split.train_y), "test": rows(split.test_x, split.test_y)}


def history(session: Session) -> dict[str, Any]:
    return session.history.as_dict()


def metrics(session: Session) -> dict[str, Any]:
    return session.metrics()


def epoch(session: Session) -> int:
    return session.model.epoch


def config(session: Session) -> Any:
    return session.config


def grid(session: Session, size: int) -> np.ndarray:
    """(G, G) the shown output in [-1, 1] (a single output only)."""
    net = session.model.net
    if net.sizes[-1] > 1:
        raise Conflict(
            f"pictures show one output; this session has {net.sizes[-1]} classes: "
            "use GET …/boundary",
            "classes",
        )
    return render(net, session.model.features, size, 5).output.cpu().numpy()


def picture(session: Session, size: int) -> tuple[np.ndarray, Split]:
    """What boundary.png draws: the output grid and the points."""
    return grid(session, size), session.model.split


def figure(session: Session) -> tuple[np.ndarray, Split, dict[str, Any]]:
    """What the Plotly figure draws: the grid, the points and the losses."""
    return grid(session, 100), session.model.split, session.history.as_dict()


def maps(session: Session, size: int) -> tuple[np.ndarray, np.ndarray | None]:
    """(output, confidence) on a size×size grid: the output in [-1, 1], or with k > 2
    classes the winning class and its probability."""
    m = render(session.model.net, session.model.features, size, 5)
    confidence = None if m.confidence is None else m.confidence.cpu().numpy()
    return m.output.cpu().numpy(), confidence


def boundary(session: Session, size: int) -> dict[str, Any]:
    maps = render(session.model.net, session.model.features, size, 5)
    values = np.nan_to_num(maps.output.cpu().numpy()).tolist()
    if maps.confidence is None:
        return {"size": size, "values": values}
    return {
        "size": size,
        "values": values,
        "classes": session.model.net.sizes[-1],
        "confidence": np.nan_to_num(maps.confidence.cpu().numpy()).tolist(),
    }


def csv_text(session: Session) -> str:
    return format_csv(session.model.split)


def script(session: Session) -> str:
    c, m = session.config, session.model
    title = (
        f"A {c.problem} network exported from Neural Playground at epoch {m.epoch} "
        f"({'uploaded points' if session.custom_data else c.dataset})."
    )
    return model_script(m.net, m.features, title, m.epoch)


def state_dict(session: Session) -> bytes:
    return state_dict_bytes(session.model.net)


def model(session: Session) -> dict[str, Any]:
    """model.json: refused while the weights are not finite."""
    p = params(session)
    values = [v for layer in p["layers"] for row in layer["weight"] for v in row]
    values += [v for layer in p["layers"] for v in layer["bias"]]
    if not all(math.isfinite(v) for v in values):
        raise Conflict("the weights are not finite (the session diverged); reset first", "params")
    s = session
    return model_file(
        s.config.model_dump(), p, s.model.epoch, s.custom_data, training_state(s.model),
        s.seeds.state(), {**s.history.as_dict(), "stride": s.history.stride},
    )  # fmt: skip
