"""REST routes of classroom rooms (docs/rooms.md): a teacher's key in a header, no
accounts; students join by code. Thin: validate, call Rooms (runtime/rooms.py)."""

from __future__ import annotations

import asyncio
import secrets
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Header, Path, Request, Response
from fastapi.exceptions import RequestValidationError

from server.protocol.rest import SessionState
from server.protocol.rooms import (
    CODE_ALPHABET,
    TEACHER_HEADER,
    TEACHER_KEY_PATTERN,
    Challenge,
    CreateRoom,
    Join,
    Joined,
    Push,
    Rename,
    RoomCreated,
    RoomInfo,
    RoomPatch,
    Snapshot,
    normal_code,
)
from server.protocol.stored import TOKEN_PATTERN, Experiment, Experiments
from server.runtime.rooms import Rooms
from server.storage.rooms import teacher_of
from server.web.deps import attachment, client_address, keyed
from server.web.openapi import CONFLICT, TOO_MANY, DeclaredRoute, ErrorMessage, Responses
from server.web.share import lan_urls

router = APIRouter(prefix="/api/rooms", tags=["rooms"], route_class=DeclaredRoute)
LOOPBACK = ("127.0.0.1", "localhost", "::1")


def get_rooms(request: Request) -> Rooms:
    rooms: Rooms = request.app.state.rooms
    return rooms


def code_of(
    code: Annotated[str, Path(description="the join code (any case; spaces or dashes ok)")],
) -> str:
    normal = normal_code(code)
    if normal is None:
        why = f"must be 6 characters of {CODE_ALPHABET} (the join code as shown)"
        raise RequestValidationError(
            [{"type": "value_error", "loc": ("path", "code"), "msg": why, "input": code[:40]}]
        )
    return normal


def teacher(
    key: Annotated[
        str | None,
        Header(alias=TEACHER_HEADER, description="the teacher key POST /api/rooms gave"),
    ] = None,
) -> str:
    """The teacher (the key's SHA-256), or 401 naming the header and its form."""
    form = "32 to 128 characters of A-Z, a-z, 0-9, _ and -"
    return teacher_of(
        keyed(key, TEACHER_HEADER, TEACHER_KEY_PATTERN, "the class's teacher key", form)
    )


RoomsDep = Annotated[Rooms, Depends(get_rooms)]
Code = Annotated[str, Depends(code_of)]
Teacher = Annotated[str, Depends(teacher)]
MemberId = Annotated[str, Path(pattern=TOKEN_PATTERN, description="the student's session id")]
NO_KEY: Responses = {
    401: {"model": ErrorMessage, "description": f"No valid {TEACHER_HEADER}"},
    403: {"model": ErrorMessage, "description": "Another class's teacher key"},
}
UNKNOWN: Responses = {404: {"model": ErrorMessage, "description": "No such class or student"}}
TEACHER = NO_KEY | UNKNOWN


async def join_base(request: Request) -> str:
    """The address students open: this server's LAN address when the teacher's page runs
    on the server's own machine (localhost means nothing on a student's laptop)."""
    if request.url.hostname in LOOPBACK:
        settings = request.app.state.settings
        urls = await asyncio.to_thread(lan_urls, settings.host, settings.port)
        if urls:
            return urls[0]
    return str(request.base_url).rstrip("/")


@router.post("", status_code=201, response_model=RoomCreated, responses=TOO_MANY | UNKNOWN)
async def create(body: CreateRoom, request: Request, rooms: RoomsDep) -> dict[str, Any]:
    """Start a class: a join code, the join link and its QR code, and the teacher key
    (shown once: the teacher's browser keeps it)."""
    key = secrets.token_urlsafe(32)
    room = await rooms.create(body, teacher_of(key))
    code = room["code"]
    link = f"{await join_base(request)}/join/{code}"
    return {**room, "key": key, "join_url": f"/join/{code}", "wall_url": f"/room/{code}",
            "qr": f"/api/qr?text={quote(link, safe='')}", "link": link}  # fmt: skip


@router.get("/{code}", response_model=RoomInfo, responses=UNKNOWN | TOO_MANY)
async def info(code: Code, request: Request, rooms: RoomsDep) -> dict[str, Any]:
    """Whether a class exists (before joining), with a free nickname suggested. Counts as a
    join attempt (join_rate)."""
    rooms.admit(client_address(request))
    return await rooms.info(code)


@router.post(
    "/{code}/join", status_code=201, response_model=Joined, responses=UNKNOWN | TOO_MANY | CONFLICT
)
async def join(code: Code, body: Join, request: Request, rooms: RoomsDep) -> dict[str, Any]:
    """Join as a student: a session of one's own from the class's setup, and a nickname
    (the one given, if free in the class). ``session``: one's earlier session here."""
    client = client_address(request)
    rooms.admit(client)
    return await rooms.join(code, body, client)


