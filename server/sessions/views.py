"""Read-only views of a session, as replies and files show them. They run on the worker
thread (``SessionManager.read``), so the web layer asks for a view by name and never
reaches into a session's model."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from server.engine.data.datasets import Split
from server.engine.kinds.autoencoder import Autoencoder
from server.engine.kinds.gan import Gan
from server.engine.render import render
from server.errors import Conflict
from server.formats.export import (
    layers_json,
    model_file,
    model_script,
    state_dict_bytes,
    training_state,
)
from server.formats.export_generative import script as generative_script
from server.formats.export_generative import state_dict_bytes as generative_state_dict
from server.formats.points import format_csv

if TYPE_CHECKING:
    from server.sessions.session import Session


def params(session: Session) -> dict[str, Any]:
    net = session.mlp.net
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


def kind(session: Session) -> str:
    return session.config.kind


def epoch(session: Session) -> int:
    return session.model.epoch


def config(session: Session) -> Any:
    return session.config


def grid(session: Session, size: int) -> np.ndarray:
    """(G, G) the shown output in [-1, 1] (a single output only)."""
    net = session.mlp.net
    if net.sizes[-1] > 1:
        raise Conflict(
            f"pictures show one output; this session has {net.sizes[-1]} classes: "
            "use GET …/boundary",
            "classes",
        )
    return render(net, session.mlp.features, size, 5).output.cpu().numpy()


def picture(session: Session, size: int) -> tuple[np.ndarray, Split]:
    """What boundary.png draws: the output grid and the points."""
    return grid(session, size), session.model.split


def figure(session: Session) -> tuple[np.ndarray, Split, dict[str, Any]]:
    """What the Plotly figure draws: the grid, the points and the losses."""
    return grid(session, 100), session.model.split, session.history.as_dict()


def maps(session: Session, size: int) -> tuple[np.ndarray, np.ndarray | None]:
    """(output, confidence) on a size×size grid: the output in [-1, 1], or with k > 2
    classes the winning class and its probability."""
    m = render(session.mlp.net, session.mlp.features, size, 5)
    confidence = None if m.confidence is None else m.confidence.cpu().numpy()
    return m.output.cpu().numpy(), confidence


def boundary(session: Session, size: int) -> dict[str, Any]:
    maps = render(session.mlp.net, session.mlp.features, size, 5)
    values = np.nan_to_num(maps.output.cpu().numpy()).tolist()
    if maps.confidence is None:
        return {"size": size, "values": values}
    return {
        "size": size,
        "values": values,
        "classes": session.mlp.net.sizes[-1],
        "confidence": np.nan_to_num(maps.confidence.cpu().numpy()).tolist(),
    }


def csv_text(session: Session) -> str:
    return format_csv(session.model.split)


def script(session: Session) -> str:
    if session.config.kind != "mlp":
        return generative_script(session.model, session.config.kind, session.model.epoch)
    c, m = session.config, session.mlp
    title = (
        f"A {c.problem} network exported from Neural Playground at epoch {m.epoch} "
        f"({'uploaded points' if session.custom_data else c.dataset})."
    )
    return model_script(m.net, m.features, title, m.epoch)


def state_dict(session: Session) -> bytes:
    if session.config.kind != "mlp":
        return generative_state_dict(session.model)
    return state_dict_bytes(session.mlp.net)


def model(session: Session) -> dict[str, Any]:
    """model.json: refused while the weights are not finite."""
    p = params(session)
    values = [v for layer in p["layers"] for row in layer["weight"] for v in row]
    values += [v for layer in p["layers"] for v in layer["bias"]]
    if not all(math.isfinite(v) for v in values):
        raise Conflict("the weights are not finite (the session diverged); reset first", "params")
    s = session
    return model_file(
        s.config.model_dump(), p, s.mlp.epoch, s.custom_data, training_state(s.mlp),
        s.seeds.state(), {**s.history.as_dict(), "stride": s.history.stride},
    )  # fmt: skip


# -- the generative kinds ---------------------------------------------------------------------
def generative(session: Session, size: int) -> dict[str, Any]:
    """What a GAN's or an autoencoder's page draws, in plane units (kinds/gan.py's and
    kinds/autoencoder.py's ``views``), with the divergences over time (a GAN's)."""
    m = session.model
    if isinstance(m, Gan):
        v = m.views(size)
        out: dict[str, Any] = {
            "kind": "gan",
            "epoch": m.epoch,
            "real": v["real"].tolist(),
            "fake": v["fake"].tolist(),
            "push": v["push"].tolist(),
            "dmap": (v["dmap"].to(torch.float64) / 255).tolist(),
            "manifold": v["manifold"].tolist(),
            "divergences": [[e, _num(kl), _num(js)] for e, kl, js in m.divergences],
        }
    elif isinstance(m, Autoencoder):
        v = m.views()
        out = {
            "kind": "autoencoder",
            "epoch": m.epoch,
            "points": v["points"].tolist(),
            "recon": v["recon"].tolist(),
            "codes": v["codes"].tolist(),
            "code_range": v["code_range"],
            "manifold": v["manifold"].tolist(),
        }
    else:
        raise Conflict("this is an mlp session: its views are /boundary, /params and "
                       "/figure", "kind")  # fmt: skip
    return out | {"metrics": m.metrics(), "train_loss": _num(m.train_loss),
                  "test_loss": _num(m.test_loss)}  # fmt: skip


def _num(value: float) -> float | None:
    return value if math.isfinite(value) else None


def generative_figure(session: Session) -> tuple[dict[str, Any], dict[str, Any]]:
    return generative(session, 60), session.history.as_dict()
