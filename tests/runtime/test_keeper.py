"""Sessions survive the server (runtime/keeper.py): checkpointed while they train, a
person's change committed before it is acknowledged, everything at shutdown, restored
paused at the next start. In process (the app's lifespan) and as a real process stopped
by SIGTERM or killed by SIGKILL."""

from __future__ import annotations

import contextlib
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from server.app import create_app
from server.config import Settings
from server.errors import StorageFailed
from server.storage import checkpoints
from server.storage.database import Database
from server.storage.schema import checkpoints as table
from tests.helpers.live import LiveServer

SPIRAL = {"dataset": "spiral", "hidden": [6, 4], "batch_size": 5, "seed": 7}


def settings(data: Path, **more: Any) -> Settings:
    return Settings(data_dir=str(data), idle_pause=10**6, **more)


@pytest.fixture
def data(tmp_path: Path) -> Path:
    return tmp_path / "data"


def snapshot(c: TestClient, sid: str) -> dict[str, Any]:
    """Everything a person would see of a session."""
    s = c.get(f"/api/sessions/{sid}").json()
    return {
        "epoch": s["epoch"],
        "config": s["config"],
        "custom_data": s["custom_data"],
        "speed": s["speed"],
        "params": c.get(f"/api/sessions/{sid}/params").json(),
        "data": c.get(f"/api/sessions/{sid}/data").json(),
        "history": c.get(f"/api/sessions/{sid}/history").json(),
    }


def stored_row(data: Path, sid: str) -> checkpoints.Found | None:
    database = Database.open(Settings(data_dir=str(data)))
    try:
        with database.begin() as c:
            return checkpoints.find(c, sid)
    finally:
        database.close()


def test_a_restart_brings_every_session_back_paused_as_it_was(data: Path) -> None:
    with TestClient(create_app(settings(data))) as c:
        trained = c.post("/api/sessions", json={"config": SPIRAL}).json()["id"]
        c.post(f"/api/sessions/{trained}/train", json={"epochs": 120})
        c.post(f"/api/sessions/{trained}/points", json={"x": 1.25, "y": -3.5, "label": 1})
        c.put(f"/api/sessions/{trained}/speed", json={"speed": 7})
        c.post(f"/api/sessions/{trained}/play")
        fresh = c.post("/api/sessions", json={"config": {}}).json()["id"]
        c.post(f"/api/sessions/{trained}/pause")
        before = {sid: snapshot(c, sid) for sid in (trained, fresh)}
    with TestClient(create_app(settings(data))) as c:
        assert c.get("/api/health").json()["sessions"] == 2
        for sid, was in before.items():
            assert snapshot(c, sid) == was
        assert c.get(f"/api/sessions/{trained}").json()["state"] == "paused"
        assert c.get(f"/api/sessions/{fresh}").json()["state"] == "idle"
        assert before[trained]["epoch"] >= 120 and before[trained]["custom_data"]


def test_a_restored_session_trains_on_exactly_as_an_uninterrupted_one(data: Path) -> None:
    with TestClient(create_app(settings(data))) as c:
        interrupted = c.post("/api/sessions", json={"config": SPIRAL}).json()["id"]
        c.post(f"/api/sessions/{interrupted}/train", json={"epochs": 75})
    with TestClient(create_app(settings(data))) as c:
        c.post(f"/api/sessions/{interrupted}/train", json={"epochs": 75})
        restarted = snapshot(c, interrupted)
    with TestClient(create_app(Settings(storage=False))) as c:
        straight = c.post("/api/sessions", json={"config": SPIRAL}).json()["id"]
        c.post(f"/api/sessions/{straight}/train", json={"epochs": 150})
        uninterrupted = snapshot(c, straight)
    assert restarted == uninterrupted