@router.get("/{code}/board", responses=UNKNOWN)
async def board(code: Code, rooms: RoomsDep) -> dict[str, Any]:
    """The challenge, who reached it (first first) and the last podium."""
    return await rooms.board(code)


@router.get("/{code}/teacher", responses=TEACHER)
async def teacher_view(code: Code, who: Teacher, rooms: RoomsDep) -> dict[str, Any]:
    """The class as the teacher sees it: settings, challenge, every student's standing."""
    return await rooms.teacher(code, who)


@router.patch("/{code}", responses=TEACHER)
async def patch(code: Code, body: RoomPatch, who: Teacher, rooms: RoomsDep) -> dict[str, Any]:
    """Locks, anonymise, pause or resume everyone, eyes on me, the timer, the spotlight."""
    return await rooms.patch(code, who, body)


@router.post("/{code}/push", responses=TEACHER | CONFLICT)
async def push(code: Code, body: Push, who: Teacher, rooms: RoomsDep) -> dict[str, Any]:
    """The teacher's session's setup to every student (with its weights if asked): each
    starts over from it, paused."""
    return await rooms.push(code, who, body)


@router.put("/{code}/challenge", responses=TEACHER)
async def challenge(code: Code, body: Challenge, who: Teacher, rooms: RoomsDep) -> dict[str, Any]:
    """Start a challenge (a new one replaces the one running)."""
    return await rooms.set_challenge(code, who, body)


@router.delete("/{code}/challenge", responses=TEACHER)
async def end_challenge(code: Code, who: Teacher, rooms: RoomsDep) -> dict[str, Any]:
    """End it: the first three stay as the podium."""
    return await rooms.set_challenge(code, who, None)


@router.patch("/{code}/members/{session_id}", responses=TEACHER)
async def rename(
    code: Code, session_id: MemberId, body: Rename, who: Teacher, rooms: RoomsDep
) -> dict[str, Any]:
    return await rooms.rename(code, who, session_id, body.nickname)


@router.post("/{code}/members/{session_id}/reset", response_model=SessionState, responses=TEACHER)
async def reset(code: Code, session_id: MemberId, who: Teacher, rooms: RoomsDep) -> dict[str, Any]:
    """New initial weights for the student, epoch 0."""
    return await rooms.reset(code, who, session_id)


@router.post(
    "/{code}/members/{session_id}/snapshot", status_code=201, response_model=Experiment,
    responses=TEACHER | CONFLICT,
)  # fmt: skip
async def snapshot(
    code: Code, session_id: MemberId, body: Snapshot, who: Teacher, rooms: RoomsDep
) -> dict[str, Any]:
    """A copy of the student's network as it is now, to the class's gallery."""
    return await rooms.snapshot(code, who, session_id, body.name)


@router.delete("/{code}/members/{session_id}", status_code=204, responses=TEACHER)
async def remove(code: Code, session_id: MemberId, who: Teacher, rooms: RoomsDep) -> Response:
    """Remove the student: their session ends and nothing of it is kept."""
    await rooms.remove(code, who, session_id)
    return Response(status_code=204)


@router.get("/{code}/snapshots", response_model=Experiments, responses=TEACHER)
async def snapshots(code: Code, who: Teacher, rooms: RoomsDep) -> dict[str, Any]:
    """The class's gallery, newest first."""
    return await rooms.snapshots(code, who)


@router.delete("/{code}/snapshots/{experiment_id}", status_code=204, responses=TEACHER)
async def drop_snapshot(
    code: Code,
    experiment_id: Annotated[str, Path(pattern=TOKEN_PATTERN)],
    who: Teacher,
    rooms: RoomsDep,
) -> Response:
    await rooms.drop_snapshot(code, who, experiment_id)
    return Response(status_code=204)


@router.get("/{code}/curves", responses=TEACHER)
async def curves(code: Code, who: Teacher, rooms: RoomsDep) -> dict[str, Any]:
    """Every student's loss curve: [epoch, train loss, test loss], at most 200 each."""
    return await rooms.curves(code, who)


@router.get(
    "/{code}/results.csv", response_class=Response, responses=TEACHER
    | {200: {"content": {"text/csv": {}}, "description": "One row per student"}},
)  # fmt: skip
async def results(code: Code, who: Teacher, rooms: RoomsDep) -> Response:
    """The class's results: each student's network, losses, accuracy and challenge."""
    return attachment(await rooms.results_csv(code, who), "text/csv", f"class-{code}.csv")


@router.delete("/{code}", status_code=204, responses=TEACHER)
async def close(code: Code, who: Teacher, rooms: RoomsDep) -> Response:
    """Close the class: its students' sessions, members and snapshots are deleted."""
    await rooms.close(code, who)
    return Response(status_code=204)
