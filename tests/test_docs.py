"""The docs say what the code does: every route of the app is in docs/api.md and every
route there is in the app; every websocket message type in docs/protocol.md exists
(client messages in server/protocol/messages.py, server messages where the server posts them),
and the other way round; the README's curl example runs as written."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import typing
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from starlette.routing import BaseRoute, Mount, Route, WebSocketRoute

from server.app import create_app
from server.config import Settings
from server.protocol.messages import ClientMessage, error_message
from tests.helpers.live import ROOT, LiveServer

API_MD = (ROOT / "docs" / "api.md").read_text()
PROTOCOL_MD = (ROOT / "docs" / "protocol.md").read_text()
ROOMS_MD = (ROOT / "docs" / "rooms.md").read_text()
README = (ROOT / "README.md").read_text()
# `GET /api/sessions/{id}/boundary.png?size=…` in a table's first cell
DOC_ROUTE = re.compile(r"`(GET|POST|PUT|PATCH|DELETE|WS) (/[^`?\s]*)[^`]*`")


def normal(path: str) -> str:
    """/api/sessions/{session_id} and /api/sessions/{id} are the same route."""
    return re.sub(r"\{[^}]+\}", "{}", path)


def walk(routes: typing.Iterable[BaseRoute], prefix: str = "") -> Iterator[tuple[str, str]]:
    """(method, path) of every route, into included routers and mounts; a mount is one
    ``GET /mount/{path}`` (its files are served by StaticFiles)."""
    for route in routes:
        if isinstance(route, WebSocketRoute):
            yield "WS", prefix + route.path
        elif isinstance(route, Mount):
            yield "GET", f"{prefix}{route.path}/{{path}}"
        elif isinstance(route, Route):
            for method in sorted((route.methods or set()) - {"HEAD"}):
                yield method, prefix + route.path
        elif (router := getattr(route, "original_router", None)) is not None:
            # FastAPI's lazily included router: its routes carry their own prefix
            included = getattr(getattr(route, "include_context", None), "prefix", "")
            yield from walk(router.routes, prefix + included)
        else:
            raise AssertionError(f"a route of a kind this test does not know: {route!r}")


def _actions() -> tuple[str, ...]:
    from server.web.api_sessions import act

    return typing.get_args(typing.get_type_hints(act)["action"])


ACTIONS = _actions()  # POST /api/sessions/{id}/{action}


def app_routes(app: FastAPI) -> set[tuple[str, str]]:
    """The app's routes, ``POST …/{action}`` as one route per action (as api.md lists)."""
    expanded = set()
    for method, path in walk(app.routes):
        if path.endswith("/{action}"):
            expanded |= {(method, normal(path.removesuffix("{action}") + a)) for a in ACTIONS}
        else:
            expanded.add((method, normal(path)))
    return expanded


def documented_routes() -> set[tuple[str, str]]:
    """Every `METHOD /path` in the first cell of a table row of docs/api.md."""
    found = set()
    for line in API_MD.splitlines():
        if line.startswith("| `"):
            first = line.split("|")[1]
            found |= {(m, normal(p)) for m, p in DOC_ROUTE.findall(first)}
    return found


def test_every_route_is_documented_and_every_documented_route_exists() -> None:
    routes = app_routes(create_app(Settings(device="cpu")))
    documented = documented_routes()
    assert len(documented) > 30, "the route tables of docs/api.md were not found"
    assert routes - documented == set(), "routes missing from docs/api.md"
    assert documented - routes == set(), "docs/api.md documents routes the app lacks"


def test_the_route_walk_sees_a_new_route() -> None:
    app = create_app(Settings(device="cpu"))

    @app.get("/api/undocumented")
    async def undocumented() -> dict[str, str]:
        return {}

    assert ("GET", "/api/undocumented") in app_routes(app) - documented_routes()


def section(text: str, heading: str) -> str:
    """The lines under ``heading`` up to the next heading of its level or a higher one
    (a ``#`` line inside a fenced code block is a shell comment, not a heading)."""
    level = len(heading.split(" ")[0])
    lines = text.splitlines()
    start = lines.index(heading) + 1
    fenced = False
    for end in range(start, len(lines)):
        line = lines[end]
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced and re.match(rf"#{{1,{level}}} ", line):
            return "\n".join(lines[start:end]) + "\n"
    return "\n".join(lines[start:]) + "\n"


def client_types() -> set[str]:
    union = typing.get_args(ClientMessage)[0]
    return {typing.get_args(m.model_fields["type"].annotation)[0] for m in typing.get_args(union)}


def server_types() -> set[str]:
    """The ``type`` of every JSON message the server posts to a viewer: the literal dicts
    handed to ``.post(...)`` or ``.publish(topic, ...)`` anywhere in server/, and the
    error message."""
    found = {error_message("", "")["type"]}
    for source in (ROOT / "server").rglob("*.py"):
        text = source.read_text()  # posted to a viewer, or published to a room's walls
        found |= set(re.findall(r'\.(?:post\(|publish\([^,]+,)\s*\{\s*"type":\s*"(\w+)"', text))
    return found


def test_every_client_message_is_documented_and_exists() -> None:
    table = section(PROTOCOL_MD, "## Client → server (JSON text messages)")
    documented = set(re.findall(r"^\| `(\w+)` \|", table, re.M))
    assert documented == client_types()


def test_every_server_message_is_documented_and_sent() -> None:
    text = section(PROTOCOL_MD, "### JSON text messages")
    # and the teacher's wall's messages (docs/rooms.md)
    text += section(ROOMS_MD, "## The wall's websocket: `/ws/rooms/{code}`")
    documented = set(re.findall(r'^- `\{"type": "(\w+)"', text, re.M))
    assert len(server_types()) >= 2, "the scan of server/ found no posted messages"
    assert documented == server_types()


def test_the_websocket_path_in_the_protocol_is_the_apps() -> None:
    routes = {path for method, path in app_routes(create_app(Settings(device="cpu")))}
    paths = re.findall(r"`ws://HOST:PORT(/[^`]+)`", PROTOCOL_MD)
    assert paths and {normal(p) for p in paths} <= routes


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_the_readmes_curl_example_runs_as_written(tmp_path: Path) -> None:
    block = section(README, "## The REST API").split("```sh\n")[1].split("```")[0]
    assert "ID=$(" in block and "localhost:8000" in block
    with LiveServer() as server:
        script = block.replace("localhost:8000", f"127.0.0.1:{server.port}")
        done = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", script],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert done.returncode == 0, done.stderr
    assert '"epoch":200' in done.stdout  # the train reply
    assert (tmp_path / "boundary.png").read_bytes().startswith(b"\x89PNG")


def test_the_readmes_notebook_example_runs_as_written() -> None:
    """The engine as a notebook uses it, with the README's imports and its printed line."""
    code = re.search(r"directly:\n\n```python\n(.*?)```", README, re.S)
    assert code is not None, "README lost its notebook example"
    done = subprocess.run(
        [sys.executable, "-c", code.group(1)], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    shown = re.search(r"print\(result\)\s+# (EpochResult\(epoch=\d+, train_loss=0\.\d{3})", README)
    assert shown is not None and done.stdout.startswith(shown.group(1)), (done.stdout, shown)
