"""A room's challenge (sessions/challenge.py, runtime/room.py, docs/rooms.md): a student's
session reaches the goal within the limits or not; the leaderboard ranks who reached it
first, fewest parameters breaking a tie; ending it leaves the podium; the server checks
everyone in the background, and a student's page sees their rank."""

from __future__ import annotations

from typing import Any

import pytest
import torch
from fastapi.testclient import TestClient

from server.config import Settings
from server.protocol.config import Config
from server.protocol.rooms import Challenge
from server.runtime.room import Member, Room
from server.sessions import challenge as challenges
from server.sessions.session import Session
from tests.helpers.api import api, train
from tests.helpers.rooms import GAUSS, join, start, teacher_view, until


def session(**config: Any) -> Session:
    """A session one slow epoch in (a fresh network's guess may not count as a finish)."""
    made = Config(**{**GAUSS, "learning_rate": 0.001, **config})
    s = Session("s", made, Settings(), torch.device("cpu"))
    s.step()
    return s


def goal(metric: str, target: float, **limits: int) -> Challenge:
    return Challenge.model_validate({"metric": metric, "target": target, **limits})


def test_the_goal_is_reached_at_its_target_and_not_beyond() -> None:
    s = session()
    accuracy = s.metrics()["test_accuracy"]
    loss = challenges.value(s, goal("test_loss", 1))
    assert accuracy is not None and loss is not None and 0 < accuracy < 1
    assert challenges.reached(s, goal("test_accuracy", accuracy)) == accuracy
    assert challenges.reached(s, goal("test_accuracy", accuracy + 0.01)) is None
    assert challenges.reached(s, goal("test_loss", loss)) == loss
    assert challenges.reached(s, goal("test_loss", loss - 0.01)) is None


@pytest.mark.parametrize(
    ("limits", "why"),
    [
        ({"max_layers": 1}, "2 hidden layers (at most 1)"),
        ({"max_neurons": 3}, "4 neurons in a layer (at most 3)"),
        ({"max_features": 2}, "3 input features (at most 2)"),
    ],
)
def test_a_network_over_the_limits_never_reaches_the_goal(limits: dict[str, int], why: str) -> None:
    s = session(hidden=[4, 2], features=["x1", "x2", "x1_x2"])
    easy = goal("test_loss", 10, **limits)
    assert challenges.over_limits(s, easy) == why and challenges.reached(s, easy) is None
    assert challenges.reached(s, goal("test_loss", 10, max_layers=2, max_neurons=4)) is not None


def test_parameters_and_architecture() -> None:
    s = session(hidden=[4, 2])
    assert challenges.parameters(s) == (2 * 4 + 4) + (4 * 2 + 2) + (2 + 1)
    assert challenges.architecture(s) == "2 in · 4-2 · tanh"
    assert challenges.architecture(session(hidden=[])) == "2 in · no hidden layer · tanh"


def room_with(finishes: dict[str, tuple[float, int]]) -> Room:
    room = Room("ACEFGH", "t", 0.0, 1e12, {}, challenge={"metric": "test_loss", "target": 1})
    for number, (sid, (seconds, params)) in enumerate(finishes.items(), 1):
        room.members[sid] = Member(sid, number, f"kid {number}", 0.0)
        room.finishes[sid] = {"seconds": seconds, "params": params, "epoch": 1, "value": 0.1}
    return room


def test_ranks_by_time_then_parameters_and_the_podium_stays() -> None:
    room = room_with({"a": (9.0, 10), "b": (3.0, 50), "c": (3.0, 20), "d": (12.0, 5)})
    room.members["late"] = Member("late", 9, "late", 0.0)  # joined, never reached it
    assert [(r["name"], r["rank"]) for r in room.ranks()] == [
        ("kid 3", 1), ("kid 2", 2), ("kid 1", 3), ("kid 4", 4),
    ]  # fmt: skip
    assert [r["name"] for r in room.board()["smallest"]] == ["kid 4", "kid 1", "kid 3", "kid 2"]
    assert room.member_view(room.members["b"])["progress"]["rank"] == 2
    assert room.member_view(room.members["late"])["progress"] is None
    room.anonymise = True
    assert room.ranks()[0]["name"] == "Student 3"
    room.end_challenge()
    assert [p["number"] for p in room.board()["podium"]] == [3, 2, 1]
    assert room.challenge is None and room.ranks() == []
    assert room.member_view(room.members["c"])["progress"] is None