def test_a_change_is_stored_before_it_is_acknowledged(data: Path) -> None:
    with TestClient(create_app(settings(data))) as c:
        sid = c.post("/api/sessions", json={"config": {}}).json()["id"]
        assert stored_row(data, sid) is not None  # a new session is stored at once
        c.post(f"/api/sessions/{sid}/points", json={"x": 2.5, "y": 2.5, "label": -1})
        row = stored_row(data, sid)
        assert row is not None and row.stored.points is not None  # its own points now
        c.patch(f"/api/sessions/{sid}", json={"config": {"learning_rate": 0.3}})
        found = stored_row(data, sid)
        assert found is not None and b'"learning_rate":0.3' in found.stored.body


def test_training_is_checkpointed_while_it_runs(data: Path) -> None:
    with TestClient(create_app(settings(data, checkpoint_interval=0.2))) as c:
        sid = c.post("/api/sessions", json={"config": {}}).json()["id"]
        c.post(f"/api/sessions/{sid}/play")
        deadline = time.monotonic() + 30
        epochs: set[int] = set()
        while len(epochs) < 3 and time.monotonic() < deadline:
            row = stored_row(data, sid)
            if row is not None and row.stored.epoch > 0:
                epochs.add(row.stored.epoch)
            time.sleep(0.05)  # polling the database for the next checkpoint
        assert len(epochs) >= 3, "checkpoints did not follow training"


def test_an_expired_session_is_not_restored_but_its_last_copy_is_kept(data: Path) -> None:
    with TestClient(create_app(settings(data))) as c:
        sid = c.post("/api/sessions", json={"config": {}}).json()["id"]
        c.post(f"/api/sessions/{sid}/train", json={"epochs": 30})
    database = Database.open(settings(data))
    with database.begin() as conn:  # as if the server had been down for two hours
        conn.execute(update(table).values(active_at=table.c.active_at - 7200))
    database.close()
    with TestClient(create_app(settings(data))) as c:
        assert c.get(f"/api/sessions/{sid}").status_code == 404
        copy = c.get(f"/api/sessions/{sid}/last-copy").json()
        assert copy["ended"] == "expired" and copy["epoch"] == 30
        revived = c.post(f"/api/sessions/{sid}/last-copy").json()
        assert revived["epoch"] == 30 and revived["id"] != sid


