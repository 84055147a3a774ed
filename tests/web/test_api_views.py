"""REST routes of web/api_views.py: read-only views of a session (history, metrics, the
boundary as numbers, a PNG and a figure)."""

from __future__ import annotations

import asyncio
import struct
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Literal

import plotly.io
import pytest
from fastapi.testclient import TestClient

from server.app import create_app
from server.config import Settings
from tests.helpers.api import THREE, create, train


def test_boundary_png_with_far_away_uploaded_points(client: TestClient, session: str) -> None:
    client.put(f"/api/sessions/{session}/data", json={"train": [[1e20, 0, 1], [0, 0, -1]]})
    r = client.get(f"/api/sessions/{session}/boundary.png")
    assert r.status_code == 200 and r.content.startswith(b"\x89PNG")


def test_three_classes_switch_to_cross_entropy_and_train(client: TestClient) -> None:
    body = create(client, **THREE)
    assert body["config"]["loss"] == "cross_entropy" and body["config"]["classes"] == 3
    sid = body["id"]
    shapes = [
        len(layer["bias"]) for layer in client.get(f"/api/sessions/{sid}/params").json()["layers"]
    ]
    assert shapes == [6, 3]
    labels = {row[2] for row in client.get(f"/api/sessions/{sid}/data").json()["train"]}
    assert labels == {0.0, 1.0, 2.0}
    history = client.post(f"/api/sessions/{sid}/train", json={"epochs": 30}).json()["history"]
    assert history[-1]["train_loss"] < history[0]["train_loss"]
    metrics = client.get(f"/api/sessions/{sid}/metrics").json()
    assert metrics["classes"] == 3 and metrics["labels"] == [0, 1, 2]
    assert metrics["train_accuracy"] > 0.9 and len(metrics["test_confusion"]) == 3
    assert sum(map(sum, metrics["train_confusion"])) == 250
    assert client.get(f"/api/sessions/{sid}").json()["metrics"] == metrics
    grid = client.get(f"/api/sessions/{sid}/boundary?size=12").json()
    assert grid["classes"] == 3 and {v for row in grid["values"] for v in row} <= {0, 1, 2}
    assert all(1 / 3 <= p <= 1 for row in grid["confidence"] for p in row)
    assert client.get(f"/api/sessions/{sid}/boundary.png").status_code == 409


def test_two_class_cross_entropy_reports_outputs_in_minus_one_to_one(
    client: TestClient,
) -> None:
    config = {"features": ["x1_squared", "x2_squared"], "hidden": [], "learning_rate": 0.1}
    sid = create(client, loss="cross_entropy", **config)["id"]
    assert client.get(f"/api/sessions/{sid}/params").json()["layers"][-1]["bias"] == [0.1]
    client.post(f"/api/sessions/{sid}/train", json={"epochs": 50})
    values = [v for row in client.get(f"/api/sessions/{sid}/boundary?size=10").json()["values"]
              for v in row]  # fmt: skip
    assert min(values) < 0 < max(values) and all(-1 <= v <= 1 for v in values)
    assert client.get(f"/api/sessions/{sid}/metrics").json()["train_accuracy"] > 0.8


def test_boundary_png_and_figure(client: TestClient, session: str) -> None:
    grid = client.get(f"/api/sessions/{session}/boundary?size=20").json()
    assert grid["size"] == 20 and len(grid["values"]) == 20 and len(grid["values"][0]) == 20
    png = client.get(f"/api/sessions/{session}/boundary.png?test=true")
    assert png.headers["content-type"] == "image/png" and png.content.startswith(b"\x89PNG")
    train(client, session, 3)
    fig = plotly.io.from_json(client.get(f"/api/sessions/{session}/figure").text)
    names = [trace.name for trace in fig.data]
    assert "train loss" in names and "test loss" in names
    assert list(fig.data[names.index("train loss")].x) == [0, 1, 2, 3]


def test_a_picture_past_1600_pixels_a_side_is_refused(client: TestClient, session: str) -> None:
    r = client.get(f"/api/sessions/{session}/boundary.png?size=400&scale=8")
    assert r.status_code == 422
    detail = r.json()["detail"][0]
    assert detail["loc"] == ["query", "scale"]
    assert "at most 1600 pixels a side" in detail["msg"] and "scale 1..4" in detail["msg"]
    png = client.get(f"/api/sessions/{session}/boundary.png?size=200&scale=8")
    assert png.status_code == 200
    assert struct.unpack(">II", png.content[16:24]) == (1600, 1600)  # IHDR: width, height


class CountingSemaphore(asyncio.Semaphore):
    """A semaphore that says, under ``changed``, how many wait for it."""

    def __init__(self, value: int, changed: threading.Condition) -> None:
        super().__init__(value)
        self.changed = changed
        self.waiting = 0

    async def acquire(self) -> Literal[True]:
        with self.changed:
            self.waiting += 1
            self.changed.notify_all()
        try:
            return await super().acquire()
        finally:
            with self.changed:
                self.waiting -= 1
                self.changed.notify_all()


@pytest.mark.parametrize("path", ["boundary.png?size=10&scale=1", "figure"])
def test_pictures_draw_a_few_at_a_time(
    client: TestClient, session: str, monkeypatch: pytest.MonkeyPatch, path: str
) -> None:
    from server.web import api_views, deps

    changed = threading.Condition()
    drawing, most = 0, 0
    release = threading.Event()
    slots = CountingSemaphore(deps.MAX_PICTURES, changed)
    client.app.state.picture_slots = slots  # type: ignore[attr-defined]

    def draw(*args: object) -> bytes:
        nonlocal drawing, most
        with changed:
            drawing += 1
            most = max(most, drawing)
            changed.notify_all()
        release.wait()
        with changed:
            drawing -= 1
        return b""

    monkeypatch.setattr(api_views, "boundary_png", draw)
    monkeypatch.setattr(api_views, "figure_json", draw)
    extra = 3
    with ThreadPoolExecutor(deps.MAX_PICTURES + extra) as pool:
        replies = [
            pool.submit(client.get, f"/api/sessions/{session}/{path}")
            for _ in range(deps.MAX_PICTURES + extra)
        ]
        try:
            with changed:  # every request is in: a few drawing, the rest waiting their turn
                settled = changed.wait_for(
                    lambda: drawing + slots.waiting == len(replies), timeout=60
                )
                assert settled and drawing == deps.MAX_PICTURES, (
                    drawing,
                    slots.waiting,
                )
        finally:
            release.set()
        assert [reply.result().status_code for reply in replies] == [200] * len(replies)
    assert most == deps.MAX_PICTURES


def test_each_app_has_its_own_picture_semaphore(settings: Settings) -> None:
    slots = []
    for _ in range(2):
        with TestClient(create_app(settings)) as c:
            sid = c.post("/api/sessions", json={}).json()["id"]
            assert c.get(f"/api/sessions/{sid}/boundary.png?size=10&scale=1").status_code == 200
            slots.append(c.app.state.picture_slots)  # type: ignore[attr-defined]
    assert isinstance(slots[0], asyncio.Semaphore) and slots[0] is not slots[1]


def test_history_lists_every_epoch(client: TestClient, session: str) -> None:
    train(client, session, 4)
    history = client.get(f"/api/sessions/{session}/history").json()
    assert history["epoch"] == [0, 1, 2, 3, 4]
    assert len(history["train_loss"]) == 5
