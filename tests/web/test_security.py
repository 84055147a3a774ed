"""Security headers on every HTTP response, the /docs nonce, and the websocket's Origin
check (server/web/security.py)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from server.app import create_app
from server.config import Settings
from server.web.security import Origins, origin_allowed, parse_origins


def directives(response_headers: object) -> dict[str, list[str]]:
    """The Content-Security-Policy header as {directive: [sources]}."""
    policy = response_headers["content-security-policy"]  # type: ignore[index]
    parts = [part.split() for part in policy.split(";") if part.strip()]
    return {part[0]: part[1:] for part in parts}


@pytest.fixture
def app_with(settings: Settings) -> Iterator[object]:
    """Makes a TestClient of an app with other allowed_origins; closes them after."""
    clients: list[TestClient] = []

    def make(allowed_origins: str) -> TestClient:
        client = TestClient(create_app(settings.replace(allowed_origins=allowed_origins)))
        clients.append(client.__enter__())
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


# -- headers --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/", 200),
        ("GET", "/docs", 200),
        ("GET", "/openapi.json", 200),
        ("GET", "/api/health", 200),
        ("GET", "/static/css/playground.css", 200),
        ("GET", "/vendor/plotly.min.js", 200),
        ("GET", "/api/sessions/nope", 404),
        ("GET", "/no/such/page", 404),
        ("PATCH", "/api/sessions/nope", 422),
    ],
)
def test_every_response_carries_the_security_headers(
    client: TestClient, method: str, path: str, status: int
) -> None:
    r = client.request(method, path, content=b"{" if method == "PATCH" else None)
    assert r.status_code == status
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "no-referrer"
    assert r.headers["x-frame-options"] == "SAMEORIGIN"
    policy = directives(r.headers)
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"][0] == "'self'" and len(policy["script-src"]) == 2
    assert re.fullmatch(r"'nonce-[A-Za-z0-9_-]{22}'", policy["script-src"][1])
    assert policy["object-src"] == ["'none'"] and policy["base-uri"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'self'"]
    assert policy["img-src"] == ["'self'", "data:", "blob:"]
    assert policy["connect-src"] == ["'self'", "ws://testserver", "wss://testserver"]


def test_a_body_refused_as_too_large_carries_them_too(client: TestClient) -> None:
    r = client.post("/api/sessions", content=b" " * 4_000_001)
    assert r.status_code == 413
    assert r.headers["x-content-type-options"] == "nosniff"
    assert "'nonce-" in r.headers["content-security-policy"]


def test_scripts_only_come_from_the_server(client: TestClient) -> None:
    policy = client.get("/").headers["content-security-policy"]
    assert "unsafe-eval" not in policy
    assert "'unsafe-inline'" not in directives(client.get("/").headers)["script-src"]


def test_a_host_header_that_is_not_a_host_stays_out_of_the_policy(client: TestClient) -> None:
    r = client.get("/api/health", headers={"host": "evil.example; script-src *"})
    assert directives(r.headers)["connect-src"] == ["'self'"]
    assert directives(r.headers)["script-src"][0] == "'self'"


def test_the_docs_inline_script_carries_this_responses_nonce(client: TestClient) -> None:
    first, second = client.get("/docs"), client.get("/docs")
    for r in (first, second):
        nonce = directives(r.headers)["script-src"][1].removeprefix("'nonce-").rstrip("'")
        inline = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", r.text)
        assert inline == [f' nonce="{nonce}"']
    assert first.headers["content-security-policy"] != second.headers["content-security-policy"]


def test_listed_origins_may_frame_the_page(app_with) -> None:  # type: ignore[no-untyped-def]
    r = app_with("https://lms.example.org, http://localhost:3000/").get("/")
    policy = directives(r.headers)
    assert policy["frame-ancestors"] == [
        "'self'",
        "http://localhost:3000",
        "https://lms.example.org",
    ]
    assert "x-frame-options" not in r.headers  # frame-ancestors alone says who may


def test_a_star_lets_any_page_frame_it(app_with) -> None:  # type: ignore[no-untyped-def]
    r = app_with("*").get("/")
    assert directives(r.headers)["frame-ancestors"] == ["*"]
    assert "x-frame-options" not in r.headers


@pytest.mark.parametrize(
    "entry", ["lms.example.org", "https://lms.example.org/course", "https://a;script-src *"]
)
def test_an_allowed_origin_that_is_not_one_stops_the_app(settings: Settings, entry: str) -> None:
    with pytest.raises(ValueError, match=f"{re.escape(repr(entry))} is not an origin"):
        create_app(settings.replace(allowed_origins=f"https://ok.example, {entry}"))


# -- the websocket's Origin check -----------------------------------------------------------
def first_message(client: TestClient, session: str, origin: str | None) -> dict:
    headers = {"origin": origin} if origin else {}
    with client.websocket_connect(f"/ws/sessions/{session}", headers=headers) as ws:
        return dict(ws.receive_json())


@pytest.mark.parametrize("origin", [None, "http://testserver", "https://TestServer:443"])
def test_scripts_and_the_servers_own_pages_connect(
    client: TestClient, session: str, origin: str | None
) -> None:
    assert first_message(client, session, origin)["type"] == "state"


@pytest.mark.parametrize(
    "origin", ["https://evil.example", "http://testserver:8080", "null", "http://testserver.evil"]
)
def test_another_sites_page_is_refused_before_accept(
    client: TestClient, session: str, origin: str
) -> None:
    with pytest.raises(WebSocketDisconnect) as refused:
        first_message(client, session, origin)
    assert refused.value.code == 4403
    assert f"origin {origin} may not connect" in refused.value.reason


def test_a_long_origin_is_cut_to_fit_a_close_reason(client: TestClient, session: str) -> None:
    origin = "https://" + "a" * 200 + ".example"
    with pytest.raises(WebSocketDisconnect) as refused:
        first_message(client, session, origin)
    assert refused.value.code == 4403
    assert refused.value.reason.startswith("origin https://aaa")
    assert len(refused.value.reason.encode()) <= 123


def test_listed_origins_connect_and_others_still_do_not(app_with) -> None:  # type: ignore[no-untyped-def]
    client = app_with("https://lms.example.org")
    session = client.post("/api/sessions", json={"config": {}}).json()["id"]
    assert first_message(client, session, "https://lms.example.org")["type"] == "state"
    with pytest.raises(WebSocketDisconnect) as refused:
        first_message(client, session, "https://other.example.org")
    assert refused.value.code == 4403


def test_a_star_lets_any_origin_connect(app_with) -> None:  # type: ignore[no-untyped-def]
    client = app_with("*")
    session = client.post("/api/sessions", json={"config": {}}).json()["id"]
    assert first_message(client, session, "https://anywhere.example")["type"] == "state"


NONE = Origins(False, frozenset())


@pytest.mark.parametrize(
    ("origin", "host", "allowed"),
    [
        ("http://example.org", "example.org", True),
        ("https://example.org", "example.org", True),  # TLS ends at a proxy that keeps Host
        ("http://example.org", "example.org:80", True),
        ("https://example.org:8443", "example.org:8443", True),
        ("http://[::1]:8000", "[::1]:8000", True),
        ("http://example.org:8000", "example.org", False),
        ("http://example.org", "example.org:8000", False),
        ("http://example.org", None, False),
        ("http://example.org", "example.org:notaport", False),
    ],
)
def test_same_host_compares_name_and_port(origin: str, host: str | None, allowed: bool) -> None:
    assert origin_allowed(origin, host, NONE) is allowed


def test_listed_origins_are_compared_normalised() -> None:
    listed = parse_origins(" HTTPS://LMS.example.org:443/ ,http://localhost:3000")
    assert listed.listed == {"https://lms.example.org", "http://localhost:3000"}
    assert origin_allowed("https://lms.example.org", "playground.example", listed)
    assert not origin_allowed("http://lms.example.org", "playground.example", listed)
