"""The checkpoints table: the latest stored form of every live session, kept for a while
after it ends (its "last copy"). Plain functions of a connection; storage/writer.py calls
them off the worker thread."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, RowMapping, bindparam, delete, func, insert, select, update

from server.errors import Conflict
from server.storage.rows import Stored
from server.storage.schema import checkpoints as table

LAST_TIME = 253_402_300_799.0  # 9999-12-31, Unix time: a later one is a tampered row


@dataclass(frozen=True)
class Row:
    """One checkpoint to write. ``stored.points`` None with ``points_kept``: leave the
    stored points as they are."""

    id: str
    stored: Stored
    active_at: float  # Unix time of its last request or viewer
    saved_at: float
    points_kept: bool = False


@dataclass(frozen=True)
class Found:
    id: str
    stored: Stored
    active_at: float
    saved_at: float
    ended: str | None


def write(c: Connection, rows: list[Row]) -> None:
    """Insert or replace each row, in three statements run for many rows at once (the
    driver's executemany: the writer holds the interpreter's lock as little as it can).
    Bound names differ from the columns' (b_…): a parameter named like a column would be
    set as well."""
    if not rows:
        return
    ids = [r.id for r in rows]
    present = set(c.execute(select(table.c.id).where(table.c.id.in_(ids))).scalars())
    inserts: list[dict[str, Any]] = []
    replaces: list[dict[str, Any]] = []
    keeps: list[dict[str, Any]] = []
    for r in rows:
        s = r.stored
        values: dict[str, Any] = {f"b_{name}": value for name, value in (
            ("id", r.id), ("format", s.format), ("body", s.body), ("history", s.history),
            ("size", s.size), ("epoch", s.epoch), ("saved_at", r.saved_at),
            ("active_at", r.active_at), ("points", s.points),
        )}  # fmt: skip
        if r.id not in present:
            inserts.append(values)
        elif r.points_kept:
            keeps.append(values)
        else:
            replaces.append(values)
    names = ("format", "body", "history", "epoch", "saved_at", "active_at")
    fresh: dict[str, Any] = {name: bindparam(f"b_{name}") for name in names}
    fresh |= {"ended": None, "ended_at": None}
    size: Any = bindparam("b_size")
    points: Any = bindparam("b_points")
    if inserts:
        c.execute(insert(table).values(id=bindparam("b_id"), size=size, points=points, **fresh),
                  inserts)  # fmt: skip
    where = table.c.id == bindparam("b_id")
    if replaces:
        c.execute(update(table).where(where).values(size=size, points=points, **fresh), replaces)
    if keeps:  # the points stay, and the size counts them
        kept = func.coalesce(func.length(table.c.points), 0)
        c.execute(update(table).where(where).values(size=size + kept, **fresh), keeps)


def end(c: Connection, session_id: str, why: str, at: float) -> None:
    """The session is gone (expired, deleted): keep its row a while as its last copy."""
    c.execute(
        update(table)
        .where(table.c.id == session_id, table.c.ended.is_(None))
        .values(ended=why, ended_at=at)
    )


def purge(c: Connection, before: float) -> int:
    """Forget last copies of sessions that ended before ``before``; how many went."""
    result = c.execute(delete(table).where(table.c.ended_at < before))
    return int(result.rowcount or 0)


def expire(c: Connection, before: float) -> int:
    """Live rows last used before ``before`` are expired (at start: the server was down
    longer than the session's time to live)."""
    result = c.execute(
        update(table)
        .where(table.c.ended.is_(None), table.c.active_at < before)
        .values(ended="expired", ended_at=table.c.active_at)
    )
    return int(result.rowcount or 0)


def live_ids(c: Connection) -> list[str]:
    """The ids of every session that has not ended, oldest use first (rows are read one
    at a time: find(), so one unreadable row cannot stop the others)."""
    query = select(table.c.id).where(table.c.ended.is_(None)).order_by(table.c.active_at)
    return [str(i) for i in c.execute(query).scalars()]


def live(c: Connection) -> list[Found]:
    """Every row of a session that has not ended, oldest use first."""
    found = (find(c, i) for i in live_ids(c))
    return [f for f in found if f is not None]


def find(c: Connection, session_id: str) -> Found | None:
    row = c.execute(select(table).where(table.c.id == session_id)).mappings().first()
    return _found(row) if row is not None else None


def touch(c: Connection, used: dict[str, float]) -> None:
    """Each session's last use (Unix time), as ``used`` has it."""
    statement = update(table).where(table.c.id == bindparam("b_id"), table.c.ended.is_(None))
    c.execute(statement.values(active_at=bindparam("b_at")),
              [{"b_id": k, "b_at": v} for k, v in used.items()])  # fmt: skip


def refuse(c: Connection, session_id: str, at: float) -> None:
    """A row that cannot be restored: set aside as ended, so the next start skips it."""
    c.execute(update(table).where(table.c.id == session_id).values(ended="refused", ended_at=at))


def _found(r: RowMapping) -> Found:
    """A row as read, its numbers checked (a tampered one is a Conflict naming it)."""
    try:
        points = None if r["points"] is None else bytes(r["points"])
        stored = Stored(int(r["format"]), bytes(r["body"]), bytes(r["history"]), points,
                        int(r["epoch"]))  # fmt: skip
        times = float(r["active_at"]), float(r["saved_at"])
        if not all(0 <= t <= LAST_TIME for t in times):
            raise ValueError("a time out of range")
    except (TypeError, ValueError) as exc:
        raise Conflict(f"the stored session {r['id']} is damaged: {exc}") from None
    return Found(str(r["id"]), stored, times[0], times[1], r["ended"])


def forget(c: Connection, session_ids: list[str]) -> None:
    """Delete these sessions' rows outright, last copies too (a closed room's students)."""
    if session_ids:
        c.execute(delete(table).where(table.c.id.in_(session_ids)))
