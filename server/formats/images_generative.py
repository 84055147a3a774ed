"""Pictures of the generative kinds: a GAN's discriminator map with its real (blue) and
generated (orange) points and G's manifold; an autoencoder's points joined to their
reconstructions with the decoded manifold; and both as Plotly figures with their curves.
``view`` is sessions/views.generative's reply (plain lists, plane units)."""

from __future__ import annotations

from typing import Any

import numpy as np

from server.engine.render import DOMAIN
from server.formats.images import BLUE, ORANGE, colorize, png

DARK = (0x33, 0x33, 0x33)


def _pixel(points: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    col = np.round((points[:, 0] + DOMAIN) / (2 * DOMAIN) * (size - 1)).astype(int)
    row = np.round((DOMAIN - points[:, 1]) / (2 * DOMAIN) * (size - 1)).astype(int)
    return row, col


def _dots(image: np.ndarray, points: np.ndarray, color: tuple[int, int, int], r: int) -> None:
    size = image.shape[0]
    if not len(points):
        return
    row, col = _pixel(np.asarray(points, dtype=float).reshape(-1, 2), size)
    for dy in range(-r, r + 1):
        for dx in range(-r, r + 1):
            if dx * dx + dy * dy <= r * r:
                rr, cc = row + dy, col + dx
                ok = (rr >= 0) & (rr < size) & (cc >= 0) & (cc < size)
                image[rr[ok], cc[ok]] = color


def _line(image: np.ndarray, a: np.ndarray, b: np.ndarray, color: tuple[int, int, int]) -> None:
    """Segments from each point of ``a`` to the same point of ``b`` (N, 2)."""
    steps = np.linspace(0, 1, 24)[:, None, None]
    _dots(image, (a[None] + (b - a)[None] * steps).reshape(-1, 2), color, 0)


def _curves(image: np.ndarray, manifold: np.ndarray) -> None:
    """A curve (M, 2) or a mesh (M, M, 2): its rows and columns."""
    lines = [manifold] if manifold.ndim == 2 else [*manifold, *manifold.transpose(1, 0, 2)]
    for curve in lines:
        _line(image, curve[:-1], curve[1:], DARK)


def generative_png(view: dict[str, Any], scale: int) -> bytes:
    """The picture of ``view`` at ``scale`` pixels per grid cell (100 cells a side)."""
    size = 100 * scale
    if view["kind"] == "gan":
        dmap = np.asarray(view["dmap"], dtype=float)  # probabilities of "real"
        image = np.repeat(np.repeat(colorize(2 * dmap - 1), size // len(dmap), 0),
                          size // len(dmap), 1)  # fmt: skip
        _curves(image, np.asarray(view["manifold"]))
        _dots(image, np.asarray(view["real"]), BLUE, max(1, scale // 2 + 1))
        _dots(image, np.asarray(view["fake"]), ORANGE, max(1, scale // 2 + 1))
    else:
        image = np.full((size, size, 3), 0xF7, dtype=np.uint8)
        points, recon = np.asarray(view["points"]), np.asarray(view["recon"])
        _line(image, points, recon, (0xAA, 0xAA, 0xAA))
        _curves(image, np.asarray(view["manifold"]))
        _dots(image, points, BLUE, max(1, scale // 2 + 1))
        _dots(image, recon, ORANGE, max(1, scale // 2))
    return png(image)


def generative_figure(view: dict[str, Any], history: dict[str, list[Any]]) -> str:
    """A Plotly figure: the samples (and the GAN's D map) beside the loss curves (and
    the GAN's divergences), as JSON for plotly.io.from_json."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    gan = view["kind"] == "gan"
    titles = ("Samples" if gan else "Reconstructions", "Training")
    fig = make_subplots(rows=1, cols=2, column_widths=[0.55, 0.45], subplot_titles=titles)
    manifold = np.asarray(view["manifold"])
    if gan:
        dmap = np.asarray(view["dmap"])
        axis = np.linspace(-DOMAIN, DOMAIN, len(dmap))
        scale = [[0, "#f59322"], [0.5, "#e8eaeb"], [1, "#0877bd"]]
        fig.add_trace(go.Heatmap(x=axis, y=axis[::-1], z=dmap, zmin=0, zmax=1,
                                 colorscale=scale, showscale=False, name="D(x)"), 1, 1)  # fmt: skip
        for name, key, color in (("real", "real", "#0877bd"), ("generated", "fake", "#f59322")):
            xy = np.asarray(view[key]).reshape(-1, 2)
            fig.add_trace(go.Scatter(x=xy[:, 0], y=xy[:, 1], mode="markers", name=name,
                                     marker={"color": color, "size": 5}), 1, 1)  # fmt: skip
    else:
        points, recon = np.asarray(view["points"]), np.asarray(view["recon"])
        shown = (("points", points, "#0877bd"), ("reconstructed", recon, "#f59322"))
        for name, xy, color in shown:
            fig.add_trace(go.Scatter(x=xy[:, 0], y=xy[:, 1], mode="markers", name=name,
                                     marker={"color": color, "size": 5}), 1, 1)  # fmt: skip
    curve = manifold if manifold.ndim == 2 else manifold.reshape(-1, 2)
    fig.add_trace(go.Scatter(x=curve[:, 0], y=curve[:, 1], mode="lines", name="manifold",
                             line={"color": "#333"}), 1, 1)  # fmt: skip
    names = ("D loss", "G loss") if gan else ("train loss", "test loss")
    for key, name, color in (("train_loss", names[0], "#333"), ("test_loss", names[1], "#999")):
        fig.add_trace(go.Scatter(x=history["epoch"], y=history[key], name=name,
                                 line={"color": color}), 1, 2)  # fmt: skip
    if gan and view.get("divergences"):
        d = np.asarray(view["divergences"], dtype=float)
        fig.add_trace(go.Scatter(x=d[:, 0], y=d[:, 2], name="JS (bits)",
                                 line={"color": "#0877bd"}), 1, 2)  # fmt: skip
    fig.update_xaxes(range=[-DOMAIN, DOMAIN], row=1, col=1)
    fig.update_yaxes(range=[-DOMAIN, DOMAIN], scaleanchor="x", row=1, col=1)
    fig.update_xaxes(title_text="iteration" if gan else "epoch", row=1, col=2)
    return str(fig.to_json())
