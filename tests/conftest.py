from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch
from fastapi.testclient import TestClient

from server.app import create_app
from server.config import Settings
from server.engine import compiled

# as the worker does (server/runtime/worker.py): tests that train outside it would otherwise run
# small steps on two threads, many times slower on a busy machine
torch.set_num_threads(1)

# the compiled kernel ready before any worker starts (from numba's disk cache after the
# first run): which engine trains a session does not depend on how fast a test began
compiled.prepare(background=False)

# Storage (server/storage) defaults to the per-user data directory: every test run gets one
# of its own (servers started in subprocesses inherit it), and every test below one more.
os.environ["XDG_DATA_HOME"] = tempfile.mkdtemp(prefix="playground-tests-")


@pytest.fixture(autouse=True)
def data_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """This test's own data directory: no session or experiment leaks between tests."""
    home = tmp_path / "data-home"
    monkeypatch.setenv("XDG_DATA_HOME", str(home))
    return home


@pytest.fixture
def settings() -> Settings:
    return Settings(max_sessions=20, max_train_epochs=2_000, max_points=2_000)


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as c:
        yield c


@pytest.fixture
def session(client: TestClient) -> str:
    r = client.post("/api/sessions", json={"config": {}})
    assert r.status_code == 201
    return r.json()["id"]


@pytest.fixture
def diverging(client: TestClient) -> str:
    """A session whose loss blows up within a few hundred epochs (lr 10, linear units)."""
    config = {
        "problem": "regression",
        "dataset": "plane",
        "activation": "linear",
        "hidden": [8, 8, 8],
        "learning_rate": 10,
    }
    return client.post("/api/sessions", json={"config": config}).json()["id"]
