"""REST calls that tests make again and again: create a session, patch its config."""

from __future__ import annotations

from fastapi.testclient import TestClient

THREE = {"dataset": "clouds", "classes": 3, "hidden": [6], "learning_rate": 0.1}


def create(client: TestClient, **config: object) -> dict:
    r = client.post("/api/sessions", json={"config": config})
    assert r.status_code == 201, r.text
    return r.json()


def patch(client: TestClient, sid: str, **config: object) -> dict:
    r = client.patch(f"/api/sessions/{sid}", json={"config": config})
    assert r.status_code == 200, r.text
    return r.json()
