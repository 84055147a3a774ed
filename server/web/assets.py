"""Static files (the page's scripts and styles, plotly.js, swagger-ui) read, hashed and
compressed once per content and served from memory with an ETag and Last-Modified: a
reload costs a 304 per file instead of plotly's 4.8 MB again (docs/api.md, "Compression
and caching")."""

from __future__ import annotations

import hashlib
import mimetypes
import os
import threading
from dataclasses import dataclass, field
from email.utils import formatdate, parsedate_to_datetime
from pathlib import Path

import anyio.to_thread
from starlette.datastructures import Headers
from starlette.responses import FileResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import Receive, Scope, Send

from server.web import compression
from server.web.compression import CODINGS, choose_coding, compressible

MAX_CACHED = 32_000_000  # bytes: a static file bigger than this is sent from disk, as it is
REVALIDATE = "no-cache"  # keep, but ask (a 304) before each use: the URLs are not versioned


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
                packed = compression.compress(asset.bodies["identity"], coding, static=True)
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
