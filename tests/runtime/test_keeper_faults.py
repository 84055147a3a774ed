"""Storage faults a probe found, each once a crash, a 500 or lost work: an unreadable row,
tampered experiments, a second server on one database, a database deleted while running,
last copies filling storage, a session outgrowing its checkpoint limit, a failing create,
names no one can read."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text, update

from server.app import create_app
from server.config import Settings
from server.errors import StorageFailed
from server.storage.database import Database
from server.storage.schema import checkpoints, experiments
from tests.runtime.test_keeper import failing, stored_row

KEY = {"X-Owner-Key": "faults-owner-key-0123456789"}


def settings(data: Path, **more: Any) -> Settings:
    return Settings(data_dir=str(data), idle_pause=10**6, **more)


def sql(data: Path, statement: Any) -> None:
    database = Database.open(Settings(data_dir=str(data)))
    with database.begin() as c:
        c.execute(statement)
    database.close()


def test_a_row_the_database_cannot_hand_over_is_set_aside(tmp_path: Path) -> None:
    with TestClient(create_app(settings(tmp_path))) as c:
        good = c.post("/api/sessions", json={"config": {}}).json()["id"]
        bad = c.post("/api/sessions", json={"config": {}}).json()["id"]
    # SQLite's || makes the blob text that is not UTF-8: reading it raises in the driver
    sql(tmp_path, text(f"UPDATE checkpoints SET history = history || x'ff01' WHERE id = '{bad}'"))
    with TestClient(create_app(settings(tmp_path))) as c:
        assert c.get(f"/api/sessions/{good}").status_code == 200
        assert c.get(f"/api/sessions/{bad}").status_code == 404


def test_a_tampered_experiment_is_a_409_and_hides_no_other(tmp_path: Path) -> None:
    with TestClient(create_app(settings(tmp_path))) as c:
        sid = c.post("/api/sessions", json={"config": {}}).json()["id"]
        first = c.post("/api/experiments", json={"session": sid, "name": "a"}, headers=KEY).json()
        other = c.post("/api/experiments", json={"session": sid, "name": "b"}, headers=KEY).json()
        sql(tmp_path, update(experiments).where(experiments.c.id == first["id"])
            .values(config='{"hidden": "many"}'))  # fmt: skip
        listed = c.get("/api/experiments", headers=KEY)
        assert listed.status_code == 200
        assert [e["id"] for e in listed.json()["experiments"]] == [other["id"]]
        one = c.get(f"/api/experiments/{first['id']}", headers=KEY)
        assert one.status_code == 409 and "damaged" in one.json()["detail"]
        c.delete(f"/api/sessions/{sid}")
        sql(tmp_path, update(checkpoints).where(checkpoints.c.id == sid).values(body=b"[1, 2]"))
        copy = c.get(f"/api/sessions/{sid}/last-copy")
        assert copy.status_code == 409 and "damaged" in copy.json()["detail"]


def test_a_second_server_on_the_same_database_is_refused(tmp_path: Path) -> None:
    with TestClient(create_app(settings(tmp_path))):
        second = create_app(settings(tmp_path))
        with pytest.raises(StorageFailed, match="in use by another playground server"):
            second.state.manager.claim()
    third = create_app(settings(tmp_path))  # once the first has stopped, it may
    third.state.manager.claim()
    third.state.manager.keeper.stop()


def test_a_database_deleted_while_running_is_made_again(tmp_path: Path) -> None:
    with TestClient(create_app(settings(tmp_path, checkpoint_interval=0.2))) as c:
        sid = c.post("/api/sessions", json={"config": {}}).json()["id"]
        c.post(f"/api/sessions/{sid}/points", json={"x": 3, "y": 3, "label": 1})
        for leftover in tmp_path.glob("playground.db*"):
            leftover.unlink()
        r = c.post(f"/api/sessions/{sid}/points", json={"x": 2, "y": 3, "label": 1})
        assert r.status_code == 503  # noticed at the first write: the tables are gone
        row = None
        for _ in range(300):  # the tables made again, every session written anew
            c.get("/api/health")
            row = stored_row(tmp_path, sid)
            if row is not None and row.stored.points:
                break
        assert row is not None and row.stored.points
        assert c.get("/api/health").json()["storage"] == "ok"
    with TestClient(create_app(settings(tmp_path))) as c:
        data = c.get(f"/api/sessions/{sid}/data").json()["train"]
        assert [3.0, 3.0, 1.0] in data and [2.0, 3.0, 1.0] in data


def test_last_copies_give_way_when_storage_is_full(tmp_path: Path) -> None:
    with TestClient(create_app(settings(tmp_path, max_database_bytes=200_000))) as c:
        for _ in range(12):  # ended sessions' last copies, ~10-25 KB each
            sid = c.post("/api/sessions", json={"config": {}}).json()["id"]
            c.post(f"/api/sessions/{sid}/train", json={"epochs": 300})
            c.delete(f"/api/sessions/{sid}")
        keep = c.post("/api/sessions", json={"config": {}}).json()["id"]
        r = c.post("/api/experiments", json={"session": keep, "name": "mine"}, headers=KEY)
        assert r.status_code == 201, r.text


def test_a_session_that_outgrows_its_limit_is_not_brought_back_older(tmp_path: Path) -> None:
    small = settings(tmp_path, max_checkpoint_bytes=60_000)
    rows = [[x / 250, 0.5, 1.0 if x % 2 else -1.0] for x in range(-1500, 1500)]  # ~72 KB
    with TestClient(create_app(small)) as c:
        sid = c.post("/api/sessions", json={"config": {}}).json()["id"]
        assert stored_row(tmp_path, sid) is not None
        r = c.put(f"/api/sessions/{sid}/data", json={"train": rows})
        assert r.status_code == 413 and "will not survive a restart" in r.json()["detail"]
        assert c.get(f"/api/sessions/{sid}").json()["custom_data"]  # it works meanwhile
        r = c.post(f"/api/sessions/{sid}/train", json={"epochs": 2})
        assert r.status_code == 200  # said once, not on every request
    with TestClient(create_app(small)) as c:
        assert c.get(f"/api/sessions/{sid}").status_code == 404  # not its older self


def test_a_new_session_is_made_even_while_storage_fails(tmp_path: Path) -> None:
    with TestClient(create_app(settings(tmp_path))) as c:
        with failing(c):
            r = c.post("/api/sessions", json={"config": {}})
        assert r.status_code == 201  # its id comes back: nothing is orphaned
        assert c.get(f"/api/sessions/{r.json()['id']}").status_code == 200


@pytest.mark.parametrize("name", ["a\x00b", "\x1b[31mred", "\u200b\u200b", "\u202eevil", "   "])
def test_a_name_no_one_can_read_is_a_422(tmp_path: Path, name: str) -> None:
    with TestClient(create_app(settings(tmp_path))) as c:
        sid = c.post("/api/sessions", json={"config": {}}).json()["id"]
        r = c.post("/api/experiments", json={"session": sid, "name": name}, headers=KEY)
        assert r.status_code == 422
        (error,) = r.json()["detail"]
        assert error["loc"] == ["body", "name"] and "invisible" in error["msg"], error
        assert json.dumps(error)  # a plain message, no pattern


def test_a_runaway_optimizer_keeps_the_last_restorable_checkpoint(tmp_path: Path) -> None:
    """Adam keeps the weights finite while m and v run away: what restore would refuse
    is not written over the last good checkpoint."""
    config = {"problem": "regression", "dataset": "plane", "activation": "linear",
              "optimizer": "adam"}  # fmt: skip
    with TestClient(create_app(settings(tmp_path))) as c:
        sid = c.post("/api/sessions", json={"config": config}).json()["id"]
        c.post(f"/api/sessions/{sid}/train", json={"epochs": 3})
        good = stored_row(tmp_path, sid)
        c.patch(f"/api/sessions/{sid}/params", json={"layer": 0, "neuron": 0, "input": 0,
                                                     "value": 1e16})  # fmt: skip
        c.post(f"/api/sessions/{sid}/train", json={"epochs": 3})
        assert good is not None
    with TestClient(create_app(settings(tmp_path))) as c:
        back = c.get(f"/api/sessions/{sid}")
        assert back.status_code == 200  # restorable, not set aside


def test_a_session_used_but_unchanged_is_not_expired_at_the_next_start(tmp_path: Path) -> None:
    with TestClient(create_app(settings(tmp_path, session_ttl=3600))) as c:
        sid = c.post("/api/sessions", json={"config": {}}).json()["id"]
    sql(tmp_path, update(checkpoints).values(active_at=checkpoints.c.active_at - 7000))
    with TestClient(create_app(settings(tmp_path, session_ttl=7200))) as c:
        assert c.get(f"/api/sessions/{sid}").status_code == 200  # read: used now
    # the shutdown wrote when it was last used, though nothing else changed
    with TestClient(create_app(settings(tmp_path, session_ttl=3600))) as c:
        assert c.get(f"/api/sessions/{sid}").status_code == 200


def test_a_tampered_time_sets_the_row_aside(tmp_path: Path) -> None:
    with TestClient(create_app(settings(tmp_path))) as c:
        good = c.post("/api/sessions", json={"config": {}}).json()["id"]
        bad = c.post("/api/sessions", json={"config": {}}).json()["id"]
    sql(tmp_path, update(checkpoints).where(checkpoints.c.id == bad).values(active_at=1e300))
    with TestClient(create_app(settings(tmp_path))) as c:
        assert c.get(f"/api/sessions/{good}").status_code == 200
        assert c.get(f"/api/sessions/{bad}").status_code == 404