def test_a_tampered_row_is_set_aside_and_the_others_come_back(
    data: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with TestClient(create_app(settings(data))) as c:
        good = c.post("/api/sessions", json={"config": {}}).json()["id"]
        bad = c.post("/api/sessions", json={"config": {}}).json()["id"]
    database = Database.open(settings(data))
    with database.begin() as conn:
        conn.execute(update(table).where(table.c.id == bad).values(body=b'{"format": "evil"}'))
    database.close()
    with TestClient(create_app(settings(data))) as c:
        assert c.get(f"/api/sessions/{good}").status_code == 200
        assert c.get(f"/api/sessions/{bad}").status_code == 404
    assert any(bad in r.getMessage() and "not restored" in r.getMessage() for r in caplog.records)
    row = stored_row(data, bad)
    assert row is not None and row.ended == "refused"  # not tried again at every start


@contextlib.contextmanager
def failing(c: TestClient, why: str = "the disk is full (database or disk is full)") -> Any:
    """While inside, every commit of the app's storage fails with ``why``."""
    writer = c.app.state.manager.keeper.writer  # type: ignore[attr-defined]
    real = writer.database.begin

    def fail() -> Any:
        raise StorageFailed(f"storage at test: {why}")

    writer.database.begin = fail
    try:
        yield
    finally:
        writer.database.begin = real


def test_a_failed_write_is_an_error_naming_why_and_the_server_goes_on(data: Path) -> None:
    with TestClient(create_app(settings(data))) as c:
        sid = c.post("/api/sessions", json={"config": {}}).json()["id"]
        with failing(c):
            r = c.post(f"/api/sessions/{sid}/points", json={"x": 1, "y": 1, "label": 1})
            assert r.status_code == 503
            assert "not saved" in r.json()["detail"] and "disk is full" in r.json()["detail"]
            assert c.get(f"/api/sessions/{sid}").json()["custom_data"]  # the change stands
        r = c.post(f"/api/sessions/{sid}/points", json={"x": 2, "y": 1, "label": 1})
        assert r.status_code == 200  # once the disk has room again, writes go through


def test_storage_off_writes_nothing(data: Path) -> None:
    with TestClient(create_app(Settings(storage=False, data_dir=str(data)))) as c:
        c.post("/api/sessions", json={"config": {}})
    assert not data.exists()


def test_a_damaged_database_stops_the_start_with_a_message(data: Path) -> None:
    data.mkdir()
    (data / "playground.db").write_bytes(b"this is not a database file at all" * 100)
    with pytest.raises(StorageFailed, match="damaged"):
        create_app(settings(data))


# -- a real process: SIGTERM loses nothing, SIGKILL at most the last seconds of training -----
@pytest.fixture
def live(data: Path) -> Iterator[list[LiveServer]]:
    servers: list[LiveServer] = []
    yield servers
    for server in servers:
        server.stop()


def start(live: list[LiveServer], data: Path, interval: str = "1") -> LiveServer:
    server = LiveServer("--data-dir", str(data), "--idle-pause", "1000000",
                        "--checkpoint-interval", interval)  # fmt: skip
    live.append(server)
    return server


def test_sigterm_loses_nothing(live: list[LiveServer], data: Path) -> None:
    server = start(live, data, interval="3600")  # only the shutdown checkpoints it
    with httpx.Client(base_url=server.url, timeout=60) as c:
        exact = c.post("/api/sessions", json={"config": SPIRAL}).json()["id"]
        c.post(f"/api/sessions/{exact}/train", json={"epochs": 300})
        params = c.get(f"/api/sessions/{exact}/params").json()
        running = c.post("/api/sessions", json={"config": {}}).json()["id"]
        c.put(f"/api/sessions/{running}/speed", json={"speed": "max"})
        c.post(f"/api/sessions/{running}/play")
        while (seen := c.get(f"/api/sessions/{running}").json()["epoch"]) < 50:
            time.sleep(0.05)  # polling until it has trained a while
        server.terminate()  # it trains on until the worker stops
        # uvicorn re-raises the signal once it has shut down, so supervisors see it
        assert server.process.wait(timeout=60) in (0, -15), server.output()
    again = start(live, data)
    with httpx.Client(base_url=again.url, timeout=30) as c:
        assert c.get(f"/api/sessions/{exact}").json()["epoch"] == 300
        assert c.get(f"/api/sessions/{exact}/params").json() == params
        back = c.get(f"/api/sessions/{running}").json()
        history = c.get(f"/api/sessions/{running}/history").json()
    assert back["state"] == "paused" and back["epoch"] >= seen
    assert history["epoch"][-1] == back["epoch"]


def test_sigkill_loses_no_entered_point_and_at_most_seconds_of_training(
    live: list[LiveServer], data: Path
) -> None:
    server = start(live, data)
    with httpx.Client(base_url=server.url, timeout=30) as c:
        sid = c.post("/api/sessions", json={"config": SPIRAL}).json()["id"]
        c.put(f"/api/sessions/{sid}/speed", json={"speed": 200})
        c.post(f"/api/sessions/{sid}/play")
        while c.get(f"/api/sessions/{sid}").json()["epoch"] < 400:  # 2 s at 200 epochs/s
            time.sleep(0.05)  # polling until it has trained a while
        assert c.post(f"/api/sessions/{sid}/points", json={"x": 4, "y": 4, "label": -1}).is_success
        at_kill = c.get(f"/api/sessions/{sid}").json()["epoch"]
        server.process.send_signal(signal.SIGKILL)
        server.process.wait(timeout=30)
    again = start(live, data)
    with httpx.Client(base_url=again.url, timeout=30) as c:
        back = c.get(f"/api/sessions/{sid}").json()
        points = c.get(f"/api/sessions/{sid}/data").json()["train"]
    assert [4.0, 4.0, -1.0] in points  # acknowledged, so durable
    # at most the checkpoint interval (1 s) and a write of training: 200 epochs/s
    assert at_kill - 2 * 200 <= back["epoch"] <= at_kill + 200
