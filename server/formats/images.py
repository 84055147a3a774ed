"""Pictures of a session: the boundary as a PNG and as a Plotly figure, coloured like TFP."""

from __future__ import annotations

import struct
import zlib
from typing import Any

import numpy as np

from server.engine.render import DOMAIN

# TFP's colours (the page's copy, static/js/draw/colors.js, is the same three)
ORANGE, GREY, BLUE = (0xF5, 0x93, 0x22), (0xE8, 0xEA, 0xEB), (0x08, 0x77, 0xBD)
# the page's colours of k > 2 classes (draw/colors.js) and of an unsure cell
CLASS_COLORS = ((0xE6, 0x9F, 0x00), (0x00, 0x72, 0xB2), (0x00, 0x9E, 0x73), (0xCC, 0x79, 0xA7),
                (0xD5, 0x5E, 0x00), (0x56, 0xB4, 0xE9))  # fmt: skip
CLASS_ZERO = (0xF4, 0xF4, 0xF4)
SHADES = 31  # TFP quantizes [-1, 1] into 31 colours
MAX_SIDE = 1600  # pixels a side of a boundary picture (size × scale): about 8 MB drawn


def side_error(size: int, scale: int) -> str | None:
    """Why a size×size grid drawn ``scale`` times larger is too big a picture, or None."""
    if size * scale <= MAX_SIDE:
        return None
    return (
        f"size × scale must be at most {MAX_SIDE} pixels a side, got {size} × {scale} = "
        f"{size * scale}; with size {size} the allowed range is scale 1..{MAX_SIDE // size}"
    )


def palette(shades: int = SHADES) -> np.ndarray:
    """(shades, 3) uint8: orange (-1) through grey (0) to blue (+1), interpolated in RGB."""
    a = np.linspace(0, 1, shades)[:, None]
    low = np.array(ORANGE) + (np.array(GREY) - np.array(ORANGE)) * np.clip(a * 2, 0, 1)
    high = np.array(GREY) + (np.array(BLUE) - np.array(GREY)) * np.clip(a * 2 - 1, 0, 1)
    shades_rgb: np.ndarray = np.round(np.where(a <= 0.5, low, high)).astype(np.uint8)
    return shades_rgb


def colorize(values: np.ndarray, discretize: bool = False) -> np.ndarray:
    """(H, W) values in [-1, 1] -> (H, W, 3) uint8 with TFP's quantized scale."""
    v = np.nan_to_num(values, nan=0.0)
    if discretize:
        v = np.where(v >= 0, 1.0, -1.0)
    index = np.clip(((v + 1) / 2 * SHADES).astype(int), 0, SHADES - 1)
    colors: np.ndarray = palette()[index]
    return colors


def draw_points(
    image: np.ndarray,
    points: np.ndarray,
    labels: np.ndarray,
    outline: tuple[int, int, int],
    classes: int = 0,
) -> None:
    """Discs coloured by label (by class number when ``classes``) on an image that spans
    [-6, 6]² (row 0 is y = +6)."""
    size = image.shape[0]
    if classes:
        colors = np.array(CLASS_COLORS, dtype=np.uint8)[labels.astype(int) % len(CLASS_COLORS)]
    else:
        colors = colorize(labels[None, :])[0]
    radius = max(2, size // 130)
    yy, xx = np.mgrid[-radius - 1 : radius + 2, -radius - 1 : radius + 2]
    dist = np.hypot(yy, xx)
    for (x, y), color in zip(points, colors, strict=True):
        if not (-7 <= x <= 7 and -7 <= y <= 7):  # off the picture (uploaded points may be)
            continue
        col = int(round((x + DOMAIN) / (2 * DOMAIN) * (size - 1)))
        row = int(round((DOMAIN - y) / (2 * DOMAIN) * (size - 1)))
        for mask, fill in ((dist <= radius + 1, outline), (dist <= radius, tuple(color))):
            rr, cc = yy[mask] + row, xx[mask] + col
            ok = (rr >= 0) & (rr < size) & (cc >= 0) & (cc < size)
            image[rr[ok], cc[ok]] = fill


def png(image: np.ndarray) -> bytes:
    """Encode an (H, W, 3) uint8 image as PNG."""
    height, width, _ = image.shape
    raw = b"".join(b"\0" + image[row].tobytes() for row in range(height))

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 6))
        + chunk(b"IEND", b"")
    )


