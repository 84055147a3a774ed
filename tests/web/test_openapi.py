"""The OpenAPI schema says what the API answers: schemathesis sends generated requests to
the app in-process (ASGI, no network), per operation and as stateful sequences (a created
session's ``id`` feeds every ``session_id``), and fails on a 5xx or an answer the schema
does not declare (status, content type, body)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import hypothesis
import pytest
import requests
import schemathesis
from fastapi.testclient import TestClient
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.config import SchemathesisConfig
from schemathesis.python import asgi

from server.app import create_app
from server.config import Settings

SEED = 20_240_601
EXAMPLES = 30  # fuzzed per operation, beside the coverage phase's boundary cases
SCENARIOS = 60  # stateful: sequences of calls, each up to STEPS long
STEPS = 8
BASE = "http://testserver"
# Small limits, so that generated trains and uploads stay quick.
SETTINGS = Settings(max_sessions=20, max_train_epochs=50, max_points=200, create_rate=100_000)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
CONFIG = SchemathesisConfig.from_dict(
    {
        "seed": SEED,
        "generation": {
            "mode": "all",  # valid inputs and invalid ones
            "max-examples": EXAMPLES,
            "deterministic": True,
            "database": "none",  # no replays of earlier runs' examples: each run the same
        },
        "phases": {"coverage": {"enabled": True}},
    }
)


def same_type_tuples_as_arrays(node: Any) -> Any:
    """The schema with each tuple of one item type (``prefixItems: [X, X]``, as pydantic
    writes ``tuple[float, float]``) spelled ``items: X`` with its length bounds, which
    means the same. Schemathesis 4.32 checks responses against OpenAPI 3.1 schemas after
    turning ``prefixItems`` into a draft-4 ``items`` list, then refuses its own result
    ("Invalid Schema Object in response definition")."""
    if isinstance(node, list):
        return [same_type_tuples_as_arrays(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: same_type_tuples_as_arrays(value) for key, value in node.items()}
    prefix = node.get("prefixItems")
    if prefix and "items" not in node and all(item == prefix[0] for item in prefix):
        node["items"] = node.pop("prefixItems")[0]
    return node


# The schema is built without starting the app; each test runs an app of its own.
schema = schemathesis.openapi.from_dict(
    same_type_tuples_as_arrays(create_app(SETTINGS).openapi()), config=CONFIG
)


@pytest.fixture
def client() -> Iterator[TestClient]:
    with TestClient(create_app(SETTINGS)) as c:  # runs the lifespan: the worker thread
        yield c


@pytest.fixture
def transport(client: TestClient) -> requests.Session:
    """Schemathesis' in-process ASGI session for the client's app; never entered, so it
    leaves the lifespan to the TestClient."""
    return asgi.get_client(client.app)


@schema.parametrize()
@hypothesis.settings(  # one app per operation, shared by its examples
    suppress_health_check=[hypothesis.HealthCheck.function_scoped_fixture], deadline=None
)
def test_each_operation_answers_as_its_schema_says(
    case: schemathesis.Case, client: TestClient, transport: requests.Session
) -> None:
    if not case.path_parameters or "session_id" not in case.path_parameters:
        case.call_and_validate(base_url=BASE, session=transport, checks=CHECKS)
        return
    # a live session of its own, so that the operation does more than answer 404
    created = client.post("/api/sessions", json={"config": {}})
    assert created.status_code == 201, (created.status_code, created.text, case.operation.label)
    session = created.json()["id"]
    case.path_parameters["session_id"] = session
    try:
        case.call_and_validate(base_url=BASE, session=transport, checks=CHECKS)
    finally:
        client.delete(f"/api/sessions/{session}")


def test_sequences_of_calls_answer_as_the_schema_says(
    client: TestClient, transport: requests.Session
) -> None:
    """Created sessions' ids feed the other routes (links schemathesis infers from
    SessionState.id); each scenario deletes the sessions it created."""

    class Sequences(schema.as_state_machine()):  # type: ignore[misc]
        created: list[str]

        def setup(self) -> None:
            self.created = []

        def get_call_kwargs(self, case: schemathesis.Case) -> dict[str, Any]:
            return {"base_url": BASE, "session": transport}

        def after_call(self, response: schemathesis.Response, case: schemathesis.Case) -> None:
            super().after_call(response, case)
            if case.operation.label == "POST /api/sessions" and response.status_code == 201:
                self.created.append(response.json()["id"])

        def validate_response(  # type: ignore[override]
            self, response: schemathesis.Response, case: schemathesis.Case, **kwargs: Any
        ) -> None:
            case.validate_response(response, checks=CHECKS)

        def teardown(self) -> None:
            for session in self.created:
                client.delete(f"/api/sessions/{session}")

    Sequences.run(
        settings=hypothesis.settings(
            max_examples=SCENARIOS,
            stateful_step_count=STEPS,
            derandomize=True,
            deadline=None,
            database=None,
            suppress_health_check=list(hypothesis.HealthCheck),
        )
    )


JSON = {"content-type": "application/json"}


def live_session(client: TestClient, kind: str) -> str:
    """A session id: "plain", "no points", "three classes", or "gone" (never created)."""
    if kind == "gone":
        return "gone"
    config = {"dataset": "arms", "classes": 3} if kind == "three classes" else {}
    session = str(client.post("/api/sessions", json={"config": config}).json()["id"])
    if kind == "no points":
        client.post(f"/api/sessions/{session}/points/clear")
    return session


@pytest.mark.parametrize(
    ("method", "template", "kind", "request_", "status"),
    [
        ("POST", "/api/sessions/{session_id}/train", "no points", {"json": {"epochs": 1}}, 409),
        ("POST", "/api/sessions/{session_id}/{action}", "no points", {}, 409),  # step
        ("GET", "/api/sessions/{session_id}/boundary.png", "three classes", {}, 409),
        ("GET", "/api/sessions/{session_id}/figure", "three classes", {}, 409),
        ("POST", "/api/sessions", "", {"content": b" " * 4_000_001, "headers": JSON}, 413),
        (
            "PUT",
            "/api/sessions/{session_id}/data.csv",
            "plain",
            {"content": b"x" * 1_100_000, "headers": {"content-type": "text/csv"}},
            413,
        ),
        (
            "PATCH",
            "/api/sessions/{session_id}",
            "plain",
            {"content": b"\xff", "headers": JSON},
            400,
        ),
        ("GET", "/api/sessions/{session_id}/params", "gone", {}, 404),
    ],
)
def test_answers_fuzzing_seldom_reaches_match_the_schema(
    client: TestClient,
    method: str,
    template: str,
    kind: str,
    request_: dict[str, Any],
    status: int,
) -> None:
    params = {"session_id": live_session(client, kind)} if kind else {}
    if "{action}" in template:
        params["action"] = "step"
    path = template.format(**params)
    response = client.request(method, path, **request_)
    assert response.status_code == status, response.text
    case = schema[template][method].Case(path_parameters=params or None)
    case.validate_response(response, checks=CHECKS)


def test_a_create_beyond_max_sessions_answers_429_as_the_schema_says(client: TestClient) -> None:
    operation = schema["/api/sessions"]["POST"]
    statuses = []
    for _ in range(SETTINGS.max_sessions + 1):
        response = client.post("/api/sessions", json={"config": {}})
        operation.Case().validate_response(response, checks=CHECKS)
        statuses.append(response.status_code)
    assert statuses == [201] * SETTINGS.max_sessions + [429]


def test_the_schema_declares_the_errors_each_route_answers(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path, operations in paths.items():
        for method, operation in operations.items():
            declared = set(operation["responses"])
            where = f"{method.upper()} {path}"
            names = any(p in path for p in ("{session_id}", "{experiment_id}", "{token}", "{code}"))
            if where in ("POST /api/experiments", "POST /api/rooms"):  # a body's session
                names = True
            assert ("404" in declared) == names, where
            body = "requestBody" in operation
            assert ("413" in declared) == body, where
            if body or operation.get("parameters"):
                assert "422" in declared, where
    assert "429" in paths["/api/sessions"]["post"]["responses"]
    for path, method in [
        ("/api/sessions/{session_id}/train", "post"),
        ("/api/sessions/{session_id}/{action}", "post"),
        ("/api/sessions/{session_id}/boundary.png", "get"),
        ("/api/sessions/{session_id}/figure", "get"),
        ("/api/sessions/{session_id}/export/model.json", "get"),
    ]:
        assert "409" in paths[path][method]["responses"], path


def test_error_bodies_have_the_declared_shapes(client: TestClient) -> None:
    components = client.get("/openapi.json").json()["components"]["schemas"]
    assert components["ErrorMessage"]["required"] == ["detail"]
    issue = components["ValidationIssue"]
    assert set(issue["required"]) == {"type", "loc", "msg"}
    missing = client.get("/api/sessions/nope")
    assert missing.status_code == 404 and missing.json() == {"detail": "unknown session nope"}
    invalid = client.post("/api/sessions", json={"config": {"learning_rate": 11}})
    assert invalid.status_code == 422
    [error] = invalid.json()["detail"]
    assert set(error) == {"type", "loc", "msg"}
