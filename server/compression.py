"""Bytes on the wire. Static files (the page's scripts and styles, plotly.js, swagger-ui)
are read, hashed and compressed once per content and served from memory with an ETag and
Last-Modified, so a reload costs a 304 per file instead of plotly's 4.8 MB again; every
other response of a compressible type (JSON, HTML, CSV, a script export) is compressed on
the fly, and answers under /api/ are never cached. Brotli when the client accepts ``br``,
else gzip. Websockets pass untouched (their frames are not HTTP; design.md: no deflate)."""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
import os
import threading
import zlib
from dataclasses import dataclass, field
from email.utils import formatdate, parsedate_to_datetime
from pathlib import Path
from typing import Protocol

import anyio.to_thread
import brotli
from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import FileResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MIN_SIZE = 1024  # bytes: a smaller body fits one packet either way; compressing it saves nothing
THREAD_SIZE = 128 * 1024  # bodies this big are compressed off the event loop
MAX_CACHED = 32_000_000  # bytes: a static file bigger than this is sent from disk, as it is
BR_STATIC, BR_STATIC_BIG, GZIP_STATIC = 11, 9, 9  # once per file: the best that is quick
BIG_STATIC = 1_000_000  # bytes: brotli 11 takes 8 s on plotly.js (4.8 MB), 9 takes 0.4 s
BR_DYNAMIC, GZIP_DYNAMIC = 5, 6  # per response: fast levels (about 1 ms for 40 KB of JSON)
NO_STORE = "no-store"  # API answers: session state changes every moment
REVALIDATE = "no-cache"  # static files: keep, but ask (a 304) before each use
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


# -- static files ---------------------------------------------------------------------
@dataclass
class Asset:
    """One file's content as read at (mtime, size), and its compressed forms."""

    stamp: tuple[int, int]  # (st_mtime_ns, st_size)
    tag: str  # a hash of the content: the ETag, one per coding
    mtime: float
    bodies: dict[str, bytes] = field(default_factory=dict)  # coding -> body

    def etag(self, coding: str) -> str:
        return f'"{self.tag}"' if coding == "identity" else f'"{self.tag}-{coding}"'

    def etags(self) -> set[str]:
        return {self.etag(coding) for coding in ("identity", *CODINGS)}


class AssetCache:
    """Static files in memory, read and compressed once per content: 30 browsers asking
    for plotly.js at the same moment cost one compression, not 30."""

    def __init__(self) -> None:
        self._assets: dict[str, Asset] = {}
        self._lock = threading.Lock()  # compressions run in threads; one at a time

    def load(self, path: str, stat: os.stat_result, coding: str) -> tuple[Asset, str]:
        """(the asset, the coding its body for ``coding`` really has); on a thread."""
        stamp = (stat.st_mtime_ns, stat.st_size)
        with self._lock:
            asset = self._assets.get(path)
            if asset is None or asset.stamp != stamp:
                data = Path(path).read_bytes()
                tag = hashlib.sha256(data).hexdigest()[:20]
                asset = Asset(stamp, tag, stat.st_mtime, {"identity": data})
                self._assets[path] = asset
            if coding not in asset.bodies and compressible(guess_type(path)):
                packed = compress(asset.bodies["identity"], coding, static=True)
                if len(packed) < len(asset.bodies["identity"]):
                    asset.bodies[coding] = packed
            return asset, coding if coding in asset.bodies else "identity"

    def response(
        self, path: str | Path, scope: Scope, stat: os.stat_result | None = None
    ) -> Response:
        return AssetResponse(self, str(path), Headers(scope=scope), stat)


def guess_type(path: str) -> str:
    return mimetypes.guess_type(path)[0] or "application/octet-stream"


class AssetResponse(Response):
    """A static file from the cache: 304 when the client's copy is current, else the body
    in the best coding both sides have. Unversioned URLs (the page's ES modules import
    each other by plain relative paths) are revalidated on every use: ``no-cache``."""

    def __init__(
        self, cache: AssetCache, path: str, request: Headers, stat: os.stat_result | None
    ) -> None:
        super().__init__(status_code=200)
        self.cache, self.path, self.request, self.stat = cache, path, request, stat

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        stat = self.stat
        if stat is None:
            stat = await anyio.to_thread.run_sync(os.stat, self.path)
        if stat.st_size > MAX_CACHED:
            await FileResponse(self.path, stat_result=stat)(scope, receive, send)
            return
        wanted = choose_coding(self.request.get("accept-encoding", ""))
        asset, coding = await anyio.to_thread.run_sync(self.cache.load, self.path, stat, wanted)
        media = guess_type(self.path)
        headers = {
            "etag": asset.etag(coding),
            "last-modified": formatdate(asset.mtime, usegmt=True),
            "cache-control": REVALIDATE,
        }
        if compressible(media):
            headers["vary"] = "Accept-Encoding"
        if not_modified(self.request, asset):
            await Response(status_code=304, headers=headers)(scope, receive, send)
            return
        if coding != "identity":
            headers["content-encoding"] = coding
        body = asset.bodies[coding]
        await Response(body, media_type=media, headers=headers)(scope, receive, send)


def not_modified(request: Headers, asset: Asset) -> bool:
    """If-None-Match naming any coding's ETag of this content (then If-Modified-Since
    is ignored, as RFC 9110 says), else If-Modified-Since at or after the file's time."""
    if match := request.get("if-none-match"):
        tags = {tag.strip().removeprefix("W/") for tag in match.split(",")}
        return "*" in tags or not tags.isdisjoint(asset.etags())
    if since := request.get("if-modified-since"):
        try:
            return int(asset.mtime) <= parsedate_to_datetime(since).timestamp()
        except (TypeError, ValueError):
            return False
    return False


class CompressedStatic(StaticFiles):
    """StaticFiles (its path checks and 404s) answering from an ``AssetCache``."""

    def __init__(self, *, directory: str | Path, cache: AssetCache) -> None:
        super().__init__(directory=directory)
        self.cache = cache

    def file_response(
        self,
        full_path: str | os.PathLike[str],
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        return self.cache.response(os.fspath(full_path), scope, stat_result)


# -- every other response -------------------------------------------------------------
class Compress:
    """ASGI middleware: an HTTP response of a compressible type and at least ``MIN_SIZE``
    bytes is compressed as the client accepts (streamed responses part by part); one
    that already has a Content-Encoding, a 206 or ``no-transform`` is left alone. Answers
    under ``/api/`` that set no Cache-Control get ``no-store``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # websockets: frames are ours, deflate stays off
            await self.app(scope, receive, send)
            return
        coding = choose_coding(Headers(scope=scope).get("accept-encoding", ""))
        api = scope["path"].startswith("/api/")
        await self.app(scope, receive, Responder(send, coding, api).send)


class Responder:
    """One response's way through ``Compress``."""

    def __init__(self, send: Send, coding: str, api: bool) -> None:
        self._send, self.coding, self.api = send, coding, api
        self.start: Message | None = None  # held until the first body part decides
        self.stream: Stream | None = None
        self.passing = False

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
        if (
            self.coding == "identity"
            or not typed
            or status in (204, 206)
            or "content-encoding" in headers
            or "no-transform" in headers.get("cache-control", "")
        ):
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
        if not more:
            if len(body) < MIN_SIZE:
                await self._send(start)
                await self._send(message)
                return
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
