"""First-load bytes: what a browser pulls to open the playground, before and after
compression, and again on a reload (revalidation).

Run: ``python -m bench.firstload`` (a few seconds).

The server is ``python -m server`` on a free loopback port. The page load is followed as
a browser does: the HTML, every ``<script src>`` and ``<link href>`` it names (plotly.js,
the stylesheets, the favicon), every ES module ``main.js`` imports, recursively (static
``from "…"``/``import "…"`` and dynamic ``import("…")``), what the page asks the API for
as it starts (``GET /api/datasets``, ``POST /api/sessions``, the session's ``/data``),
and ``GET /api/options`` (inlined in the page; a script's first request). Each resource
is fetched three times:

- before: ``Accept-Encoding: identity`` (what the server sent before compression),
- after: ``Accept-Encoding: gzip, deflate, br`` (what Chromium sends),
- reload: the same, with the ``If-None-Match`` and ``If-Modified-Since`` the second
  load got (what a browser sends for a cached copy).

Bytes on the wire are the body as sent (not decoded) plus the response headers (status
line, ``name: value`` lines). The decoded bodies of the three loads are checked to match.
"""

from __future__ import annotations

import argparse
import gzip
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import brotli
import httpx

ROOT = Path(__file__).resolve().parents[1]
BROWSER = "gzip, deflate, br"
# what a page names: <script src="…"> and <link … href="…"> (stylesheet, icon)
PAGE_REFS = re.compile(r"""<(?:script[^>]*\ssrc|link[^>]*\shref)\s*=\s*["']([^"']+)["']""")
# what an ES module imports: from "…", import "…", import("…")
MODULE_REFS = re.compile(r"""(?:\bfrom\s*|\bimport\s*\(?\s*)["']([^"']+\.m?js)["']""")
CLASS = 30  # browsers in a classroom


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PLAYGROUND_LOG_LEVEL": "warning"}
    process = subprocess.Popen(
        [sys.executable, "-m", "server", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError("the server did not start")
        time.sleep(0.1)  # polling for the port to open


@dataclass
class Fetched:
    status: int
    wire: int  # bytes: headers + body as sent
    body: bytes  # decoded
    etag: str | None
    last_modified: str | None
    coding: str


def header_bytes(response: httpx.Response) -> int:
    status_line = len(f"HTTP/1.1 {response.status_code} {response.reason_phrase}\r\n")
    lines = sum(len(k) + len(v) + 4 for k, v in response.headers.raw)
    return status_line + lines + 2


def fetch(client: httpx.Client, url: str, headers: dict[str, str]) -> Fetched:
    """GET ``url``; a ``POST /api/sessions`` URL (marked ``#post``) creates a session."""
    method, url = ("POST", url.removesuffix("#post")) if url.endswith("#post") else ("GET", url)
    body = b'{"config": {}}' if method == "POST" else None
    headers = {**headers, "content-type": "application/json"} if body else headers
    with client.stream(method, url, headers=headers, content=body) as r:
        raw = b"".join(r.iter_raw())
        coding = r.headers.get("content-encoding", "identity")
        body = decode(raw, coding)
        return Fetched(
            r.status_code,
            header_bytes(r) + len(raw),
            body,
            r.headers.get("etag"),
            r.headers.get("last-modified"),
            coding,
        )


def decode(raw: bytes, coding: str) -> bytes:
    if coding == "br":
        return bytes(brotli.decompress(raw))
    if coding == "gzip":
        return gzip.decompress(raw)
    return raw


def discover(client: httpx.Client, base: str) -> list[str]:
    """Every URL a first page load fetches, in the order a browser finds them."""
    html = client.get(base + "/", headers={"accept-encoding": "identity"}).text
    urls = [base + "/"]
    pending = [urljoin(base + "/", ref) for ref in PAGE_REFS.findall(html)]
    while pending:
        url = pending.pop(0)
        if url in urls or urlsplit(url).netloc != urlsplit(base).netloc:
            continue
        urls.append(url)
        if urlsplit(url).path.startswith("/static/") and url.endswith(".js"):
            source = client.get(url, headers={"accept-encoding": "identity"}).text
            pending += [urljoin(url, ref) for ref in MODULE_REFS.findall(source)]
    # what main.js asks the API for as it starts (the options are inlined in the page;
    # /api/options is the same for a script), then the session it opens and its points
    urls += [base + "/api/datasets", base + "/api/options", base + "/api/sessions#post"]
    sid = client.post(base + "/api/sessions", json={"config": {}}).json()["id"]
    return [*urls, f"{base}/api/sessions/{sid}/data"]


def group(path: str) -> str:
    if path == "/":
        return "the page (HTML)"
    if path.startswith("/vendor/plotly"):
        return "plotly.js"
    if path.endswith(".js"):
        return "page scripts (ES modules)"
    if path.endswith(".css"):
        return "styles"
    if path.startswith("/api/sessions"):
        return "the session: POST, its /data (JSON)"
    if path.startswith("/api/"):
        return "/api/datasets, /api/options (JSON)"
    return "favicon"


def main(argv: Sequence[str] | None = None) -> None:
    argparse.ArgumentParser(description=__doc__.split("\n\n")[0]).parse_args(argv)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_server(port)
    try:
        with httpx.Client(timeout=60) as client:
            urls = discover(client, base)
            rows: dict[str, list[int]] = {}
            counts: dict[str, int] = {}
            for url in urls:
                before = fetch(client, url, {"accept-encoding": "identity"})
                after = fetch(client, url, {"accept-encoding": BROWSER})
                cached: dict[str, str] = {"accept-encoding": BROWSER}
                if after.etag:
                    cached["if-none-match"] = after.etag
                if after.last_modified:
                    cached["if-modified-since"] = after.last_modified
                reload = fetch(client, url, cached)
                assert before.status == after.status and before.status in (200, 201), url
                if not url.endswith("#post"):  # each POST makes a new session
                    assert before.body == after.body, f"{url}: decoded bodies differ"
                    if reload.status == 200:
                        assert reload.body == before.body, url
                name = group(urlsplit(url).path)
                counts[name] = counts.get(name, 0) + 1
                row = rows.setdefault(name, [0, 0, 0, 0])
                row[0] += before.wire
                row[1] += after.wire
                row[2] += reload.wire
                row[3] += reload.status == 304
    finally:
        server.terminate()
        server.wait(timeout=30)

    print(f"First page load: {len(urls)} requests, bytes on the wire (headers + body)\n")
    print(
        f"{'resource':<36} {'files':>5} {'identity':>11} {'br/gzip':>11} {'ratio':>6}"
        f" {'reload':>9} {'304s':>5}"
    )
    total = [0, 0, 0, 0]
    for name, row in rows.items():
        total = [a + b for a, b in zip(total, row, strict=True)]
        print(
            f"{name:<36} {counts[name]:>5} {row[0]:>11,} {row[1]:>11,} "
            f"{row[0] / row[1]:>5.1f}x {row[2]:>9,} {row[3]:>5}"
        )
    print(
        f"{'total':<36} {len(urls):>5} {total[0]:>11,} {total[1]:>11,} "
        f"{total[0] / total[1]:>5.1f}x {total[2]:>9,} {total[3]:>5}"
    )
    print(
        f"\nfirst load: {total[0] / 1e6:.2f} MB before, {total[1] / 1e6:.2f} MB after "
        f"({total[0] / total[1]:.1f}x less); a reload: {total[2] / 1e3:.1f} kB "
        f"({total[0] / total[2]:.0f}x less than an uncompressed first load)"
    )
    print(
        f"a class of {CLASS} opening the page: {CLASS * total[0] / 1e6:.0f} MB before, "
        f"{CLASS * total[1] / 1e6:.0f} MB after; reloading it: "
        f"{CLASS * total[2] / 1e6:.2f} MB"
    )


if __name__ == "__main__":
    main()
