"""Bytes on the wire (server/web/compression.py): static files compressed once and
revalidated with 304s, other responses compressed per response, API answers never
cached, binary downloads and websockets untouched."""

from __future__ import annotations

import asyncio
import concurrent.futures
import gzip
import io
import os
import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import brotli
import httpx
import pytest
import torch
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.responses import Response, StreamingResponse

from server.app import PLOTLY_JS, create_app
from server.config import Settings
from server.web import compression
from server.web.assets import AssetCache, CompressedStatic
from server.web.compression import Compress, choose_coding

BOTH = "gzip, deflate, br"  # what Chromium sends
DECODE = {"br": brotli.decompress, "gzip": gzip.decompress, None: lambda body: body}


@pytest.fixture(scope="module")
def app_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    data = tmp_path_factory.mktemp("data")  # its own database: one server per database
    with TestClient(create_app(Settings(device="cpu", data_dir=str(data)))) as c:
        yield c


def wire(c: TestClient, path: str, **headers: str) -> tuple[httpx.Response, bytes]:
    """The response and its body as sent (not decoded)."""
    with c.stream("GET", path, headers=headers) as r:
        return r, b"".join(r.iter_raw())


@pytest.mark.parametrize(
    ("accept", "coding"),
    [
        ("gzip, deflate, br", "br"),
        ("gzip", "gzip"),
        ("br;q=0, gzip;q=0.5", "gzip"),
        ("gzip;q=0, br;q=0", "identity"),
        ("identity", "identity"),
        ("", "identity"),
        ("*", "br"),
        ("*;q=0, gzip", "gzip"),
        ("BR;q=1.0", "br"),
        ("br;q=oops", "identity"),
    ],
)
def test_the_coding_is_the_best_one_the_client_accepts(accept: str, coding: str) -> None:
    assert choose_coding(accept) == coding


@pytest.mark.parametrize(("accept", "coding"), [("identity", None), ("gzip", "gzip"), (BOTH, "br")])
def test_plotly_js_is_sent_compressed_and_decodes_to_the_file(
    app_client: TestClient, accept: str, coding: str | None
) -> None:
    r, raw = wire(app_client, "/vendor/plotly.min.js", **{"accept-encoding": accept})
    assert r.status_code == 200
    assert r.headers.get("content-encoding") == coding
    assert r.headers["content-type"].startswith("text/javascript")
    assert int(r.headers["content-length"]) == len(raw)
    original = PLOTLY_JS.read_bytes()
    assert DECODE[coding](raw) == original
    if coding:
        assert len(raw) < len(original) / 3  # 4.8 MB -> 1.2-1.5 MB
    assert r.headers["cache-control"] == "no-cache"
    assert r.headers["vary"] == "Accept-Encoding"
    assert "content-security-policy" in r.headers  # the CSP middleware still adds its headers


@pytest.mark.parametrize(
    "path", ["/vendor/plotly.min.js", "/static/js/main.js", "/static/css/playground.css"]
)
def test_a_reload_revalidates_with_a_304_and_no_body(app_client: TestClient, path: str) -> None:
    first, _ = wire(app_client, path, **{"accept-encoding": BOTH})
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    again, body = wire(app_client, path, **{"accept-encoding": BOTH, "if-none-match": etag})
    assert again.status_code == 304 and body == b""
    assert again.headers["etag"] == etag
    assert "content-security-policy" in again.headers
    # a copy fetched in another coding is the same content: still current
    other, _ = wire(app_client, path, **{"accept-encoding": "gzip", "if-none-match": etag})
    assert other.status_code == 304
    since, body = wire(app_client, path, **{"accept-encoding": BOTH, "if-modified-since": modified})
    assert since.status_code == 304 and body == b""
    stale, _ = wire(app_client, path, **{"accept-encoding": BOTH, "if-none-match": '"other"'})
    assert stale.status_code == 200
    old = wire(app_client, path, **{"if-modified-since": "Mon, 01 Jan 2001 00:00:00 GMT"})[0]
    assert old.status_code == 200


