"""REST calls that tests make again and again: a session's path, create, patch, train, and a
snapshot of all a refused request must leave alone."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

HEADER = "x,y,label,split\n"  # a points CSV's first line
CSV = {"content-type": "text/csv"}
THREE = {"dataset": "clouds", "classes": 3, "hidden": [6], "learning_rate": 0.1}


def create(client: TestClient, **config: object) -> dict:
    r = client.post("/api/sessions", json={"config": config})
    assert r.status_code == 201, r.text
    return r.json()


def patch(client: TestClient, sid: str, **config: object) -> dict:
    r = client.patch(f"/api/sessions/{sid}", json={"config": config})
    assert r.status_code == 200, r.text
    return r.json()


def api(sid: str, path: str = "") -> str:
    return f"/api/sessions/{sid}{path}"


def snapshot(client: TestClient, sid: str) -> tuple[Any, Any, Any]:
    """Everything a refused request must leave alone."""
    state = client.get(api(sid)).json()
    state.pop("rate")
    return state, client.get(api(sid, "/data")).json(), client.get(api(sid, "/params")).json()


def train(client: TestClient, sid: str, epochs: int) -> dict[str, Any]:
    r = client.post(api(sid, "/train"), json={"epochs": epochs})
    assert r.status_code == 200, r.text
    return r.json()
