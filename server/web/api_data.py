"""REST routes for points: CSV upload and download, point edits. Thin: read the request,
call the SessionManager, shape the reply."""

from __future__ import annotations

import asyncio
import email.parser
import email.policy
import re
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request, Response

from server.engine.render import DOMAIN
from server.errors import InvalidInput
from server.formats.points import MAX_CSV_BYTES
from server.protocol.rest import Point, SessionState
from server.sessions import views
from server.web.deps import Manager, attachment
from server.web.openapi import DeclaredRoute

router = APIRouter(prefix="/api/sessions", tags=["data and export"], route_class=DeclaredRoute)
Coordinate = Annotated[float, Query(ge=-DOMAIN, le=DOMAIN, allow_inf_nan=False)]
MULTIPART_SLACK = 16_384  # bytes of multipart headers and boundaries allowed beyond the file
MAX_MULTIPART_HEADER = 2_000  # bytes of one part's headers (or of the Content-Type)
MAX_PARTS = 16
CSV_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {"file": {"type": "string", "format": "binary"}},
                    "required": ["file"],
                }
            },
        },
    }
}


# -- points as CSV --------------------------------------------------------------------------
@router.get("/{session_id}/data.csv", response_class=Response)
async def get_data_csv(session_id: str, manager: Manager) -> Response:
    """The points as CSV: x, y, label, split (training rows first, in training order)."""
    text = await manager.read(session_id, views.csv_text)
    return attachment(text, "text/csv", "playground-data.csv")


router.add_api_route(
    "/{session_id}/export/data.csv",
    get_data_csv,
    methods=["GET"],
    response_class=Response,
    summary="Export data CSV",
)


@router.put("/{session_id}/data.csv", response_model=SessionState, openapi_extra=CSV_BODY)
async def put_data_csv(session_id: str, request: Request, manager: Manager) -> dict[str, Any]:
    """Use your own points from a CSV file (header x, y, label, split; body text/csv, or a
    multipart upload in field ``file``); rebuilds the network. A bad file changes nothing:
    422 names the row (as a spreadsheet numbers it) and the column; over 1 MB is 413."""
    content_type = request.headers.get("content-type", "")
    multipart = content_type.startswith("multipart/form-data")
    body = await _read(request, MAX_CSV_BYTES + (MULTIPART_SLACK if multipart else 0))
    if multipart:
        body = await asyncio.to_thread(_multipart_file, body, content_type)
        if len(body) > MAX_CSV_BYTES:
            raise _too_large()
    try:
        text = body.decode("utf-8-sig")  # a spreadsheet's byte-order mark is fine
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"the file is not UTF-8 text (byte {exc.start})", "file") from None
    return await manager.set_data_csv(session_id, text)


def _too_large() -> HTTPException:
    return HTTPException(413, f"the file is larger than {MAX_CSV_BYTES:,} bytes")


async def _read(request: Request, limit: int) -> bytes:
    """The request body, refused with 413 as soon as it passes ``limit`` bytes."""
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > limit:
        raise _too_large()
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large()
        chunks.append(chunk)
    return b"".join(chunks)


def _multipart_file(body: bytes, content_type: str) -> bytes:
    """The content of form field ``file`` in a multipart/form-data body. The email parser
    takes quadratic time on long header lines, so the part headers are bounded first."""
    if len(content_type) > MAX_MULTIPART_HEADER:
        raise InvalidInput(
            f"the Content-Type header is over {MAX_MULTIPART_HEADER} characters", "file"
        )
    found = re.search(r'boundary="?([^";]+)"?', content_type)
    delimiter = b"--" + found.group(1).encode("latin-1", "replace") if found else b""
    start, parts = 0, 0
    while delimiter and (at := body.find(delimiter, start)) != -1:
        parts += 1
        if parts > MAX_PARTS:
            raise InvalidInput(f"a multipart upload may have {MAX_PARTS} parts at most", "file")
        end = body.find(b"\r\n\r\n", at)  # the part's headers end there
        end = len(body) if end == -1 else end  # (the closing delimiter has none)
        if end - at > MAX_MULTIPART_HEADER:
            raise InvalidInput(f"a part's headers are over {MAX_MULTIPART_HEADER} bytes", "file")
        start = end + 4
    head = f"Content-Type: {content_type}\r\n\r\n".encode("latin-1", "replace")
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
    if message.is_multipart():
        for part in message.iter_parts():
            if part.get_param("name", header="content-disposition") == "file":
                payload = part.get_payload(decode=True)
                return payload if isinstance(payload, bytes) else b""
    raise InvalidInput("a multipart upload needs the CSV in a field named 'file'", "file")


# -- point edits ----------------------------------------------------------------------------
@router.post("/{session_id}/points", response_model=SessionState)
async def add_point(session_id: str, body: Point, manager: Manager) -> dict[str, Any]:
    """Add one point (x, y in [-6, 6], a label that fits the problem, split train or test).
    The weights and epoch stay; data_version changes."""
    return await manager.add_point(session_id, body)


@router.delete("/{session_id}/points", response_model=SessionState)
async def remove_point(
    session_id: str, x: Coordinate, y: Coordinate, manager: Manager
) -> dict[str, Any]:
    """Remove the point nearest (x, y), training or test; 422 if none lies within 0.5.
    The weights and epoch stay."""
    return await manager.remove_point(session_id, x, y)


@router.post("/{session_id}/points/clear", response_model=SessionState)
async def clear_points(session_id: str, manager: Manager) -> dict[str, Any]:
    """Remove every point. The weights and epoch stay; training answers 409 until points
    are added (a running session pauses)."""
    return await manager.clear_points(session_id)
