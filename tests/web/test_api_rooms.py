"""Classroom rooms over REST (server/web/api_rooms.py, docs/rooms.md): starting a class,
joining it, the teacher's key on every teacher route, and the teacher's per-student
actions and class views."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from server.app import create_app
from server.config import Settings
from server.protocol.rooms import CODE_PATTERN, TEACHER_HEADER, TEACHER_KEY_PATTERN
from server.runtime.teaching import RESULT_COLUMNS
from server.web import api_rooms
from tests.helpers.api import api, create, train
from tests.helpers.rooms import GAUSS, field_of, join, start, teacher_view

SPIRAL = {"dataset": "spiral", "hidden": [5, 3], "seed": 11}


def test_a_class_gets_a_code_a_key_a_link_and_a_qr_code(client: TestClient) -> None:
    room = start(client, config=SPIRAL)
    code = room["code"]
    assert re.fullmatch(CODE_PATTERN, code) and len(code) == 6
    assert re.fullmatch(TEACHER_KEY_PATTERN, room["key"])
    assert room["join_url"] == f"/join/{code}" and room["wall_url"] == f"/room/{code}"
    assert room["link"].endswith(f"/join/{code}") and room["link"].startswith("http")
    qr = client.get(room["qr"])
    assert qr.status_code == 200 and qr.headers["content-type"].startswith("image/svg+xml")
    assert b"<svg" in qr.content
    assert room["setup"]["dataset"] == "spiral" and room["setup"]["hidden"] == [5, 3]
    assert start(client)["code"] != code  # another class, another code


def test_the_setup_comes_from_the_teachers_session(client: TestClient) -> None:
    mine = create(client, **SPIRAL, activation="relu")["id"]
    room = start(client, session=mine, config={"dataset": "xor"})  # the session wins
    assert room["setup"]["activation"] == "relu" and room["setup"]["dataset"] == "spiral"
    assert teacher_view(client, room)["teacher_session"] == mine
    assert client.post("/api/rooms", json={"session": "no-such-session"}).status_code == 404


def test_max_rooms_is_a_429_naming_it(tmp_path: Any) -> None:
    with TestClient(create_app(Settings(max_rooms=2, data_dir=str(tmp_path)))) as c:
        start(c), start(c)
        r = c.post("/api/rooms", json={})
        assert r.status_code == 429 and "max_rooms" in r.json()["detail"]


def test_join_by_code_in_any_case_with_a_suggested_or_own_nickname(client: TestClient) -> None:
    room = start(client, config=SPIRAL)
    code = room["code"]
    typed = f"{code[:3].lower()}-{code[3:]}"
    info = client.get(f"/api/rooms/{typed}").json()
    assert info["code"] == code and info["students"] == 0 and info["max_students"] == 200
    first = join(client, typed)
    assert first["code"] == code and first["number"] == 1 and first["nickname"]
    assert first["session"]["config"]["hidden"] == [5, 3]
    assert first["session"]["room"]["nickname"] == first["nickname"]
    suggested = client.get(f"/api/rooms/{code}").json()["nickname"]
    assert suggested != first["nickname"]
    ada = join(client, code.lower(), nickname="Ada")
    assert (ada["nickname"], ada["number"]) == ("Ada", 2)
    r = client.post(f"/api/rooms/{code}/join", json={"nickname": "aDA"})
    assert field_of(r) == "nickname" and "taken" in r.json()["detail"][0]["msg"]
    assert client.get(f"/api/rooms/{code}").json()["students"] == 2


@pytest.mark.parametrize("name", [" Ada", "<b>", "a" * 25, ""])
def test_a_bad_nickname_is_refused_naming_the_field(client: TestClient, name: str) -> None:
    room = start(client)
    r = client.post(f"/api/rooms/{room['code']}/join", json={"nickname": name})
    assert field_of(r) == "nickname"


def test_unknown_and_malformed_codes(client: TestClient) -> None:
    r = client.post("/api/rooms/ACEFGH/join", json={})
    assert r.status_code == 404 and "ACEFGH" in r.json()["detail"]
    r = client.post("/api/rooms/ABC0O1/join", json={})  # look-alikes are never in a code
    assert field_of(r) == "code"


def test_a_full_class_is_a_409(tmp_path: Any) -> None:
    with TestClient(create_app(Settings(max_room_students=2, data_dir=str(tmp_path)))) as c:
        room = start(c)
        join(c, room["code"]), join(c, room["code"])
        r = c.post(f"/api/rooms/{room['code']}/join", json={})
        assert r.status_code == 409 and "max_room_students" in r.json()["detail"]


def test_join_attempts_are_rate_limited_with_retry_after(tmp_path: Any) -> None:
    with TestClient(create_app(Settings(join_rate=3, data_dir=str(tmp_path)))) as c:
        room = start(c)
        codes = ["ACEFGH", room["code"], room["code"]]  # a wrong code counts too
        assert [c.post(f"/api/rooms/{x}/join", json={}).status_code for x in codes] == [
            404, 201, 201,
        ]  # fmt: skip
        r = c.post(f"/api/rooms/{room['code']}/join", json={})
        assert r.status_code == 429 and "join_rate" in r.json()["detail"]
        assert int(r.headers["retry-after"]) >= 1


def test_a_rejoin_gives_the_same_session(client: TestClient) -> None:
    room = start(client)
    first = join(client, room["code"], nickname="Ada")
    again = join(client, room["code"], session=first["id"])
    assert (again["id"], again["number"], again["nickname"]) == (first["id"], 1, "Ada")
    assert client.get(f"/api/rooms/{room['code']}").json()["students"] == 1


def test_students_do_not_count_against_sessions_per_client(tmp_path: Any) -> None:
    with TestClient(create_app(Settings(max_sessions_per_client=1, data_dir=str(tmp_path)))) as c:
        room = start(c)
        ids = {join(c, room["code"])["id"] for _ in range(3)}
        assert len(ids) == 3


def test_everyone_gets_the_same_data_unless_a_seed_per_student(client: TestClient) -> None:
    same = start(client, config=SPIRAL)
    a, b = (join(client, same["code"])["id"] for _ in range(2))
    assert client.get(api(a, "/data")).json() == client.get(api(b, "/data")).json()
    own = start(client, config=SPIRAL, seed_per_student=True)
    c, d = (join(client, own["code"])["session"] for _ in range(2))
    assert c["config"]["seed"] != d["config"]["seed"]
    assert client.get(api(c["id"], "/data")).json() != client.get(api(d["id"], "/data")).json()


# -- the teacher's key ------------------------------------------------------------------------
TEACHER_ROUTES = [
    ("GET", "/teacher", None),
    ("PATCH", "", {"eyes": True}),
    ("POST", "/push", {"weights": False}),
    ("PUT", "/challenge", {"metric": "test_loss", "target": 0.1}),
    ("DELETE", "/challenge", None),
    ("PATCH", "/members/{member}", {"nickname": "Bob"}),
    ("POST", "/members/{member}/reset", None),
    ("POST", "/members/{member}/snapshot", {}),
    ("DELETE", "/members/{member}", None),
    ("GET", "/snapshots", None),
    ("DELETE", "/snapshots/{member}", None),
    ("GET", "/curves", None),
    ("GET", "/results.csv", None),
    ("DELETE", "", None),
]
PUBLIC = {("GET", ""), ("POST", "/join"), ("GET", "/board")}


def test_the_list_names_every_teacher_route() -> None:
    found = set()
    for route in api_rooms.router.routes:
        if isinstance(route, APIRoute) and route.path.startswith("/api/rooms/{code}"):
            tail = route.path.removeprefix("/api/rooms/{code}")
            tail = re.sub(r"\{(session_id|experiment_id)\}", "{member}", tail)
            found |= {(m, tail) for m in route.methods}
    assert found - PUBLIC == {(m, p) for m, p, _ in TEACHER_ROUTES}


@pytest.mark.parametrize(("method", "path", "body"), TEACHER_ROUTES)
def test_every_teacher_route_needs_this_rooms_key(
    client: TestClient, method: str, path: str, body: Any
) -> None:
    room, other = start(client), start(client)
    member = join(client, room["code"], nickname="Ada")["id"]
    url = room["api"] + path.format(member=member)
    headers: list[tuple[dict[str, str], int]] = [
        ({}, 401), ({TEACHER_HEADER: "short"}, 401), ({TEACHER_HEADER: "k" * 40 + "!"}, 401),
        (other["auth"], 403),
    ]  # fmt: skip
    for header, status in headers:
        r = client.request(method, url, json=body, headers=header)
        assert r.status_code == status, (header, r.text)
        if status == 401:
            assert TEACHER_HEADER in r.json()["detail"]
    view = teacher_view(client, room)  # nothing happened to the class
    assert [m["nickname"] for m in view["members"]] == ["Ada"] and view["eyes"] is False


# -- one student, and the class at once -------------------------------------------------------
def test_rename_reset_snapshot_and_the_gallery(client: TestClient) -> None:
    room = start(client, config=GAUSS)
    ada, bob = join(client, room["code"], nickname="Ada"), join(client, room["code"])
    path = f"{room['api']}/members/{ada['id']}"
    r = client.patch(path, json={"nickname": "BOB"}, headers=room["auth"])
    assert r.status_code == 200 and r.json()["nickname"] == "BOB"  # bob's is not "Bob"
    r = client.patch(path, json={"nickname": bob["nickname"].upper()}, headers=room["auth"])
    assert field_of(r) == "nickname"
    assert client.get(api(ada["id"])).json()["room"]["nickname"] == "BOB"
    train(client, ada["id"], 15)
    r = client.post(f"{path}/snapshot", json={}, headers=room["auth"])
    assert r.status_code == 201 and r.json()["name"] == "BOB · epoch 15"
    shot = r.json()["id"]
    named = client.post(f"{path}/snapshot", json={"name": "before"}, headers=room["auth"]).json()
    gallery = client.get(f"{room['api']}/snapshots", headers=room["auth"]).json()
    assert {e["id"] for e in gallery["experiments"]} == {shot, named["id"]}
    assert client.get(f"/api/experiments/{shot}/thumbnail.png").status_code == 200
    r = client.delete(f"{room['api']}/snapshots/{shot}", headers=room["auth"])
    assert r.status_code == 204
    gallery = client.get(f"{room['api']}/snapshots", headers=room["auth"]).json()
    assert [e["id"] for e in gallery["experiments"]] == [named["id"]]
    r = client.post(f"{path}/reset", headers=room["auth"])
    assert r.status_code == 200 and r.json()["epoch"] == 0
    assert client.get(api(ada["id"])).json()["epoch"] == 0
    unknown = f"{room['api']}/members/{'x' * 22}/reset"
    assert client.post(unknown, headers=room["auth"]).status_code == 404


def test_curves_and_results_csv(client: TestClient) -> None:
    room = start(client, config=GAUSS)
    ada, bob = join(client, room["code"], nickname="Ada"), join(client, room["code"])
    train(client, ada["id"], 300)
    curves = client.get(f"{room['api']}/curves", headers=room["auth"]).json()["members"]
    assert [m["number"] for m in curves] == [1, 2] and curves[0]["name"] == "Ada"
    assert curves[0]["architecture"] == "2 in · 3 · tanh"
    history = curves[0]["history"]
    assert 2 <= len(history) <= 200 and history[-1][0] == 300 and len(history[-1]) == 3
    assert [row[0] for row in history] == sorted(row[0] for row in history)
    r = client.get(f"{room['api']}/results.csv", headers=room["auth"])
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert f"class-{room['code']}.csv" in r.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert list(rows[0]) == RESULT_COLUMNS and len(rows) == 2
    assert (rows[0]["nickname"], rows[0]["epoch"], rows[0]["hidden"]) == ("Ada", "300", "3")
    assert (rows[1]["nickname"], rows[1]["epoch"]) == (bob["nickname"], "0")
    assert float(rows[0]["test_accuracy"]) == 1.0 and rows[0]["params"] == "13"
    client.patch(room["api"], json={"anonymise": True}, headers=room["auth"])
    r = client.get(f"{room['api']}/results.csv", headers=room["auth"])
    assert [row["nickname"] for row in csv.DictReader(io.StringIO(r.text))] == [
        "Student 1", "Student 2",
    ]  # fmt: skip


def test_rooms_work_in_memory_with_storage_off() -> None:
    with TestClient(create_app(Settings(storage=False))) as c:
        room = start(c, config=GAUSS)
        ada = join(c, room["code"], nickname="Ada")
        assert teacher_view(c, room)["members"][0]["session"] == ada["id"]
        r = c.patch(room["api"], json={"locks": ["learning_rate"]}, headers=room["auth"])
        assert r.status_code == 200
        r = c.patch(api(ada["id"]), json={"config": {"learning_rate": 1.0}})
        assert r.status_code == 403 and "learning rate" in r.json()["detail"]
        assert c.delete(room["api"], headers=room["auth"]).status_code == 204
        assert c.get(api(ada["id"])).status_code == 404
