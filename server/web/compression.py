"""Bytes on the wire: the codings (brotli when the client accepts ``br``, else gzip) and
the middleware that compresses every response of a compressible type (JSON, HTML, CSV, a
script export) on the fly, gives the page an ETag (a reload is a 304) and marks answers
under /api/ never to be cached. Static files are compressed once instead (assets.py).
Websockets pass untouched (their frames are not HTTP; design.md: no deflate)."""

from __future__ import annotations

import gzip
import hashlib
import zlib
from typing import Protocol

import anyio.to_thread
import brotli
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MIN_SIZE = 1024  # bytes: a smaller body fits one packet either way; compressing it saves nothing
THREAD_SIZE = 128 * 1024  # bodies this big are compressed off the event loop
BR_STATIC, BR_STATIC_BIG, GZIP_STATIC = 11, 9, 9  # once per file: the best that is quick
BIG_STATIC = 1_000_000  # bytes: brotli 11 takes 8 s on plotly.js (4.8 MB), 9 takes 0.4 s
BR_DYNAMIC, GZIP_DYNAMIC = 5, 6  # per response: fast levels (about 1 ms for 40 KB of JSON)
NO_STORE = "no-store"  # API answers: session state changes every moment
REVALIDATE = "no-cache"  # pages: keep, but ask (a 304) before each use
CODINGS = ("br", "gzip")  # in the server's order of preference
# Compressible media types; anything else (PNG, state_dict.pt's octet-stream, zip) is
# sent as it is. text/event-stream is left alone: buffering would hold its events.
TEXT_TYPES = frozenset(
    {"application/json", "application/javascript", "application/xml", "image/svg+xml"}
)


def choose_coding(accept_encoding: str) -> str:
    """``br``, ``gzip`` or ``identity``: the server's favourite among the codings the
    client accepts (q > 0); a coding it does not name counts as ``*``'s q, else 0."""
    weights: dict[str, float] = {}
    for part in accept_encoding.split(","):
        name, _, params = part.partition(";")
        name = name.strip().lower()
        weight = 1.0
        for param in params.split(";"):
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        if name:
            weights[name] = weight
    for coding in CODINGS:
        if weights.get(coding, weights.get("*", 0.0)) > 0:
            return coding
    return "identity"


def compressible(content_type: str | None) -> bool:
    media = (content_type or "").partition(";")[0].strip().lower()
    if media == "text/event-stream":
        return False
    return media.startswith("text/") or media in TEXT_TYPES or media.endswith(("+json", "+xml"))


def compress(body: bytes, coding: str, *, static: bool = False) -> bytes:
    """``body`` in ``coding`` (br or gzip), at the static or the per-response level."""
    if coding == "br":
        quality = BR_DYNAMIC
        if static:
            quality = BR_STATIC if len(body) <= BIG_STATIC else BR_STATIC_BIG
        return bytes(brotli.compress(body, quality=quality))
    return gzip.compress(body, GZIP_STATIC if static else GZIP_DYNAMIC, mtime=0)


class Stream(Protocol):
    def process(self, data: bytes) -> bytes: ...
    def finish(self, data: bytes) -> bytes: ...


class GzipStream:
    def __init__(self) -> None:
        self._z = zlib.compressobj(GZIP_DYNAMIC, zlib.DEFLATED, 16 + zlib.MAX_WBITS)

    def process(self, data: bytes) -> bytes:  # flushed: a streamed part arrives whole
        return self._z.compress(data) + self._z.flush(zlib.Z_SYNC_FLUSH)

    def finish(self, data: bytes) -> bytes:
        return self._z.compress(data) + self._z.flush()


class BrotliStream:
    def __init__(self) -> None:
        self._b = brotli.Compressor(quality=BR_DYNAMIC)

    def process(self, data: bytes) -> bytes:
        return bytes(self._b.process(data)) + bytes(self._b.flush())

    def finish(self, data: bytes) -> bytes:
        return bytes(self._b.process(data)) + bytes(self._b.finish())