def board(client: TestClient, room: dict[str, Any]) -> dict[str, Any]:
    r = client.get(f"{room['api']}/board")
    assert r.status_code == 200, r.text
    value: dict[str, Any] = r.json()
    return value


def ranked(client: TestClient, room: dict[str, Any], count: int) -> list[dict[str, Any]] | None:
    ranks: list[dict[str, Any]] = board(client, room)["ranks"]
    return ranks if len(ranks) >= count else None


def test_the_server_checks_every_student_and_ranks_who_reached_it(client: TestClient) -> None:
    room = start(client, config=GAUSS)
    ada, bob = (
        join(client, room["code"], nickname="Ada"),
        join(client, room["code"], nickname="Bob"),
    )
    big = join(client, room["code"], nickname="Big")
    client.patch(api(big["id"]), json={"config": {"hidden": [4, 2]}})
    bob_small = client.patch(api(bob["id"]), json={"config": {"hidden": [2]}}).json()
    assert bob_small["metrics"]["test_accuracy"] < 0.99  # nobody has reached it yet
    target = {"metric": "test_accuracy", "target": 0.99, "max_layers": 1}
    r = client.put(f"{room['api']}/challenge", json=target, headers=room["auth"])
    assert r.status_code == 200 and r.json()["challenge"]["target"] == 0.99
    train(client, big["id"], 30)  # reaches it with two layers: over the limit
    train(client, ada["id"], 30)
    first = until(lambda: ranked(client, room, 1), "Ada on the board")
    assert [r["name"] for r in first] == ["Ada"] and first[0]["params"] == 13
    train(client, bob["id"], 30)  # fewer parameters, but later
    ranks = until(lambda: ranked(client, room, 2), "Bob on the board")
    assert [(r["name"], r["rank"]) for r in ranks] == [("Ada", 1), ("Bob", 2)]
    assert ranks[0]["seconds"] <= ranks[1]["seconds"] and ranks[1]["params"] < ranks[0]["params"]
    assert ranks[0]["value"] >= 0.99 and ranks[0]["architecture"] == "2 in · 3 · tanh"
    standing = {m["nickname"]: m for m in teacher_view(client, room)["members"]}
    assert standing["Big"]["test_accuracy"] >= 0.99  # reached the accuracy, not the goal
    progress = client.get(api(bob["id"])).json()["room"]["progress"]
    assert progress["rank"] == 2 and progress["epoch"] == 30
    assert client.get(api(big["id"])).json()["room"]["progress"] is None
    assert client.get(api(ada["id"])).json()["room"]["challenge"]["max_layers"] == 1
    r = client.delete(f"{room['api']}/challenge", headers=room["auth"])
    assert r.status_code == 200
    ended = board(client, room)
    assert ended["challenge"] is None and ended["ranks"] == []
    assert [p["name"] for p in ended["podium"]] == ["Ada", "Bob"]


def test_a_challenge_past_its_epochs_is_not_reached(client: TestClient) -> None:
    room = start(client, config=GAUSS)
    late, ontime = join(client, room["code"]), join(client, room["code"])
    goal = {"metric": "test_accuracy", "target": 0.99, "max_epochs": 25}
    client.put(f"{room['api']}/challenge", json=goal, headers=room["auth"])
    train(client, late["id"], 40)
    train(client, ontime["id"], 20)
    ranks = until(lambda: ranked(client, room, 1), "the student within 25 epochs")
    assert [r["number"] for r in ranks] == [ontime["number"]]


@pytest.mark.parametrize(
    "body",
    [{"metric": "loss", "target": 1}, {"metric": "test_loss", "target": -1},
     {"metric": "test_loss", "target": 1, "max_neurons": 0}],
)  # fmt: skip
def test_a_bad_challenge_is_a_422(client: TestClient, body: dict[str, Any]) -> None:
    room = start(client)
    r = client.put(f"{room['api']}/challenge", json=body, headers=room["auth"])
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][0] == "body"
    assert board(client, room)["challenge"] is None
