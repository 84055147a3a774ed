"""What a teacher does to the whole class (runtime/rooms.py, runtime/teaching.py): pause
and resume everyone, push a setup (and weights), remove a student, close the class (all
of its data deleted), and a room that survives a restart of the server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from server.app import create_app
from server.config import Settings
from server.protocol.config import MAX_INT_SEED
from server.storage.database import Database
from server.storage.schema import checkpoints, experiments, members, rooms
from tests.helpers.api import api, create, train
from tests.helpers.rooms import GAUSS, close_of, join, start, teacher_view, until

XOR = {"dataset": "xor", "hidden": [3], "seed": 2}


def settings(data: Path) -> Settings:
    return Settings(data_dir=str(data), idle_pause=10**6)


def state(client: TestClient, sid: str) -> str:
    value: str = client.get(api(sid)).json()["state"]
    return value


def test_pause_all_pauses_everyone_and_refuses_play_until_resumed(client: TestClient) -> None:
    room = start(client, config=XOR)
    ids = [join(client, room["code"])["id"] for _ in range(2)]
    for sid in ids:
        assert client.post(api(sid, "/play")).json()["state"] == "running"
    r = client.patch(room["api"], json={"paused": True}, headers=room["auth"])
    assert r.status_code == 200 and r.json()["paused"] is True
    assert [state(client, sid) for sid in ids] == ["paused", "paused"]
    r = client.post(api(ids[0], "/play"))
    assert r.status_code == 403 and "paused" in r.json()["detail"]
    assert client.post(api(ids[0], "/step")).status_code == 403
    assert client.get(api(ids[1])).json()["room"]["paused"] is True
    client.patch(room["api"], json={"paused": False}, headers=room["auth"])
    assert [state(client, sid) for sid in ids] == ["running", "running"]
    assert client.get(api(ids[1])).json()["room"]["paused"] is False
    assert client.post(api(ids[0], "/pause")).json()["state"] == "paused"
    assert client.post(api(ids[0], "/play")).json()["state"] == "running"


def params(client: TestClient, sid: str) -> Any:
    return client.get(api(sid, "/params")).json()


def test_push_gives_everyone_the_teachers_setup_and_weights_if_asked(client: TestClient) -> None:
    mine = create(client, **XOR)["id"]
    room = start(client, session=mine)
    ids = [join(client, room["code"])["id"] for _ in range(2)]
    for sid in ids:
        train(client, sid, 5)
    client.patch(api(mine), json={"config": {"hidden": [5, 2], "activation": "relu"}})
    train(client, mine, 30)
    r = client.post(f"{room['api']}/push", json={}, headers=room["auth"])
    assert r.status_code == 200 and r.json() == {"pushed": 2, "weights": False}
    for sid in ids:
        s = client.get(api(sid)).json()
        assert (s["config"]["hidden"], s["config"]["activation"]) == ([5, 2], "relu")
        assert s["epoch"] == 0 and s["state"] in ("idle", "paused")
        assert params(client, sid) != params(client, mine)  # new weights of its own
    assert teacher_view(client, room)["setup"]["hidden"] == [5, 2]
    assert join(client, room["code"])["session"]["config"]["hidden"] == [5, 2]
    r = client.post(f"{room['api']}/push", json={"weights": True}, headers=room["auth"])
    assert r.json() == {"pushed": 3, "weights": True}
    for sid in ids:
        assert params(client, sid) == params(client, mine)
        assert client.get(api(sid)).json()["epoch"] == 0


def test_a_seed_per_student_is_a_valid_seed(client: TestClient) -> None:
    """Students 1 and 2 of any class differ in CRC-32's top bit: both seeds must still be
    ones a config accepts (their own whole-config PATCH works)."""
    room = start(client, config=XOR, seed_per_student=True)
    for student in (join(client, room["code"])["session"] for _ in range(2)):
        assert 0 <= student["config"]["seed"] <= MAX_INT_SEED
        r = client.patch(api(student["id"]), json={"config": student["config"]})
        assert r.status_code == 200, r.text


def test_push_keeps_each_students_seed_under_seed_per_student(client: TestClient) -> None:
    mine = create(client, **XOR)["id"]
    room = start(client, session=mine, seed_per_student=True)
    students = [join(client, room["code"])["session"] for _ in range(2)]
    seeds = [s["config"]["seed"] for s in students]
    assert len(set(seeds)) == 2 and XOR["seed"] not in seeds
    client.patch(api(mine), json={"config": {"dataset": "circle", "noise": 20}})
    client.post(f"{room['api']}/push", json={}, headers=room["auth"])
    after = [client.get(api(s["id"])).json()["config"] for s in students]
    assert [c["seed"] for c in after] == seeds
    assert {c["dataset"] for c in after} == {"circle"} and {c["noise"] for c in after} == {20}


def test_push_is_a_409_when_the_teachers_session_is_gone(client: TestClient) -> None:
    mine = create(client, **XOR)["id"]
    room = start(client, session=mine)
    join(client, room["code"])
    assert client.delete(api(mine)).status_code == 204
    r = client.post(f"{room['api']}/push", json={}, headers=room["auth"])
    assert r.status_code == 409 and "session" in r.json()["detail"]
    unset = start(client, config=XOR)  # no teacher's session at all
    assert client.post(f"{unset['api']}/push", json={}, headers=unset["auth"]).status_code == 409


def test_a_removed_student_is_told_and_nothing_of_them_is_kept(client: TestClient) -> None:
    room = start(client, config=XOR)
    ada, bob = join(client, room["code"], nickname="Ada"), join(client, room["code"])
    train(client, ada["id"], 10)
    client.patch(room["api"], json={"spotlight": ada["id"]}, headers=room["auth"])
    with client.websocket_connect(f"/ws/sessions/{ada['id']}") as ws:
        ws.receive_json()
        r = client.delete(f"{room['api']}/members/{ada['id']}", headers=room["auth"])
        assert r.status_code == 204
        code, reason = close_of(ws)
    assert code == 4410 and "removed from the class" in reason
    assert client.get(api(ada["id"])).status_code == 404
    assert client.get(api(ada["id"], "/last-copy")).status_code == 404
    view = teacher_view(client, room)
    assert [m["session"] for m in view["members"]] == [bob["id"]] and view["spotlight"] is None
    again = client.delete(f"{room['api']}/members/{ada['id']}", headers=room["auth"])
    assert again.status_code == 404
    assert join(client, room["code"], nickname="Ada")["number"] == 3  # numbers are not reused


def count(data: Path, table: Any, where: Any) -> int:
    database = Database.open(Settings(data_dir=str(data)))
    try:
        with database.begin() as c:
            return int(c.execute(select(func.count()).select_from(table).where(where)).scalar())
    finally:
        database.close()


def test_closing_the_class_deletes_all_of_its_data(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with TestClient(create_app(settings(data))) as c:
        room = start(c, config=GAUSS)
        other = start(c, config=GAUSS)
        ids = [join(c, room["code"])["id"] for _ in range(2)]
        kept = join(c, other["code"])["id"]
        train(c, ids[0], 5)
        shot = c.post(f"{room['api']}/members/{ids[0]}/snapshot", json={}, headers=room["auth"])
        thumbnail = f"/api/experiments/{shot.json()['id']}/thumbnail.png"
        assert c.get(thumbnail).status_code == 200
        with c.websocket_connect(f"/ws/sessions/{ids[1]}") as ws:
            ws.receive_json()
            assert c.delete(room["api"], headers=room["auth"]).status_code == 204
            assert close_of(ws)[0] == 4410
        for sid in ids:
            assert c.get(api(sid)).status_code == 404
            assert c.get(api(sid, "/last-copy")).status_code == 404
        assert c.get(room["api"]).status_code == 404
        assert c.get(f"{room['api']}/teacher", headers=room["auth"]).status_code == 404
        assert c.post(f"{room['api']}/join", json={}).status_code == 404
        assert c.get(thumbnail).status_code == 404
        assert c.get(api(kept)).status_code == 200  # another class is untouched
    assert count(data, rooms, rooms.c.code == room["code"]) == 0
    assert count(data, members, members.c.room == room["code"]) == 0
    assert count(data, checkpoints, checkpoints.c.id.in_(ids)) == 0
    assert count(data, experiments, experiments.c.id == shot.json()["id"]) == 0
    assert count(data, members, members.c.room == other["code"]) == 1


def test_a_room_survives_a_restart(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with TestClient(create_app(settings(data))) as c:
        room = start(c, config=GAUSS)
        ada, bob = join(c, room["code"], nickname="Ada"), join(c, room["code"], nickname="Bob")
        gone = join(c, room["code"])
        c.delete(f"{room['api']}/members/{gone['id']}", headers=room["auth"])
        c.patch(f"{room['api']}/members/{bob['id']}", json={"nickname": "Bo"},
                headers=room["auth"])  # fmt: skip
        patch = {"locks": ["learning_rate", "hidden"], "anonymise": True, "eyes": True}
        c.patch(room["api"], json=patch, headers=room["auth"])
        goal = {"metric": "test_accuracy", "target": 0.99}
        c.put(f"{room['api']}/challenge", json=goal, headers=room["auth"])
        train(c, ada["id"], 20)
        until(lambda: c.get(f"{room['api']}/board").json()["ranks"], "Ada on the board")
        before = teacher_view(c, room)
    with TestClient(create_app(settings(data))) as c:
        after = teacher_view(c, room)
        for key in ("locks", "anonymise", "eyes", "setup", "challenge", "board"):
            assert after[key] == before[key], key
        assert after["expires"] == pytest.approx(before["expires"], abs=1)
        listed = [(m["session"], m["number"], m["nickname"]) for m in after["members"]]
        assert listed == [(ada["id"], 1, "Ada"), (bob["id"], 2, "Bo")]
        assert after["board"]["ranks"][0]["number"] == 1
        r = c.patch(api(bob["id"]), json={"config": {"learning_rate": 1.0}})
        assert r.status_code == 403  # the locks hold on the restored sessions
        assert c.get(api(ada["id"])).json()["room"]["progress"]["rank"] == 1
        assert join(c, room["code"], session=bob["id"])["id"] == bob["id"]
        assert join(c, room["code"])["number"] == 4  # after the removed student's 3


def test_every_student_of_a_seed_per_student_class_survives_a_restart(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with TestClient(create_app(settings(data))) as c:
        room = start(c, config=XOR, seed_per_student=True)
        ids = [join(c, room["code"])["id"] for _ in range(2)]
    with TestClient(create_app(settings(data))) as c:
        assert [c.get(api(sid)).status_code for sid in ids] == [200, 200]
        assert len(teacher_view(c, room)["members"]) == 2


def test_a_restart_keeps_the_rooms_times_exactly(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with TestClient(create_app(settings(data))) as c:
        room = start(c)
        before = teacher_view(c, room)
    with TestClient(create_app(settings(data))) as c:
        after = teacher_view(c, room)
    assert (after["created"], after["expires"]) == (before["created"], before["expires"])
