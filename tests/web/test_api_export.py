"""REST routes of web/api_export.py: the model as a script, a state dict and a JSON file,
and importing that file."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_import_with_an_absurd_epoch_is_refused_and_changes_nothing(
    client: TestClient, session: str
) -> None:
    model = client.get(f"/api/sessions/{session}/export/model.json").json()
    model["epoch"] = 10**20
    model["config"]["hidden"] = [3]
    r = client.post(f"/api/sessions/{session}/import", json=model)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][-1] == "epoch"
    assert client.get(f"/api/sessions/{session}").json()["config"]["hidden"] == [4, 2]
