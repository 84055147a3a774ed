"""A teacher's locks, enforced on a student's session (sessions/locks.py): a change to a
locked field or action is refused with 403 naming it, over REST and the websocket alike;
an unchanged value passes; unlocking lets the change through; the teacher's own push is
not a student's change."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from server.protocol.config import Config
from server.protocol.generative import GENERATIVE_LOCKS
from server.protocol.rooms import LOCKABLE
from server.sessions.locks import FIELD_LOCKS
from tests.helpers.api import CSV, HEADER, api, create
from tests.helpers.rooms import join, start
from tests.helpers.ws import next_error, next_json

# a value unlike the default setup's, valid for it, for every locked config field
CHANGES: dict[str, Any] = {
    "learning_rate": 0.3, "activation": "relu", "layer_activations": ["relu", "tanh"],
    "regularization": "l2", "regularization_rate": 0.01, "problem": "regression",
    "dataset": "xor", "train_ratio": 70, "noise": 10, "batch_size": 5,
    "features": ["x1", "x2", "x1_x2"], "classes": 3, "loss": "cross_entropy",
    "optimizer": "adam", "momentum": 0.5, "beta1": 0.8, "beta2": 0.99, "epsilon": 1e-6,
    "same_init": True, "seed": 3, "init_zero": True, "kind": "gan",
}  # fmt: skip
SETUP = {"classes": {"dataset": "clouds"}}  # a dataset that makes more than 2 classes


def lock(client: TestClient, room: dict[str, Any], *names: str) -> None:
    r = client.patch(room["api"], json={"locks": list(names)}, headers=room["auth"])
    assert r.status_code == 200 and r.json()["locks"] == sorted(names), r.text


def student(client: TestClient, **config: Any) -> tuple[dict[str, Any], str]:
    room = start(client, config=config)
    return room, join(client, room["code"])["id"]


def change(client: TestClient, sid: str, **config: Any) -> Any:
    return client.patch(api(sid), json={"config": config})


def test_every_field_lock_has_a_case() -> None:
    assert set(CHANGES) == set(FIELD_LOCKS)
    assert set(FIELD_LOCKS.values()) <= set(LOCKABLE)
    assert all(CHANGES[f] != getattr(Config(**SETUP.get(f, {})), f) for f in CHANGES)


@pytest.mark.parametrize("field", sorted(CHANGES))
def test_a_locked_field_is_refused_over_rest_and_the_websocket(
    client: TestClient, field: str
) -> None:
    room, sid = student(client, **SETUP.get(field, {}))
    name = FIELD_LOCKS[field]
    lock(client, room, name)
    before = client.get(api(sid)).json()
    assert before["room"]["locks"] == [name]  # the page hides the control
    r = change(client, sid, **{field: CHANGES[field]})
    assert r.status_code == 403, r.text
    assert r.json()["detail"] == f"the teacher locked {name.replace('_', ' ')} for the class"
    with client.websocket_connect(f"/ws/sessions/{sid}") as ws:
        next_json(ws, "state")
        ws.send_json({"type": "config", "config": {field: CHANGES[field]}})
        error = next_error(ws)
        assert error["field"] == field and "locked" in error["message"]
    after = client.get(api(sid)).json()
    assert after["config"] == before["config"] and after["epoch"] == before["epoch"]
    unchanged = change(client, sid, **{field: before["config"][field]})
    assert unchanged.status_code == 200, unchanged.text  # the page sends whole configs
    lock(client, room)
    r = change(client, sid, **{field: CHANGES[field]})
    assert r.status_code == 200 and r.json()["config"][field] == CHANGES[field]


def test_the_only_kind_passes_under_a_problem_lock(client: TestClient) -> None:
    room, sid = student(client)
    lock(client, room, "problem")
    assert change(client, sid, kind="mlp", learning_rate=0.1).status_code == 200
    assert change(client, sid, kind="mlp", problem="regression").status_code == 403


def test_a_gans_settings_fall_under_the_locks_of_the_controls_doing_their_job(
    client: TestClient,
) -> None:
    room, sid = student(client, kind="gan")
    assert set(GENERATIVE_LOCKS.values()) <= set(LOCKABLE)
    lock(client, room, "learning_rate", "step")
    r = change(client, sid, gan={"d_learning_rate": 0.01})
    assert r.status_code == 403 and "learning rate" in r.json()["detail"]
    assert change(client, sid, gan={"d_learning_rate": 0.003}).status_code == 200  # unchanged
    assert change(client, sid, gan={"d_steps": 4}).json()["config"]["gan"]["d_steps"] == 4
    for action in ("step_d", "step_g"):
        assert client.post(api(sid, f"/{action}")).status_code == 403
    lock(client, room)
    assert change(client, sid, gan={"d_learning_rate": 0.01}).status_code == 200
    assert client.post(api(sid, "/step_d")).status_code == 200


def test_hidden_locks_the_layer_count_and_neurons_the_widths(client: TestClient) -> None:
    room, sid = student(client, hidden=[4, 2])
    lock(client, room, "hidden")
    assert change(client, sid, hidden=[4, 2, 2]).status_code == 403
    assert change(client, sid, hidden=[4]).status_code == 403
    assert change(client, sid, hidden=[5, 3]).json()["config"]["hidden"] == [5, 3]
    lock(client, room, "neurons")
    assert change(client, sid, hidden=[6, 3]).status_code == 403
    assert change(client, sid, hidden=[5, 2]).status_code == 403
    assert change(client, sid, hidden=[5, 3, 2]).json()["config"]["hidden"] == [5, 3, 2]
    assert change(client, sid, hidden=[5]).json()["config"]["hidden"] == [5]
    lock(client, room, "hidden", "neurons")
    assert change(client, sid, hidden=[5, 1]).status_code == 403
    assert change(client, sid, hidden=[5], learning_rate=0.5).status_code == 200


def exported(client: TestClient, sid: str) -> Any:
    return client.get(api(sid, "/export/model.json")).json()


# (lock, method, path, what to send): the student's REST actions each lock guards
ACTIONS: list[tuple[str, str, str, dict[str, Any]]] = [
    ("play", "POST", "/play", {}),
    ("play", "POST", "/train", {"json": {"epochs": 2}}),
    ("step", "POST", "/step", {}),
    ("reset", "POST", "/reset", {}),
    ("regenerate", "POST", "/regenerate", {}),
    ("points", "POST", "/points", {"json": {"x": 1.0, "y": 1.0, "label": 1}}),
    ("points", "DELETE", "/points", {"params": {"x": 1.0, "y": 1.0}}),
    ("points", "POST", "/points/clear", {}),
    ("points", "PUT", "/data", {"json": {"train": [[1, 1, 1], [-1, -1, -1]]}}),
    ("upload", "PUT", "/data.csv", {"content": HEADER + "1,1,1,train\n-1,-1,-1,test\n"}),
    ("import", "POST", "/import", {}),
]


@pytest.mark.parametrize(("name", "method", "path", "send"), ACTIONS)
def test_a_locked_action_is_refused_until_unlocked(
    client: TestClient, name: str, method: str, path: str, send: dict[str, Any]
) -> None:
    room, sid = student(client, seed=4)
    if path == "/import":
        send = {"json": exported(client, sid)}
    if path == "/data.csv":
        send = {**send, "headers": CSV}
    client.post(api(sid, "/points"), json={"x": 1.0, "y": 1.0, "label": 1})  # one to remove
    lock(client, room, name)
    before = client.get(api(sid)).json()
    r = client.request(method, api(sid, path), **send)
    assert r.status_code == 403 and name.replace("_", " ") in r.json()["detail"], r.text
    after = client.get(api(sid)).json()
    for key in ("epoch", "state", "config", "data_version"):
        assert after[key] == before[key], key
    lock(client, room)
    r = client.request(method, api(sid, path), **send)
    assert r.status_code == 200, r.text


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("speed", {"type": "speed", "speed": 5}),
        ("play", {"type": "play"}),
        ("step", {"type": "step"}),
        ("regenerate", {"type": "regenerate"}),
        ("points", {"type": "add_point", "x": 1.0, "y": 1.0, "label": 1}),
        ("points", {"type": "clear_points"}),
    ],
)
def test_a_locked_action_over_the_websocket_is_an_error_message(
    client: TestClient, name: str, message: dict[str, Any]
) -> None:
    room, sid = student(client)
    lock(client, room, name)
    with client.websocket_connect(f"/ws/sessions/{sid}") as ws:
        next_json(ws, "state")
        ws.send_json(message)
        error = next_error(ws)
        assert error["field"] == name and "locked" in error["message"]


def test_a_lock_on_one_field_leaves_the_others_free(client: TestClient) -> None:
    room, sid = student(client)
    lock(client, room, "learning_rate", "play")
    assert change(client, sid, noise=20, activation="relu").status_code == 200
    assert client.post(api(sid, "/step")).json()["epoch"] == 1
    assert client.post(api(sid, "/reset")).status_code == 200


def test_the_teachers_push_is_not_blocked_by_locks(client: TestClient) -> None:
    mine = create(client, dataset="xor", hidden=[3], learning_rate=0.3)["id"]
    room = start(client, session=mine)
    sid = join(client, room["code"])["id"]
    lock(client, room, "learning_rate", "hidden", "neurons", "dataset", "play", "reset")
    client.patch(api(mine), json={"config": {"hidden": [6, 2], "learning_rate": 0.1}})
    r = client.post(f"{room['api']}/push", json={"weights": True}, headers=room["auth"])
    assert r.status_code == 200 and r.json()["pushed"] == 1
    config = client.get(api(sid)).json()["config"]
    assert (config["hidden"], config["learning_rate"]) == ([6, 2], 0.1)
    assert client.get(api(sid, "/params")).json() == client.get(api(mine, "/params")).json()
    assert change(client, sid, learning_rate=0.3).status_code == 403  # still locked after
