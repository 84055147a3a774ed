"""Saved experiments, share links and last copies through REST, as a script or the page
uses them (server/web/api_experiments.py), on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from server.app import create_app
from server.config import Settings
from server.protocol.stored import OWNER_HEADER
from server.storage.database import Database
from server.storage.experiments import owner_of
from server.storage.schema import experiments as table
from tests.helpers.api import api, create, train
from tests.helpers.storage import BACKENDS, drop_tables, postgres_url

KEY = "my-browsers-key-0123456789"
MINE = {OWNER_HEADER: KEY}
THEIRS = {OWNER_HEADER: "their-browsers-key-9876543210"}
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(params=BACKENDS)
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Settings]:
    """conftest's settings on the backend's own empty database (the client uses them)."""
    base = Settings(max_sessions=20, max_train_epochs=2_000, max_points=2_000)
    if request.param == "sqlite":
        yield base.replace(data_dir=str(tmp_path / "data"))
        return
    url = postgres_url()
    drop_tables(url)
    yield base.replace(database_url=url)
    drop_tables(url)


def save(client: TestClient, sid: str, name: str = "spiral", headers: Any = None) -> Any:
    return client.post("/api/experiments", json={"session": sid, "name": name},
                       headers=MINE if headers is None else headers)  # fmt: skip


def saved(client: TestClient, sid: str, name: str = "spiral") -> dict[str, Any]:
    r = save(client, sid, name)
    assert r.status_code == 201, r.text
    return r.json()


def trained(client: TestClient, epochs: int, **config: object) -> str:
    sid = create(client, **config)["id"]
    train(client, sid, epochs)
    return sid


def test_save_list_rename_delete(client: TestClient) -> None:
    sid = trained(client, 12, dataset="xor")
    made = saved(client, sid, "xor at 12")
    assert made["name"] == "xor at 12" and made["epoch"] == 12 and made["share"] is None
    assert made["config"]["dataset"] == "xor"
    assert made["train_loss"] == client.get(api(sid)).json()["train_loss"]
    picture = client.get(made["thumbnail"])
    assert picture.status_code == 200 and picture.headers["content-type"] == "image/png"
    assert picture.content.startswith(PNG)
    other = saved(client, sid, "second")
    listing = client.get("/api/experiments", headers=MINE).json()
    assert [e["id"] for e in listing["experiments"]] == [other["id"], made["id"]]
    assert listing["limit"] == 100
    assert client.get("/api/experiments", headers=THEIRS).json()["experiments"] == []
    r = client.patch(f"/api/experiments/{made['id']}", json={"name": "xor, renamed"}, headers=MINE)
    assert r.status_code == 200 and r.json()["name"] == "xor, renamed"
    assert client.get(f"/api/experiments/{made['id']}", headers=MINE).json() == r.json()
    assert client.get(f"/api/experiments/{made['id']}", headers=THEIRS).status_code == 404
    assert client.delete(f"/api/experiments/{made['id']}", headers=THEIRS).status_code == 404
    assert client.delete(f"/api/experiments/{made['id']}", headers=MINE).status_code == 204
    assert client.get(f"/api/experiments/{made['id']}", headers=MINE).status_code == 404
    listing = client.get("/api/experiments", headers=MINE).json()["experiments"]
    assert [e["id"] for e in listing] == [other["id"]]


def test_open_makes_a_paused_session_with_the_saved_weights(client: TestClient) -> None:
    sid = trained(client, 20, dataset="spiral", hidden=[6, 4])
    params = client.get(api(sid, "/params")).json()
    data = client.get(api(sid, "/data")).json()
    made = saved(client, sid)
    train(client, sid, 15)  # the original goes on; the copy stays as it was
    r = client.post(f"/api/experiments/{made['id']}/open", headers=MINE)
    assert r.status_code == 201, r.text
    opened = r.json()
    assert opened["id"] != sid
    assert opened["epoch"] == 20 and opened["state"] == "paused"
    assert client.get(api(opened["id"], "/params")).json() == params
    assert client.get(api(opened["id"], "/data")).json() == data
    assert train(client, opened["id"], 5)["epoch"] == 25  # a live session of its own
    assert client.get(api(sid)).json()["epoch"] == 35
    theirs = client.post(f"/api/experiments/{made['id']}/open", headers=THEIRS)
    assert theirs.status_code == 404


def test_share_fork_unshare(client: TestClient) -> None:
    sid = trained(client, 10, dataset="gauss", noise=10)
    params = client.get(api(sid, "/params")).json()
    history = client.get(api(sid, "/history")).json()
    made = saved(client, sid, "gauss")
    r = client.post(f"/api/experiments/{made['id']}/share", headers=MINE)
    assert r.status_code == 201
    link = r.json()
    assert link["url"] == f"/s/{link['token']}"
    again = client.post(f"/api/experiments/{made['id']}/share", headers=MINE).json()
    assert again == link
    assert (
        client.get(f"/api/experiments/{made['id']}", headers=MINE).json()["share"] == link["token"]
    )
    view = client.get(f"/api/shares/{link['token']}")  # no key: anyone with the link
    assert view.status_code == 200, view.text
    shared = view.json()
    assert shared["name"] == "gauss" and shared["epoch"] == 10
    assert shared["params"] == params
    assert shared["config"] == client.get(api(sid)).json()["config"]
    assert shared["history"]["epoch"] == list(range(11))  # epoch 0's losses too
    assert shared["history"] == history
    for which in ("picture", "thumbnail"):
        image = client.get(shared[which])
        assert image.status_code == 200 and image.content.startswith(PNG)
    fork = client.post(f"/api/shares/{link['token']}/fork")
    assert fork.status_code == 201, fork.text
    forked = fork.json()
    assert forked["id"] != sid and forked["epoch"] == 10 and forked["state"] == "paused"
    assert client.get(api(forked["id"], "/params")).json() == params
    assert train(client, forked["id"], 3)["epoch"] == 13
    assert client.get(api(sid)).json()["epoch"] == 10  # the original is not touched
    assert client.delete(f"/api/experiments/{made['id']}/share", headers=MINE).status_code == 204
    for gone in (client.get(f"/api/shares/{link['token']}"),
                 client.get(f"/api/shares/{link['token']}/picture.png"),
                 client.post(f"/api/shares/{link['token']}/fork")):  # fmt: skip
        assert gone.status_code == 404
    assert client.get(f"/api/experiments/{made['id']}", headers=MINE).json()["share"] is None


def test_a_deleted_experiments_link_stops_working(client: TestClient) -> None:
    made = saved(client, trained(client, 2))
    token = client.post(f"/api/experiments/{made['id']}/share", headers=MINE).json()["token"]
    assert client.delete(f"/api/experiments/{made['id']}", headers=MINE).status_code == 204
    assert client.get(f"/api/shares/{token}").status_code == 404


@pytest.mark.parametrize(
    "headers", [{}, {OWNER_HEADER: "short"}, {OWNER_HEADER: "not a key, spaces" * 2}]
)
def test_without_a_valid_owner_key_it_is_a_401_naming_the_header(
    client: TestClient, session: str, headers: dict[str, str]
) -> None:
    made = saved(client, session)["id"]
    calls = [
        ("GET", "/api/experiments", None),
        ("POST", "/api/experiments", {"session": session, "name": "x"}),
        ("GET", f"/api/experiments/{made}", None),
        ("PATCH", f"/api/experiments/{made}", {"name": "x"}),
        ("DELETE", f"/api/experiments/{made}", None),
        ("POST", f"/api/experiments/{made}/open", None),
        ("POST", f"/api/experiments/{made}/share", None),
        ("DELETE", f"/api/experiments/{made}/share", None),
    ]
    for method, path, body in calls:
        r = client.request(method, path, json=body, headers=headers)
        assert r.status_code == 401, (method, path, r.text)
        assert OWNER_HEADER in r.json()["detail"]
    assert client.get(f"/api/experiments/{made}", headers=MINE).json()["name"] == "spiral"


def test_a_malformed_id_or_token_is_a_422_naming_the_field(client: TestClient) -> None:
    for path, field in (("/api/experiments/bad!id", "experiment_id"),
                        ("/api/experiments/short/open", "experiment_id"),
                        ("/api/shares/a.b.c.d.e.f", "token"),
                        ("/api/sessions/x/last-copy", "session_id")):  # fmt: skip
        method = "POST" if path.endswith("open") else "GET"
        r = client.request(method, path, headers=MINE)
        assert r.status_code == 422, (path, r.text)
        (error,) = r.json()["detail"]
        assert error["loc"] == ["path", field]
        assert error["msg"] == "must be 8 to 64 characters of A-Z, a-z, 0-9, _ and -", error
    r = client.post("/api/experiments", json={"session": "s" * 20, "name": ""}, headers=MINE)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "name"]


def test_the_per_owner_limit_is_a_429(settings: Settings) -> None:
    with TestClient(create_app(settings.replace(max_experiments_per_owner=2))) as client:
        sid = create(client)["id"]
        saved(client, sid, "one")
        saved(client, sid, "two")
        r = save(client, sid, "three")
        assert r.status_code == 429
        assert "max_experiments_per_owner = 2" in r.json()["detail"]
        assert len(client.get("/api/experiments", headers=MINE).json()["experiments"]) == 2
        assert save(client, sid, "theirs", THEIRS).status_code == 201


def test_a_full_database_is_a_413(settings: Settings) -> None:
    limited = settings.replace(max_database_bytes=100_000, max_train_epochs=2_000)
    with TestClient(create_app(limited)) as client:
        sid = trained(client, 1_000)  # a long chart: its checkpoint and each copy ~25 KB
        answers = [save(client, sid, f"copy {i}") for i in range(4)]
        codes = [a.status_code for a in answers]
        assert 413 in codes, codes
        full = codes.index(413)
        assert codes[:full] == [201] * full and full >= 1
        assert "max_database_bytes (100000)" in answers[full].json()["detail"]
        listing = client.get("/api/experiments", headers=MINE).json()["experiments"]
        assert len(listing) == full


def test_saving_a_diverged_session_is_a_409(client: TestClient, diverging: str) -> None:
    train(client, diverging, 500)
    assert client.get(api(diverging)).json()["state"] == "diverged"
    r = save(client, diverging)
    assert r.status_code == 409 and "diverged" in r.json()["detail"]
    assert save(client, "no-such-session-000").status_code == 404


def test_the_last_copy_of_a_deleted_session(client: TestClient) -> None:
    sid = trained(client, 17, dataset="circle", hidden=[3])
    params = client.get(api(sid, "/params")).json()
    assert client.get(api(sid, "/last-copy")).status_code == 404  # live: no last copy
    assert client.delete(api(sid)).status_code == 204
    r = client.get(api(sid, "/last-copy"))
    assert r.status_code == 200, r.text
    copy = r.json()
    assert copy["id"] == sid and copy["ended"] == "deleted" and copy["epoch"] == 17
    assert copy["config"]["hidden"] == [3]
    r = client.post(api(sid, "/last-copy"))
    assert r.status_code == 201, r.text
    revived = r.json()
    assert revived["id"] != sid and revived["epoch"] == 17 and revived["state"] == "paused"
    assert client.get(api(revived["id"], "/params")).json() == params
    unknown = "never-was-a-session-00"
    assert client.get(api(unknown, "/last-copy")).status_code == 404
    assert client.post(api(unknown, "/last-copy")).status_code == 404
    live = create(client)["id"]
    assert client.post(api(live, "/last-copy")).status_code == 404


def test_the_owner_key_is_stored_only_as_its_sha256(client: TestClient, settings: Settings) -> None:
    saved(client, create(client)["id"])
    database = Database.open(settings)
    try:
        with database.begin() as c:
            row = c.execute(select(table)).mappings().one()
    finally:
        database.close()
    assert row["owner"] == owner_of(KEY) != KEY
    assert not any(KEY.encode() in v for v in row.values() if isinstance(v, bytes))
    assert not any(KEY in v for v in row.values() if isinstance(v, str))


def test_with_storage_off_every_route_says_so(tmp_path: Path) -> None:
    with TestClient(create_app(Settings(storage=False))) as client:
        sid = create(client)["id"]
        some = "abcdefgh12345678"
        calls = [
            ("POST", "/api/experiments", {"session": sid, "name": "x"}),
            ("GET", "/api/experiments", None),
            ("GET", f"/api/experiments/{some}", None),
            ("PATCH", f"/api/experiments/{some}", {"name": "x"}),
            ("DELETE", f"/api/experiments/{some}", None),
            ("POST", f"/api/experiments/{some}/open", None),
            ("POST", f"/api/experiments/{some}/share", None),
            ("DELETE", f"/api/experiments/{some}/share", None),
            ("GET", f"/api/experiments/{some}/thumbnail.png", None),
            ("GET", f"/api/shares/{some}", None),
            ("GET", f"/api/shares/{some}/picture.png", None),
            ("POST", f"/api/shares/{some}/fork", None),
            ("GET", api(sid, "/last-copy"), None),
            ("POST", api(sid, "/last-copy"), None),
        ]
        for method, path, body in calls:
            r = client.request(method, path, json=body, headers=MINE)
            assert r.status_code == 503, (method, path, r.text)
            assert "storage is off" in r.json()["detail"], (method, path)
    assert not any(tmp_path.rglob("*.db"))
