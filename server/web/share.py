"""Sharing a setup in a classroom: the addresses students can reach this server on, and a
QR code of a link (drawn here as SVG, so the page needs no CDN and no script library)."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import io
import ipaddress
import socket
from typing import Annotated

import segno
from fastapi import APIRouter, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field

from server.config import Settings
from server.web.openapi import DeclaredRoute

MAX_QR_TEXT = 4096  # characters of text a QR request may carry
QR_SCALE = 4  # pixels per module in the SVG's own size (it scales without loss)
QR_BORDER = 2  # quiet zone, in modules
WILDCARDS = ("0.0.0.0", "::", "")  # hosts that listen on every interface
# A private address to ask the routing table about: connecting a UDP socket sends nothing,
# it only picks the interface (and so the address) this machine would use.
ROUTE_PROBE = ("10.255.255.255", 1)

router = APIRouter(prefix="/api", tags=["server"], route_class=DeclaredRoute)


class Share(BaseModel):
    """Where other machines can open this server."""

    lan_urls: list[str] = Field(
        description="base URLs on this machine's network addresses, the likeliest first; "
        "empty when the server listens on a loopback address only",
        examples=[["http://192.168.1.20:8000"]],
    )


def _outward_address() -> str | None:
    """The address of the interface with the default route, or None without one."""
    with contextlib.suppress(OSError), socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.connect(ROUTE_PROBE)
        return str(s.getsockname()[0])
    return None


def _host_addresses() -> list[str]:
    """The IPv4 addresses this machine's name resolves to."""
    with contextlib.suppress(OSError):
        infos = socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)
        return [str(info[4][0]) for info in infos]
    return []


def _reachable(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address != "localhost"  # a host name the server was started with: as given
    return not (ip.is_loopback or ip.is_unspecified or ip.is_link_local)


def lan_addresses(host: str) -> list[str]:
    """The addresses other machines can reach a server listening on ``host`` at: the host
    itself when it is one address; this machine's addresses (the default route's first)
    when it listens on all of them; none for a loopback host."""
    if host not in WILDCARDS:
        return [host] if _reachable(host) else []
    found = [a for a in [_outward_address(), *_host_addresses()] if a]
    return [a for a in dict.fromkeys(found) if _reachable(a)]


def lan_urls(host: str, port: int) -> list[str]:
    """``lan_addresses`` as base URLs (IPv6 addresses in brackets)."""
    return [
        f"http://[{a}]:{port}" if ":" in a else f"http://{a}:{port}" for a in lan_addresses(host)
    ]


@router.get("/share", response_model=Share)
async def share(request: Request) -> dict[str, list[str]]:
    """The base URLs students on this network can open (from the host the server was
    started with: --host 0.0.0.0 lists this machine's addresses, 127.0.0.1 none)."""
    settings: Settings = request.app.state.settings
    urls = await asyncio.to_thread(lan_urls, settings.host, settings.port)  # may resolve names
    return {"lan_urls": urls}


QrText = Annotated[
    str, Query(min_length=1, max_length=MAX_QR_TEXT, description="the text to encode, a link")
]


@functools.lru_cache(maxsize=64)  # a class asks for the same link: draw it once
def qr_svg(text: str) -> bytes:
    """``text`` as a QR code in SVG; ValueError when it does not fit in one."""
    try:
        code = segno.make_qr(text, error="l", boost_error=True)  # the best level that fits
    except segno.DataOverflowError:
        raise ValueError(
            f"text of {len(text.encode())} bytes does not fit in a QR code (at most 2953)"
        ) from None
    out = io.BytesIO()
    code.save(
        out,
        kind="svg",
        scale=QR_SCALE,
        border=QR_BORDER,
        xmldecl=False,
        light="#fff",
        title="QR code",
    )
    # crisp edges: scaled to a size that is no multiple of the modules, anti-aliased rows
    # of the code would show hairline gaps between them
    return out.getvalue().replace(b"<svg ", b'<svg shape-rendering="crispEdges" ', 1)


@router.get(
    "/qr",
    response_class=Response,
    responses={200: {"content": {"image/svg+xml": {}}, "description": "The QR code"}},
)
async def qr(text: QrText, request: Request) -> Response:
    """A QR code of `text` (1..4096 characters; at most 2953 bytes fit in one) as SVG, for
    phones to open a link."""
    state = request.app.state
    if not hasattr(state, "qr_turns"):  # one drawing at a time: many threads of pure-Python
        state.qr_turns = asyncio.Semaphore(1)  # work starved the event loop (health: 8 s)
    try:
        async with state.qr_turns:
            svg = await asyncio.to_thread(qr_svg, text)
    except ValueError as exc:
        raise RequestValidationError(
            [{"type": "value_error", "loc": ("query", "text"), "msg": str(exc), "input": text}]
        ) from None
    return Response(svg, media_type="image/svg+xml")
