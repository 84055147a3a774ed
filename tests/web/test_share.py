"""server/web/share.py: GET /api/qr draws a link's QR code as SVG; GET /api/share says where
students can reach the server; the start-up message names that address."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator

import pytest
import segno
from fastapi.testclient import TestClient

from server.app import create_app
from server.cli import start_message
from server.config import Settings
from server.web import share
from tests.helpers.live import LiveServer

LINK = "http://192.168.1.20:8000/#dataset=xor&seed=0.12345&noise_hide=true"


def modules(svg: str) -> set[tuple[int, int]]:
    """The dark modules (column, row) segno's SVG path draws: runs `h n` along a row,
    relative moves `m dx dy` between them, from an absolute start `M x y`."""
    path = re.search(r'class="qrline"[^>]* d="([^"]+)"', svg)
    assert path, svg[:200]
    dark: set[tuple[int, int]] = set()
    x = y = 0.0
    for op, a, b in re.findall(r"([Mmh])(-?[\d.]+)(?:\s(-?[\d.]+))?", path.group(1)):
        if op == "M":
            x, y = float(a), float(b)
        elif op == "m":
            x, y = x + float(a), y + float(b)
        else:
            dark.update((int(x) + i, int(y)) for i in range(int(a)))
            x += float(a)
    return dark


def expected_modules(text: str) -> set[tuple[int, int]]:
    code = segno.make_qr(text, error="l", boost_error=True)
    border = share.QR_BORDER
    return {
        (c + border, r + border)
        for r, row in enumerate(code.matrix)
        for c, v in enumerate(row)
        if v
    }


@pytest.fixture
def lan_client() -> Iterator[TestClient]:
    with TestClient(create_app(Settings(host="0.0.0.0", port=8123))) as c:
        yield c


def test_qr_is_an_svg_of_the_link(client: TestClient) -> None:
    r = client.get("/api/qr", params={"text": LINK})
    assert r.status_code == 200
    assert r.headers["content-type"] == "image/svg+xml"
    assert r.text.startswith("<svg") and "<title>QR code</title>" in r.text
    assert modules(r.text) == expected_modules(LINK)  # the very code of this text
    other = client.get("/api/qr", params={"text": LINK + "&x=1"}).text
    assert modules(other) == expected_modules(LINK + "&x=1") != modules(r.text)


def test_qr_takes_the_longest_link_that_fits() -> None:
    assert modules(share.qr_svg("a" * 2953).decode()) == expected_modules("a" * 2953)


@pytest.mark.parametrize(
    ("params", "kind", "words"),
    [
        ({}, "missing", "Field required"),
        ({"text": ""}, "string_too_short", "at least 1"),
        ({"text": "x" * 4097}, "string_too_long", "4096"),
        (
            {"text": "x" * 2954},
            "value_error",
            "2954 bytes does not fit in a QR code (at most 2953)",
        ),
        ({"text": "😀" * 800}, "value_error", "3200 bytes does not fit"),
    ],
    ids=["missing", "empty", "over-4096", "over-qr-capacity", "utf8-bytes"],
)
def test_qr_refuses_bad_text_naming_the_field(
    client: TestClient, params: dict[str, str], kind: str, words: str
) -> None:
    r = client.get("/api/qr", params=params)
    assert r.status_code == 422
    (issue,) = r.json()["detail"]
    assert issue["loc"] == ["query", "text"]
    assert issue["type"] == kind and words in issue["msg"]


def test_share_on_loopback_lists_no_lan_address(client: TestClient) -> None:
    assert client.get("/api/share").json() == {"lan_urls": []}


def test_share_on_all_interfaces_lists_this_machines_addresses(
    lan_client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(share, "_outward_address", lambda: "192.168.1.20")
    monkeypatch.setattr(
        share, "_host_addresses", lambda: ["127.0.1.1", "10.0.0.7", "192.168.1.20", "169.254.3.3"]
    )
    body = lan_client.get("/api/share").json()
    # the default route's address first, no loopback, link-local or repeats
    assert body == {"lan_urls": ["http://192.168.1.20:8123", "http://10.0.0.7:8123"]}


def test_share_on_all_interfaces_finds_a_real_address(lan_client: TestClient) -> None:
    urls = lan_client.get("/api/share").json()["lan_urls"]
    for url in urls:
        host = re.fullmatch(r"http://([\d.]+):8123", url)
        assert host, url
        socket.inet_aton(host.group(1))
        assert not host.group(1).startswith(("127.", "0."))


@pytest.mark.parametrize(
    ("host", "addresses"),
    [
        ("127.0.0.1", []),
        ("localhost", []),
        ("::1", []),
        ("192.168.4.2", ["192.168.4.2"]),
        ("classroom.local", ["classroom.local"]),
    ],
)
def test_lan_addresses_of_one_host(host: str, addresses: list[str]) -> None:
    assert share.lan_addresses(host) == addresses


def test_start_message_names_the_lan_address(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(share, "_outward_address", lambda: "192.168.1.20")
    monkeypatch.setattr(share, "_host_addresses", lambda: [])
    wide = start_message(Settings(host="0.0.0.0", port=9000))
    assert wide == "http://192.168.1.20:9000 (this machine: http://127.0.0.1:9000)"
    assert "0.0.0.0" not in wide
    monkeypatch.setattr(share, "_outward_address", lambda: None)
    assert start_message(Settings(host="0.0.0.0", port=9000)) == "http://127.0.0.1:9000"
    assert start_message(Settings(host="127.0.0.1", port=9000)) == "http://127.0.0.1:9000"
    assert start_message(Settings(host="::1", port=9000)) == "http://[::1]:9000"


def test_a_server_on_all_interfaces_says_the_lan_address_not_0000() -> None:
    server = LiveServer("--host", "0.0.0.0", env={"PLAYGROUND_LOG_LEVEL": "info"})
    try:
        server.terminate()
        server.process.wait(timeout=60)
        said = server.output()
    finally:
        server.stop()
    lines = [line for line in said.splitlines() if "Neural Playground on" in line]
    assert len(lines) == 1 and "http://127.0.0.1:" in lines[0], said
    assert "0.0.0.0" not in said, said  # uvicorn's own "running on http://0.0.0.0" is gone