# -- the middleware --------------------------------------------------------------------
class Compress:
    """ASGI middleware: an HTTP response of a compressible type and at least ``MIN_SIZE``
    bytes is compressed as the client accepts (streamed responses part by part); one
    that already has a Content-Encoding, a 206 or ``no-transform`` is left alone. A page
    (a 200 HTML answer to GET) gets a weak ETag of its body and a 304 when the client's
    copy is current. Answers under ``/api/`` that set no Cache-Control get ``no-store``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # websockets: frames are ours, deflate stays off
            await self.app(scope, receive, send)
            return
        request = Headers(scope=scope)
        responder = Responder(
            send,
            choose_coding(request.get("accept-encoding", "")),
            api=scope["path"].startswith("/api/"),
            if_none_match=request.get("if-none-match") if scope["method"] == "GET" else None,
            get=scope["method"] in ("GET", "HEAD"),
        )
        await self.app(scope, receive, responder.send)


class Responder:
    """One response's way through ``Compress``."""

    def __init__(
        self, send: Send, coding: str, *, api: bool, if_none_match: str | None, get: bool
    ) -> None:
        self._send, self.coding, self.api = send, coding, api
        self.if_none_match, self.get = if_none_match, get
        self.start: Message | None = None  # held until the first body part decides
        self.stream: Stream | None = None
        self.passing = False
        self.page = False  # a page to tag with an ETag

    async def send(self, message: Message) -> None:
        kind = message["type"]
        if kind == "http.response.start":
            await self._on_start(message)
        elif kind == "http.response.body" and not self.passing:
            await self._on_body(message)
        else:  # a pass-through body, pathsend, trailers
            if self.start is not None:
                start, self.start = self.start, None
                await self._send(start)
            await self._send(message)

    async def _on_start(self, message: Message) -> None:
        message = {**message, "headers": list(message.get("headers", []))}
        headers = MutableHeaders(raw=message["headers"])
        if self.api and "cache-control" not in headers:
            headers["cache-control"] = NO_STORE
        status = message["status"]
        typed = compressible(headers.get("content-type")) and 200 <= status < 300
        if typed and "accept-encoding" not in headers.get("vary", "").lower():
            headers.add_vary_header("Accept-Encoding")
        encoded = "content-encoding" in headers or "no-transform" in headers.get(
            "cache-control", ""
        )
        self.page = (
            self.get
            and status == 200
            and headers.get("content-type", "").startswith("text/html")
            and "etag" not in headers
            and not encoded
        )
        compressing = self.coding != "identity" and typed and status not in (204, 206)
        if not self.page and (not compressing or encoded):
            self.passing = True
            await self._send(message)
            return
        self.start = message

    async def _on_body(self, message: Message) -> None:
        body: bytes = message.get("body", b"")
        more = bool(message.get("more_body", False))
        start = self.start
        if start is None:  # a later part of a streamed response
            assert self.stream is not None
            chunk = self.stream.process(body) if more else self.stream.finish(body)
            await self._send({**message, "body": chunk})
            return
        self.start = None
        headers = MutableHeaders(raw=start["headers"])
        if self.page and not more:
            tag = f'W/"{hashlib.sha256(body).hexdigest()[:20]}"'  # one per content
            headers["etag"] = tag
            if "cache-control" not in headers:
                headers["cache-control"] = REVALIDATE
            if self.if_none_match and _matches(self.if_none_match, tag):
                for name in ("content-length", "content-type"):
                    del headers[name]
                await self._send({**start, "status": 304})
                await self._send({"type": "http.response.body", "body": b""})
                return
        if self.coding == "identity" or (not more and len(body) < MIN_SIZE):
            self.passing = True
            await self._send(start)
            await self._send(message)
            return
        if not more:
            if len(body) >= THREAD_SIZE:
                packed = await anyio.to_thread.run_sync(compress, body, self.coding)
            else:
                packed = compress(body, self.coding)
            if len(packed) >= len(body):
                await self._send(start)
                await self._send(message)
                return
            self._encoded(headers)
            headers["content-length"] = str(len(packed))
            await self._send(start)
            await self._send({**message, "body": packed})
            return
        self.stream = BrotliStream() if self.coding == "br" else GzipStream()
        self._encoded(headers)
        if "content-length" in headers:
            del headers["content-length"]
        await self._send(start)
        await self._send({**message, "body": self.stream.process(body)})

    def _encoded(self, headers: MutableHeaders) -> None:
        headers["content-encoding"] = self.coding
        etag = headers.get("etag")
        if etag and not etag.startswith("W/"):  # the bytes differ from the identity's
            headers["etag"] = f"W/{etag}"


def _matches(if_none_match: str, tag: str) -> bool:
    """If-None-Match's weak comparison: W/ does not count."""
    tags = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
    return "*" in tags or tag.removeprefix("W/") in tags