def test_a_changed_file_gets_a_new_etag_and_its_new_content(tmp_path: Path) -> None:
    (tmp_path / "a.js").write_text("export const a = 1;\n" * 200)
    app = FastAPI()
    app.mount("/s", CompressedStatic(directory=tmp_path, cache=AssetCache()))
    app.add_middleware(Compress)
    with TestClient(app) as c:
        first = c.get("/s/a.js", headers={"accept-encoding": BOTH})
        assert first.headers["content-encoding"] == "br"
        (tmp_path / "a.js").write_text("export const a = 2;\n" * 200)
        stat = (tmp_path / "a.js").stat()
        os.utime(tmp_path / "a.js", ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
        etag = first.headers["etag"]
        second = c.get("/s/a.js", headers={"accept-encoding": BOTH, "if-none-match": etag})
        assert second.status_code == 200 and second.headers["etag"] != etag
        assert second.text == "export const a = 2;\n" * 200
        assert c.get("/s/missing.js").status_code == 404
        assert c.get("/s/../a.js").status_code == 404


def test_thirty_browsers_at_once_cost_one_compression(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[int, str]] = []
    real = compression.compress

    def counted(body: bytes, coding: str, *, static: bool = False) -> bytes:
        calls.append((len(body), coding))
        return real(body, coding, static=static)

    monkeypatch.setattr(compression, "compress", counted)
    app = create_app(Settings(device="cpu"))

    async def class_loads() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            asks = [
                client.get("/vendor/plotly.min.js", headers={"accept-encoding": BOTH})
                for _ in range(30)
            ]
            return await asyncio.gather(*asks)

    # its own thread: the browser tests' Playwright keeps an event loop in the main one
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        replies = pool.submit(asyncio.run, class_loads()).result(timeout=120)
    assert {r.status_code for r in replies} == {200}
    assert {r.headers["content-encoding"] for r in replies} == {"br"}
    assert calls == [(PLOTLY_JS.stat().st_size, "br")]


def test_api_json_is_compressed_and_never_cached(app_client: TestClient) -> None:
    r, raw = wire(app_client, "/api/options", **{"accept-encoding": BOTH})
    assert r.headers["content-encoding"] == "br"
    assert r.headers["cache-control"] == "no-store"
    assert r.headers["vary"] == "Accept-Encoding"
    assert brotli.decompress(raw) == app_client.get("/api/options").content
    small, raw = wire(app_client, "/api/health", **{"accept-encoding": BOTH})
    assert "content-encoding" not in small.headers  # under MIN_SIZE: sent as it is
    assert small.headers["cache-control"] == "no-store"
    sid = app_client.post("/api/sessions", json={}).json()["id"]
    r, raw = wire(app_client, f"/api/sessions/{sid}/data", **{"accept-encoding": "gzip"})
    assert r.headers["content-encoding"] == "gzip" and r.headers["cache-control"] == "no-store"
    assert len(gzip.decompress(raw)) > len(raw)
    missing = app_client.get("/api/sessions/nope", headers={"accept-encoding": BOTH})
    assert missing.status_code == 404 and missing.headers["cache-control"] == "no-store"


def test_binary_downloads_are_sent_as_they_are(app_client: TestClient) -> None:
    sid = app_client.post("/api/sessions", json={}).json()["id"]
    r, raw = wire(
        app_client, f"/api/sessions/{sid}/export/state_dict.pt", **{"accept-encoding": BOTH}
    )
    assert r.status_code == 200 and "content-encoding" not in r.headers
    state = torch.load(io.BytesIO(raw), weights_only=True)
    assert state["layers.0.weight"].shape == (4, 2)
    png, raw = wire(app_client, f"/api/sessions/{sid}/boundary.png", **{"accept-encoding": BOTH})
    assert "content-encoding" not in png.headers and raw.startswith(b"\x89PNG")
    csv, raw = wire(app_client, f"/api/sessions/{sid}/data.csv", **{"accept-encoding": BOTH})
    assert csv.headers["content-encoding"] == "br"  # text downloads shrink, and still download
    assert brotli.decompress(raw).startswith(b"x,y,label,split")
    assert csv.headers["content-disposition"].startswith("attachment")


def test_the_docs_page_keeps_its_nonce_under_compression(app_client: TestClient) -> None:
    r = app_client.get("/docs", headers={"accept-encoding": BOTH})
    nonce = re.search(r"'nonce-([^']+)'", r.headers["content-security-policy"])
    assert nonce is not None and f'nonce="{nonce.group(1)}"' in r.text


def test_the_page_is_compressed_and_websockets_still_stream(app_client: TestClient) -> None:
    r, raw = wire(app_client, "/", **{"accept-encoding": BOTH})
    assert r.headers["content-encoding"] == "br"
    assert b'id="options"' in brotli.decompress(raw)
    etag = r.headers["etag"]
    assert etag.startswith('W/"') and r.headers["cache-control"] == "no-cache"
    again, body = wire(app_client, "/", **{"accept-encoding": "gzip", "if-none-match": etag})
    assert again.status_code == 304 and body == b"" and again.headers["etag"] == etag
    assert "content-security-policy" in again.headers
    plain = app_client.get("/", headers={"accept-encoding": "identity"})
    assert plain.headers["etag"] == etag and "content-encoding" not in plain.headers
    stale = app_client.get("/", headers={"if-none-match": 'W/"other"'})
    assert stale.status_code == 200 and stale.content == brotli.decompress(raw)
    docs = app_client.get("/docs")  # its nonce changes each time: a new tag each time
    assert (
        app_client.get("/docs", headers={"if-none-match": docs.headers["etag"]}).status_code == 200
    )
    sid = app_client.post("/api/sessions", json={}).json()["id"]
    with app_client.websocket_connect(f"/ws/sessions/{sid}") as ws:
        assert ws.receive_json()["type"] == "state"
        ws.send_json({"type": "step"})
        while (message := ws.receive()).get("bytes") is None:
            pass  # states, then the frame
        assert message["bytes"][0] == 2  # a binary frame, protocol version 2


@pytest.mark.parametrize("coding", ["gzip", "br"])
def test_a_streamed_response_is_compressed_part_by_part(coding: str) -> None:
    parts = [f"line {i} ".encode() * 200 for i in range(5)]

    async def body() -> AsyncIterator[bytes]:
        for part in parts:
            yield part

    app = FastAPI()

    @app.get("/stream")
    async def stream() -> StreamingResponse:
        return StreamingResponse(body(), media_type="text/plain")

    @app.get("/done")
    async def done() -> Response:  # already encoded: passed through as it is
        return Response(gzip.compress(b"x" * 5000), headers={"content-encoding": "gzip"})

    app.add_middleware(Compress)
    with TestClient(app) as c:
        r, raw = wire(c, "/stream", **{"accept-encoding": coding})
        assert r.headers["content-encoding"] == coding and "content-length" not in r.headers
        assert DECODE[coding](raw) == b"".join(parts)
        r, raw = wire(c, "/done", **{"accept-encoding": BOTH})
        assert r.headers["content-encoding"] == "gzip" and gzip.decompress(raw) == b"x" * 5000
