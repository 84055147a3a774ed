"""What the browser is told to allow, and who may connect: security headers on every HTTP
response (a Content-Security-Policy that only trusts this server), a per-response nonce
for the one inline script (/docs), and the Origin check of the websocket."""

from __future__ import annotations

import functools
import logging
import re
import secrets
from dataclasses import dataclass
from urllib.parse import urlsplit

from fastapi import Request, WebSocket
from fastapi.responses import HTMLResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger(__name__)
CLOSE_FORBIDDEN = 4403  # websocket close code: an origin that may not connect
DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}
# A Host header we are willing to repeat in the policy: a name or IPv4 address, or an
# [IPv6] literal, and a port. Anything else (a ';' could add directives) is left out.
HOST = re.compile(r"(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?")
NONCE_KEY = "csp_nonce"  # in the request state: this response's script nonce


@dataclass(frozen=True)
class Origins:
    """settings.allowed_origins, parsed: ``any`` for "*", else normalised origins."""

    any: bool
    listed: frozenset[str]


@functools.lru_cache(maxsize=8)
def parse_origins(raw: str) -> Origins:
    """Empty (none), ``*`` (any) or comma-separated origins (scheme://host[:port]); an
    entry that is not an origin raises ValueError naming it."""
    entries = [entry.strip() for entry in raw.split(",") if entry.strip()]
    if "*" in entries:
        return Origins(True, frozenset())
    listed = set()
    for entry in entries:
        origin = normalise(entry)
        if origin is None:
            raise ValueError(
                f"allowed_origins: {entry!r} is not an origin like https://example.org:8443"
            )
        listed.add(origin)
    return Origins(False, frozenset(listed))


def normalise(origin: str) -> str | None:
    """scheme://host[:port] in lower case, the scheme's default port left out; None for
    anything that is not such an origin (a path, a query, "null")."""
    try:
        parts = urlsplit(origin.strip().rstrip("/"))
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    if parts.path or parts.query or parts.fragment or parts.username or parts.password:
        return None
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    if not HOST.fullmatch(host):  # "https://a;b" would add a directive to the policy
        return None
    if port is None or port == DEFAULT_PORTS[parts.scheme]:
        return f"{parts.scheme}://{host}"
    return f"{parts.scheme}://{host}:{port}"


# -- the websocket's Origin check ------------------------------------------------------
def same_host(origin: str, host: str) -> bool:
    """Whether a page at ``origin`` came from the server that the Host header names."""
    parts = urlsplit(origin)
    try:
        origin_port = parts.port or DEFAULT_PORTS.get(parts.scheme)
        request = urlsplit(f"//{host}")
        request_port = request.port or DEFAULT_PORTS.get(parts.scheme)
    except ValueError:
        return False
    return (
        parts.hostname is not None
        and parts.hostname == request.hostname
        and origin_port == request_port
    )


def origin_allowed(origin: str | None, host: str | None, allowed: Origins) -> bool:
    """No Origin (a script, not a browser), the request's own host, or an allowed one.
    Browsers always send Origin, so another site's page cannot drive a session."""
    if origin is None or allowed.any:
        return True
    if host and same_host(origin, host):
        return True
    return normalise(origin) in allowed.listed


async def refuse_foreign_origin(websocket: WebSocket) -> bool:
    """Close a connection from another site's page before accepting it (the server
    answers the handshake with HTTP 403); True when refused."""
    origin = websocket.headers.get("origin")
    allowed = parse_origins(websocket.app.state.settings.allowed_origins)
    if origin_allowed(origin, websocket.headers.get("host"), allowed):
        return False
    reason = f"origin {origin} may not connect (not this host, not in allowed_origins)"
    log.warning("refused a websocket: %s", reason)
    # a close reason holds 123 bytes of UTF-8 at most
    await websocket.close(CLOSE_FORBIDDEN, reason.encode()[:123].decode(errors="ignore"))
    return True


# -- response headers ------------------------------------------------------------------
def content_security_policy(allowed: Origins, nonce: str, host: str | None) -> str:
    """Everything from this server only: scripts (and the nonce's one inline script),
    fetches and this host's websockets, images (canvas data: and blob: URLs too);
    styles may be inline because plotly.js adds <style> rules as it draws."""
    connect = ["'self'"]
    if host and HOST.fullmatch(host):  # 'self' covers ws: in CSP 3; older browsers need it
        connect += [f"ws://{host}", f"wss://{host}"]
    ancestors = ["*"] if allowed.any else ["'self'", *sorted(allowed.listed)]
    directives = {
        "default-src": ["'self'"],
        "script-src": ["'self'", f"'nonce-{nonce}'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:"],
        "connect-src": connect,
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ancestors,
    }
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())


def security_headers(allowed: Origins, nonce: str, host: str | None) -> list[tuple[str, str]]:
    headers = [
        ("content-security-policy", content_security_policy(allowed, nonce, host)),
        ("x-content-type-options", "nosniff"),
        ("referrer-policy", "no-referrer"),
    ]
    if not allowed.any and not allowed.listed:  # else frame-ancestors alone says who may
        headers.append(("x-frame-options", "SAMEORIGIN"))
    return headers


class SecurityHeaders:
    """ASGI middleware: every HTTP response gets ``security_headers`` (a header the
    route set itself is kept), and the request state a fresh script nonce."""

    def __init__(self, app: ASGIApp, allowed: Origins) -> None:
        self.app = app
        self.allowed = allowed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        nonce = secrets.token_urlsafe(16)
        scope.setdefault("state", {})[NONCE_KEY] = nonce
        host = dict(scope["headers"]).get(b"host", b"").decode("latin-1") or None
        extra = [
            (name.encode(), value.encode("latin-1"))
            for name, value in security_headers(self.allowed, nonce, host)
        ]

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                missing = [(name, value) for name, value in extra if name not in present]
                message = {**message, "headers": [*message.get("headers", []), *missing]}
            await send(message)

        await self.app(scope, receive, with_headers)


def with_nonce(page: HTMLResponse, request: Request) -> HTMLResponse:
    """``page`` with this response's nonce on its inline scripts (bare ``<script>`` tags),
    so the Content-Security-Policy lets exactly them run."""
    nonce = getattr(request.state, NONCE_KEY)
    body = bytes(page.body).replace(b"<script>", f'<script nonce="{nonce}">'.encode())
    return HTMLResponse(body, status_code=page.status_code)
