"""Points in and out: labels checked against the problem, CSV parsing and formatting,
point edits on a Split, and validation of uploaded points.

Pure functions of the engine's objects and the schemas: no web imports, no sessions.
"""

from __future__ import annotations

import csv
import io
import itertools
import math
import time
from collections.abc import Iterator
from typing import Any

import numpy as np

from server.engine.data.datasets import Split
from server.errors import InvalidInput
from server.protocol.rest import Data

CSV_COLUMNS = ("x", "y", "label", "split")
SPLITS = ("train", "test")
YIELD_EVERY = 200  # rows parsed between hand-overs of the interpreter to other threads
MAX_CSV_BYTES = 1_000_000  # an uploaded CSV file, at most (10,000 points take about 400 KB)
MAX_CSV_FIELD = 100  # characters in one CSV value: plenty for a number, a label or a split
REMOVE_RADIUS = 0.5  # remove_point takes the nearest point at most this far away


# -- labels ---------------------------------------------------------------------------------
def classes_of(config: Any) -> int:
    """Number of classes of a config (2 unless the config has more)."""
    return int(getattr(config, "classes", 2) or 2)


def labels_error(labels: np.ndarray, problem: str, classes: int = 2) -> tuple[int, str] | None:
    """(index, why) of the first label that does not fit the problem, or None.

    Regression: any finite number. Two classes: 1 or -1. More: a class number 0..k-1."""
    finite = np.isfinite(labels)
    if problem == "regression":
        ok = finite
        why = "must be a finite number"
    elif classes > 2:
        ok = finite & (labels == np.round(labels)) & (labels >= 0) & (labels < classes)
        why = f"must be a class number 0..{classes - 1} ({classes} classes)"
    else:
        ok = np.isin(labels, (-1.0, 1.0))
        why = "must be 1 or -1 (two-class classification)"
    bad = np.flatnonzero(~ok)
    if not len(bad):
        return None
    return int(bad[0]), f"{why}, got {_number(float(labels[bad[0]]))}"


# -- CSV ------------------------------------------------------------------------------------
def parse_csv(text: str, problem: str, classes: int, max_points: int, bare: bool = False) -> Split:
    """Points from CSV text with a header naming x, y, label and split (in any order),
    checked as it reads them: the finished data set, ready for a session. ``bare`` (a
    GAN's or an autoencoder's points): label and split may be left out (label 1, train).

    Errors name the row as a spreadsheet numbers it (the header is row 1) and the column;
    their field is ``"row N.column"``."""
    names: list[str] = []  # the header's column names, once it is read
    rows = _records(text, names)
    _, header = next(rows, (1, []))
    if not any(cell.strip() for cell in header):
        raise InvalidInput(
            "the file is empty: the first row must name the columns x, y, label, split", "row 1"
        )
    names.extend(cell.strip().lower() for cell in header)
    for name, cell in zip(names, header, strict=True):
        if name not in CSV_COLUMNS:
            raise InvalidInput(
                f"row 1: unknown column {cell.strip()!r}; the columns are x, y, label, split",
                f"row 1.{cell.strip()}",
            )
        if names.count(name) > 1:
            raise InvalidInput(f"row 1: column {name!r} appears twice", f"row 1.{name}")
    for name in ("x", "y") if bare else CSV_COLUMNS:
        if name not in names:
            raise InvalidInput(
                f"row 1: column {name!r} is missing; the columns are x, y, label, split",
                f"row 1.{name}",
            )
    parts: dict[str, list[tuple[float, float, float]]] = {"train": [], "test": []}
    row_of: dict[str, list[int]] = {"train": [], "test": []}  # each point's row, for errors
    count = 0
    for row, cells in rows:
        if row % YIELD_EVERY == 0:
            time.sleep(0)  # let the worker thread have the interpreter (parsing holds it)
        if not any(cell.strip() for cell in cells):
            continue  # blank lines are allowed
        values = dict(zip(names, cells, strict=False))
        if len(cells) < len(names):
            name = names[len(cells)]
            raise InvalidInput(f"row {row}, column {name}: no value", f"row {row}.{name}")
        if len(cells) > len(names):
            raise InvalidInput(
                f"row {row}: {len(cells)} values but {len(names)} columns", f"row {row}"
            )
        count += 1
        if count > max_points:
            raise InvalidInput(
                f"row {row}: too many points; at most {max_points} (the server's max_points)",
                f"row {row}",
            )
        values.setdefault("label", "1")
        values.setdefault("split", "train")
        x, y, label = (_cell_number(values[name], row, name) for name in ("x", "y", "label"))
        split = values["split"].strip().lower()
        if split not in SPLITS:
            raise InvalidInput(
                f"row {row}, column split: must be train or test, got {values['split']!r}",
                f"row {row}.split",
            )
        parts[split].append((x, y, label))
        row_of[split].append(row)
    train, test = (np.array(parts[p], dtype=np.float64).reshape(-1, 3) for p in SPLITS)
    # every label checked at once (one row at a time cost half the parse); the first bad
    # one in file order is named
    bad = []
    for part, points in (("train", train), ("test", test)):
        wrong = labels_error(points[:, 2], problem, classes)
        if wrong:
            bad.append((row_of[part][wrong[0]], wrong[1]))
    if bad:
        row, why = min(bad)
        raise InvalidInput(f"row {row}, column label: {why}", f"row {row}.label")
    if not parts["train"]:
        raise InvalidInput("no training rows: at least one row needs split 'train'", "split")
    return Split(train[:, :2], train[:, 2], test[:, :2], test[:, 2])


