"""server/sessions/rules.py: the fields that follow a change, the loss above all: it follows
the data (mse on TFP's two-class datasets and for regression, cross-entropy for more than
two classes) unless the caller named one."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from server.protocol.rest import Config
from server.sessions.rules import data_loss, follow_changes
from tests.helpers.follow_cases import CASES


def followed(fields: dict[str, Any], patch: dict[str, Any]) -> Config:
    config = Config.model_validate(fields)
    changes = dict(patch)
    follow_changes(config, changes)
    return Config.model_validate({**config.model_dump(), **changes})


@pytest.mark.parametrize(
    ("config", "patch", "want"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_follow_changes(
    config: dict[str, Any], patch: dict[str, Any], want: dict[str, Any]
) -> None:
    result = followed(config, patch).model_dump()
    assert {k: result[k] for k in want} == want


@pytest.mark.parametrize(
    ("problem", "dataset", "classes", "loss"),
    [
        ("classification", "circle", 2, "mse"),
        ("classification", "spiral", 2, "mse"),
        ("classification", "moons", 2, None),
        ("classification", "arms", 2, None),
        ("classification", "arms", 3, "cross_entropy"),
        ("regression", "multi_gauss", 2, "mse"),
    ],
)
def test_data_loss(problem: str, dataset: str, classes: int, loss: str | None) -> None:
    assert data_loss(problem, dataset, classes) == loss


def patch(client: TestClient, sid: str, **config: Any) -> dict[str, Any]:
    r = client.patch(f"/api/sessions/{sid}", json={"config": config})
    assert r.status_code == 200, r.text
    return dict(r.json()["config"])


def test_after_four_classes_circle_trains_with_mse_again(client: TestClient, session: str) -> None:
    assert patch(client, session, dataset="clouds", classes=4)["loss"] == "cross_entropy"
    config = patch(client, session, dataset="circle")
    assert (config["classes"], config["loss"]) == (2, "mse")


def test_a_chosen_loss_is_kept_where_the_data_allows_it(client: TestClient) -> None:
    r = client.post("/api/sessions", json={"config": {"loss": "cross_entropy", "seed": 1}})
    sid = r.json()["id"]
    assert patch(client, sid, dataset="xor")["loss"] == "cross_entropy"  # given at create
    assert patch(client, sid, problem="regression")["loss"] == "mse"  # the only one there
    # named in the patch: kept, even where the data would pick mse
    config = patch(client, sid, problem="classification", dataset="gauss", loss="cross_entropy")
    assert config["loss"] == "cross_entropy"
    # a loss the data does not allow, named: refused with the field and what fits
    r = client.patch(
        f"/api/sessions/{sid}", json={"config": {"classes": 3, "dataset": "arms", "loss": "mse"}}
    )
    assert r.status_code == 422 and "cross_entropy" in r.text
