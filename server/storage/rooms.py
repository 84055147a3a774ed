"""The rooms and members tables (#14): plain functions of a connection. A room's code is
unique among rooms not yet expired; closing a room deletes it and its members."""

from __future__ import annotations

import json
import time
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update

from server.errors import NotFound
from server.storage.experiments import owner_of
from server.storage.schema import members, rooms

teacher_of = owner_of  # what is stored of a teacher key: its SHA-256, as of an owner key


def create(
    c: Connection,
    code: str,
    teacher: str,
    setup: dict[str, Any],
    keep_s: float,
    created: float | None = None,
) -> None:
    """A new room, made at ``created`` (now by default), deleted ``keep_s`` after."""
    now = time.time() if created is None else created
    c.execute(insert(rooms).values(code=code, teacher=teacher, created=now, expires=now + keep_s,
                                   setup=json.dumps(setup), settings="{}"))  # fmt: skip


def codes(c: Connection) -> set[str]:
    return set(c.execute(select(rooms.c.code)).scalars())


def find(c: Connection, code: str) -> dict[str, Any]:
    row = c.execute(select(rooms).where(rooms.c.code == code)).mappings().first()
    if row is None:
        raise NotFound(f"no room {code}", "code")
    return {"code": row["code"], "teacher": row["teacher"], "created": row["created"],
            "expires": row["expires"], "setup": json.loads(row["setup"]),
            "settings": json.loads(row["settings"])}  # fmt: skip


def join(c: Connection, code: str, session: str, name: str) -> None:
    c.execute(insert(members).values(session=session, room=code, nickname=name,
                                     joined=time.time()))  # fmt: skip


def roster(c: Connection, code: str) -> list[dict[str, Any]]:
    query = select(members).where(members.c.room == code).order_by(members.c.joined)
    return [dict(r) for r in c.execute(query).mappings()]


def count(c: Connection, code: str) -> int:
    return int(c.execute(select(func.count()).where(members.c.room == code)).scalar() or 0)


def close(c: Connection, code: str) -> list[str]:
    """Delete the room and its members; the members' session ids (theirs to end)."""
    sessions = [m["session"] for m in roster(c, code)]
    c.execute(delete(members).where(members.c.room == code))
    c.execute(delete(rooms).where(rooms.c.code == code))
    return sessions


def expired(c: Connection, now: float) -> list[str]:
    return list(c.execute(select(rooms.c.code).where(rooms.c.expires < now)).scalars())


def save_settings(
    c: Connection, code: str, setup: dict[str, Any], settings: dict[str, Any]
) -> None:
    """What the teacher set (and the setup pushed last) for the next start."""
    values = {"setup": json.dumps(setup), "settings": json.dumps(settings)}
    c.execute(update(rooms).where(rooms.c.code == code).values(**values))


def rename(c: Connection, session: str, name: str) -> None:
    c.execute(update(members).where(members.c.session == session).values(nickname=name))


def leave(c: Connection, *sessions: str) -> None:
    """These members leave their rooms."""
    if sessions:
        c.execute(delete(members).where(members.c.session.in_(sessions)))


def everything(c: Connection) -> list[dict[str, Any]]:
    """Every room with its roster (at start); a room whose JSON is damaged is left out."""
    found = []
    for code in sorted(codes(c)):
        try:
            room = find(c, code)
        except ValueError:
            continue
        found.append({**room, "members": roster(c, code)})
    return found