def _records(text: str, names: list[str]) -> Iterator[tuple[int, list[str]]]:
    """(row, cells) of each CSV record, rows numbered as a spreadsheet does (the header is
    row 1). A value over MAX_CSV_FIELD characters, or a row the csv module cannot read, is
    InvalidInput naming the row (and the column, by ``names`` or by its position)."""
    lines: list[str] = []  # the text lines of the record being read

    def source() -> Iterator[str]:
        for line in io.StringIO(text):
            lines.append(line)
            yield line

    reader = csv.reader(source())
    for row in itertools.count(1):
        lines.clear()
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:  # past the csv module's own field limit, a stray \r, ...
            index = _long_value("".join(lines))
            if index is not None:
                raise _too_long(row, index, names) from None
            raise InvalidInput(f"row {row}: not readable as CSV ({exc})", f"row {row}") from None
        index = next((i for i, cell in enumerate(cells) if len(cell) > MAX_CSV_FIELD), None)
        if index is not None:
            raise _too_long(row, index, names)
        yield row, cells


def _too_long(row: int, index: int, names: list[str]) -> InvalidInput:
    name = names[index] if index < len(names) else str(index + 1)
    return InvalidInput(
        f"row {row}, column {name}: longer than {MAX_CSV_FIELD} characters", f"row {row}.{name}"
    )


def _long_value(record: str) -> int | None:
    """Index of the first value of a record's raw CSV text longer than MAX_CSV_FIELD."""
    index, length, quoted = 0, 0, False
    for char in record.rstrip("\r\n"):
        if char == '"':
            quoted = not quoted
        elif char == "," and not quoted:
            index, length = index + 1, 0
        else:
            length += 1
            if length > MAX_CSV_FIELD:
                return index
    return None


def _cell_number(cell: str, row: int, column: str) -> float:
    try:
        value = float(cell.strip())
    except ValueError:
        raise InvalidInput(
            f"row {row}, column {column}: not a number: {cell!r}", f"row {row}.{column}"
        ) from None
    if not math.isfinite(value):
        raise InvalidInput(
            f"row {row}, column {column}: must be a finite number, got {cell.strip()!r}",
            f"row {row}.{column}",
        )
    return value


def _number(value: float) -> str:
    """Shortest text that reads back as exactly ``value``; whole numbers without '.0'."""
    text = repr(float(value))
    return text[:-2] if text.endswith(".0") else text


def format_csv(split: Split) -> str:
    """The points as CSV (x, y, label, split): training points first, in training order."""
    out = io.StringIO()
    out.write(",".join(CSV_COLUMNS) + "\n")
    for name, xs, ys in (
        ("train", split.train_x, split.train_y),
        ("test", split.test_x, split.test_y),
    ):
        for (x, y), label in zip(np.asarray(xs).reshape(-1, 2), ys, strict=True):
            out.write(f"{_number(x)},{_number(y)},{_number(label)},{name}\n")
    return out.getvalue()


# -- point edits ----------------------------------------------------------------------------
def empty_split() -> Split:
    """No points at all."""
    return Split(np.empty((0, 2)), np.empty(0), np.empty((0, 2)), np.empty(0))


def with_point(split: Split, x: float, y: float, label: float, part: str) -> Split:
    """``split`` with (x, y, label) appended to its training or test points."""
    assert part in SPLITS
    px, py = (split.train_x, split.train_y) if part == "train" else (split.test_x, split.test_y)
    px = np.concatenate([np.asarray(px, dtype=np.float64).reshape(-1, 2), [[x, y]]])
    py = np.concatenate([np.asarray(py, dtype=np.float64), [label]])
    if part == "train":
        return Split(px, py, split.test_x, split.test_y)
    return Split(split.train_x, split.train_y, px, py)


def without_nearest(split: Split, x: float, y: float, radius: float) -> Split | None:
    """``split`` without the point nearest (x, y), training or test; None if none lies
    within ``radius``."""
    best: tuple[float, str, int] | None = None
    for part, points in (("train", split.train_x), ("test", split.test_x)):
        points = np.asarray(points, dtype=np.float64).reshape(-1, 2)  # (N, 2)
        if not len(points):
            continue
        dist = np.hypot(points[:, 0] - x, points[:, 1] - y)
        index = int(np.argmin(dist))
        if dist[index] <= radius and (best is None or dist[index] < best[0]):
            best = (float(dist[index]), part, index)
    if best is None:
        return None
    _, part, index = best
    if part == "train":
        return Split(
            np.delete(split.train_x, index, 0),
            np.delete(split.train_y, index),
            split.test_x,
            split.test_y,
        )
    return Split(
        split.train_x,
        split.train_y,
        np.delete(split.test_x, index, 0),
        np.delete(split.test_y, index),
    )


def check_data(data: Data, problem: str, max_points: int, classes: int = 2) -> Split:
    """Uploaded points as a Split, or InvalidInput naming the first bad row and column."""
    total = len(data.train) + len(data.test)
    if total > max_points:
        raise InvalidInput(f"at most {max_points} points in all, got {total}", "train")
    if not data.train:
        raise InvalidInput("at least one training point is needed", "train")
    parts = []
    for part in ("train", "test"):
        rows = np.array(getattr(data, part), dtype=np.float64).reshape(-1, 3)
        bad = np.argwhere(~np.isfinite(rows))
        if len(bad):
            r, c = bad[0]
            raise InvalidInput(
                f"must be a finite number ({['x', 'y', 'label'][c]})", f"{part}.{r}.{c}"
            )
        wrong = labels_error(rows[:, 2], problem, classes)
        if wrong:
            raise InvalidInput(f"label {wrong[1]}", f"{part}.{wrong[0]}.2")
        parts.append(rows)
    (train, test) = parts
    return Split(train[:, :2], train[:, 2], test[:, :2], test[:, 2])