def boundary_png(grid: np.ndarray, split: Any, scale: int, test: bool, discretize: bool) -> bytes:
    """The output grid upscaled ``scale`` times, with training (and test) points."""
    image = np.repeat(np.repeat(colorize(grid, discretize), scale, 0), scale, 1)
    draw_points(image, split.train_x, split.train_y, (255, 255, 255))
    if test:
        draw_points(image, split.test_x, split.test_y, (0, 0, 0))
    return png(image)


def class_colorize(winner: np.ndarray, confidence: np.ndarray, classes: int) -> np.ndarray:
    """(H, W) winning classes and their probabilities -> (H, W, 3) uint8: the class's colour,
    faded toward grey where the network is unsure (as the page draws k classes)."""
    full = np.array(CLASS_COLORS, dtype=np.float64)[winner.astype(int) % len(CLASS_COLORS)]
    sure = np.clip((np.nan_to_num(confidence) - 1 / classes) / (1 - 1 / classes), 0, 1)
    t = (0.15 + 0.85 * sure)[..., None]
    mixed: np.ndarray = np.round(np.array(CLASS_ZERO) * (1 - t) + full * t).astype(np.uint8)
    return mixed


def stored_pictures(
    output: np.ndarray, confidence: np.ndarray | None, split: Any, classes: int
) -> tuple[bytes, bytes]:
    """(thumbnail, picture) of a saved experiment from a 100×100 output grid (with
    ``confidence`` for k > 2 ``classes``): the boundary at 100 px, and at 400 px with its
    training and test points."""
    if confidence is not None:
        image = class_colorize(output, confidence, classes)
    else:
        image = colorize(output)
    big = np.repeat(np.repeat(image, 4, 0), 4, 1)
    k = classes if confidence is not None else 0
    draw_points(big, split.train_x, split.train_y, (255, 255, 255), k)
    draw_points(big, split.test_x, split.test_y, (0, 0, 0), k)
    return png(np.ascontiguousarray(image)), png(big)


def figure_json(grid: np.ndarray, split: Any, history: dict[str, list[Any]]) -> str:
    """A Plotly figure (boundary, points, loss curves) as JSON for plotly.io.from_json."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots  # imported on use: it is slow to import

    axis = np.linspace(-DOMAIN, DOMAIN, grid.shape[0])
    scale = [
        [at, "#{:02x}{:02x}{:02x}".format(*rgb)]
        for at, rgb in ((0, ORANGE), (0.5, GREY), (1, BLUE))
    ]
    fig = make_subplots(
        rows=1, cols=2, subplot_titles=("Output", "Loss"), column_widths=[0.55, 0.45]
    )
    fig.add_trace(
        go.Heatmap(
            x=axis, y=axis[::-1], z=grid, zmin=-1, zmax=1, colorscale=scale, showscale=False
        ),
        1,
        1,
    )
    for name, x, y, line in (
        ("train", split.train_x, split.train_y, "white"),
        ("test", split.test_x, split.test_y, "black"),
    ):
        fig.add_trace(
            go.Scatter(
                x=x[:, 0],
                y=x[:, 1],
                mode="markers",
                name=f"{name} points",
                marker={
                    "color": y,
                    "cmin": -1,
                    "cmax": 1,
                    "colorscale": scale,
                    "size": 6,
                    "line": {"color": line, "width": 1},
                },
            ),
            1,
            1,
        )
    for key, color in (("train_loss", "#333"), ("test_loss", "#999")):
        fig.add_trace(
            go.Scatter(
                x=history["epoch"],
                y=history[key],
                name=key.replace("_", " "),
                line={"color": color},
            ),
            1,
            2,
        )
    fig.update_xaxes(range=[-DOMAIN, DOMAIN], row=1, col=1)
    fig.update_yaxes(range=[-DOMAIN, DOMAIN], scaleanchor="x", row=1, col=1)
    fig.update_xaxes(title_text="epoch", row=1, col=2)
    return str(fig.to_json())
