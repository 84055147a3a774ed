"""The page and its assets are served by the app itself: nothing from a CDN."""

from __future__ import annotations

import posixpath
import re
from pathlib import Path

from fastapi.testclient import TestClient

from server.engine.features import FEATURES


def test_index_serves_the_playground_with_local_assets_only(client: TestClient) -> None:
    r = client.get("/")
    assert r.status_code == 200 and "text/html" in r.headers["content-type"]
    html = r.text
    for feature in FEATURES:
        assert f'"{feature}"' in html  # controls are built from the registries
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources and all(not s.startswith(("http:", "https:", "//")) for s in sources), sources
    for source in sources:
        if source.startswith("/") and not source.startswith("/#"):
            assert client.get(source).status_code == 200, source


def test_plotly_comes_from_the_installed_package(client: TestClient) -> None:
    r = client.get("/vendor/plotly.min.js")
    assert r.status_code == 200 and len(r.content) > 1_000_000
    assert "javascript" in r.headers["content-type"]


def served_modules(client: TestClient, entry: str) -> set[str]:
    """From ``entry``, every relative import, transitively, as the browser resolves it
    (each one asserted served as JavaScript)."""
    seen, todo = set(), [entry]
    while todo:
        url = todo.pop()
        reply = client.get(url)
        assert reply.status_code == 200 and "javascript" in reply.headers["content-type"], url
        seen.add(url)
        for spec in re.findall(r'(?:from|import)\s*"(\.{1,2}/[\w./]+\.js)"', reply.text):
            target = posixpath.normpath(posixpath.join(posixpath.dirname(url), spec))
            if target not in seen:
                todo.append(target)
    return seen


def test_every_module_the_page_imports_is_served(client: TestClient) -> None:
    seen = served_modules(client, "/static/js/main.js")
    assert len(seen) > 20 and "/static/js/kinds/mlp.js" in seen, sorted(seen)


def test_api_docs_page_uses_local_assets(client: TestClient) -> None:
    html = client.get("/docs").text
    sources = re.findall(r"(?:src|href)=['\"]([^'\"]+)['\"]", html)
    assert "/vendor/swagger/swagger-ui-bundle.js" in html
    assert all(not s.startswith(("http:", "https:", "//")) for s in sources), sources
    for url in ("/vendor/swagger/swagger-ui-bundle.js", "/vendor/swagger/swagger-ui.css"):
        assert client.get(url).status_code == 200


def test_installing_the_package_brings_a_websocket_library_for_uvicorn() -> None:
    """`pip install .` (the README's quick start) must give a server whose /ws works: uvicorn
    alone answers every websocket request with 404 unless websockets or wsproto is there,
    and the test extras would hide that by installing websockets themselves."""
    import tomllib

    from packaging.requirements import Requirement

    with open(Path(__file__).resolve().parents[2] / "pyproject.toml", "rb") as f:
        project = tomllib.load(f)["project"]
    needs = {Requirement(r).name: Requirement(r) for r in project["dependencies"]}
    assert {"websockets", "wsproto"} & set(needs) or "standard" in needs["uvicorn"].extras


def test_favicon_ico_leads_to_the_apps_icon(client: TestClient) -> None:
    r = client.get("/favicon.ico", follow_redirects=False)
    assert r.status_code == 301 and r.headers["location"] == "/static/favicon.svg"
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.headers["content-type"].startswith("image/svg+xml")


def test_a_share_link_serves_its_read_only_page(client: TestClient) -> None:
    """/s/<token> is a page of its own (its script fetches the experiment over REST), with
    the app's assets only; an unknown token, or a path that cannot be one, is a 404 page
    that says the link doesn't work."""
    key = {"X-Owner-Key": "pages-test-owner-key-0123"}
    sid = client.post("/api/sessions", json={"config": {}}).json()["id"]
    eid = client.post("/api/experiments", json={"session": sid, "name": "p"}, headers=key)
    token = client.post(f"/api/experiments/{eid.json()['id']}/share", headers=key).json()
    r = client.get(token["url"])
    assert r.status_code == 200 and "text/html" in r.headers["content-type"]
    assert f'data-token="{token["token"]}"' in r.text
    assert "/static/js/shared.js" in r.text and "Open in my playground" in r.text
    sources = re.findall(r'(?:src|href)="([^"]+)"', r.text)
    assert all(not s.startswith(("http:", "https:", "//")) for s in sources), sources
    for source in sources:
        if source.startswith("/static/") or source.startswith("/vendor/"):
            assert client.get(source).status_code == 200, source

    unknown = "AbCdEfGh_12-xyz"  # well formed, but no experiment is shared with it
    for bad in (unknown, "short", "no%20spaces%20here", "x" * 65, "<img src=x onerror=alert(1)>"):
        r = client.get(f"/s/{bad}")
        assert r.status_code == 404 and "text/html" in r.headers["content-type"], bad
        assert "This link doesn’t work" in r.text and 'data-token=""' in r.text
        assert "<img src=x" not in r.text


def test_every_module_the_share_page_imports_is_served(client: TestClient) -> None:
    seen = served_modules(client, "/static/js/shared.js")
    assert "/static/js/views/staticNetwork.js" in seen, sorted(seen)
