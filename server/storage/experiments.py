"""The experiments table: named copies an owner key keeps, and their share tokens. Plain
functions of a connection (the caller's transaction); limits are checked here, in the
same transaction as the write they guard."""

from __future__ import annotations

import hashlib
import json
import logging
import math
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Connection, RowMapping, delete, func, insert, select, update

from server.errors import Conflict, NotFound, TooLarge, TooMany
from server.protocol.config import Config
from server.protocol.rest import MAX_IMPORT_EPOCH
from server.storage.checkpoints import LAST_TIME
from server.storage.rows import Stored
from server.storage.schema import checkpoints
from server.storage.schema import experiments as table

log = logging.getLogger(__name__)
LISTED = [c for c in table.c if c.name not in ("body", "history", "points", "thumbnail", "picture")]


@dataclass(frozen=True)
class Pictures:
    thumbnail: bytes  # PNG
    picture: bytes  # PNG


@dataclass(frozen=True)
class Limits:
    per_owner: int
    row_bytes: int
    total_bytes: int


def owner_of(key: str) -> str:
    """What is stored of an owner key: its SHA-256 (the key itself never is)."""
    return hashlib.sha256(key.encode()).hexdigest()


def create(
    c: Connection,
    owner: str,
    name: str,
    stored: Stored,
    summary: dict[str, Any],
    pictures: Pictures,
    limits: Limits,
    used: Callable[[], int],
) -> dict[str, Any]:
    """A new experiment; TooMany past the owner's limit, TooLarge past a size limit
    (``used()``: the bytes stored now; last copies of ended sessions give way first)."""
    held = c.execute(select(func.count()).where(table.c.owner == owner)).scalar() or 0
    if held >= limits.per_owner:
        raise TooMany(
            f"you have {held} saved experiments, the most this server keeps per owner "
            f"(max_experiments_per_owner = {limits.per_owner}); delete some first",
            "name",
        )
    size = stored.size + len(pictures.thumbnail) + len(pictures.picture)
    if size > limits.row_bytes:
        raise TooLarge(
            f"the experiment takes {size} bytes, more than the server's max_checkpoint_bytes "
            f"({limits.row_bytes})",
            "session",
        )
    if used() + size > limits.total_bytes:
        c.execute(delete(checkpoints).where(checkpoints.c.ended.isnot(None)))
        total = used()
        if total + size > limits.total_bytes:
            raise TooLarge(
                f"the server's storage is full: live sessions and saved experiments take "
                f"{total} bytes of its max_database_bytes ({limits.total_bytes}); an owner "
                "can make room by deleting saved experiments",
                "session",
            )
    now = time.time()
    row = {
        "id": secrets.token_urlsafe(12),
        "owner": owner,
        "name": name,
        "created": now,
        "updated": now,
        "epoch": stored.epoch,
        "train_loss": summary["train_loss"],
        "test_loss": summary["test_loss"],
        "config": json.dumps(summary["config"]),
        "format": stored.format,
        "body": stored.body,
        "history": stored.history,
        "points": stored.points,
        "thumbnail": pictures.thumbnail,
        "picture": pictures.picture,
        "size": size,
        "share": None,
    }
    c.execute(insert(table).values(**row))
    return _listed(row)


def listed(c: Connection, owner: str) -> list[dict[str, Any]]:
    """The owner's experiments, newest first; a damaged row is left out (and logged), so
    one cannot hide the others."""
    query = select(*LISTED).where(table.c.owner == owner).order_by(table.c.updated.desc())
    rows = []
    for r in c.execute(query).mappings():
        try:
            rows.append(_listed(r))
        except Conflict as exc:
            log.warning("%s", exc.message)
    return rows


def one(c: Connection, owner: str, experiment_id: str) -> dict[str, Any]:
    query = select(*LISTED).where(table.c.id == experiment_id, table.c.owner == owner)
    row = c.execute(query).mappings().first()
    if row is None:  # another owner's experiment is as unknown as a missing one
        raise NotFound(f"unknown experiment {experiment_id}", "id")
    return _listed(row)


def rename(c: Connection, owner: str, experiment_id: str, name: str) -> dict[str, Any]:
    one(c, owner, experiment_id)
    c.execute(update(table).where(table.c.id == experiment_id)
              .values(name=name, updated=time.time()))  # fmt: skip
    return one(c, owner, experiment_id)


def remove(c: Connection, owner: str, experiment_id: str) -> None:
    one(c, owner, experiment_id)
    c.execute(delete(table).where(table.c.id == experiment_id))


def share(c: Connection, owner: str, experiment_id: str) -> str:
    """Its share token (a new one, unguessable, the first time)."""
    token = one(c, owner, experiment_id)["share"]
    if token is None:
        token = secrets.token_urlsafe(16)
        c.execute(update(table).where(table.c.id == experiment_id).values(share=token))
    return str(token)


def unshare(c: Connection, owner: str, experiment_id: str) -> None:
    one(c, owner, experiment_id)
    c.execute(update(table).where(table.c.id == experiment_id).values(share=None))


def stored(
    c: Connection, where: Any, missing: str = "unknown or no longer shared"
) -> tuple[dict[str, Any], Stored]:
    """(its listing, its stored session) for ``where`` (a condition on the table);
    NotFound saying ``missing`` if there is none, Conflict if its row is damaged."""
    row = c.execute(select(table).where(where)).mappings().first()
    if row is None:
        raise NotFound(missing, "id")
    listing = _listed(row)
    try:
        points = None if row["points"] is None else bytes(row["points"])
        body = Stored(int(row["format"]), bytes(row["body"]), bytes(row["history"]), points,
                      int(row["epoch"]))  # fmt: skip
    except (TypeError, ValueError) as exc:
        raise Conflict(f"the stored experiment {row['id']} is damaged: {exc}") from None
    return listing, body


def by_owner(owner: str, experiment_id: str) -> Any:
    return (table.c.id == experiment_id) & (table.c.owner == owner)


def by_id(experiment_id: str) -> Any:
    return table.c.id == experiment_id


def by_token(token: str) -> Any:
    return table.c.share == token


def exists(c: Connection, where: Any) -> bool:
    return c.execute(select(table.c.id).where(where)).first() is not None


def picture(c: Connection, where: Any, which: str) -> bytes:
    column = table.c.thumbnail if which == "thumbnail" else table.c.picture
    found = c.execute(select(column).where(where)).scalar()
    if found is None:
        raise NotFound("unknown or no longer shared", "id")
    return bytes(found)


def _listed(r: RowMapping | dict[str, Any]) -> dict[str, Any]:
    """A row as listed, checked (a tampered row is a Conflict naming it, not a 500)."""
    try:
        config = Config.model_validate_json(r["config"]).model_dump()
        losses = [None if v is None else float(v) for v in (r["train_loss"], r["test_loss"])]
        if not all(v is None or math.isfinite(v) for v in losses):
            raise ValueError("a loss is not finite")
        epoch = int(r["epoch"])
        if not 0 <= epoch <= MAX_IMPORT_EPOCH:
            raise ValueError(f"epoch {epoch} is out of range")
        listing = {
            "id": str(r["id"]),
            "name": str(r["name"]),
            "created": _time(r["created"]),
            "updated": _time(r["updated"]),
            "epoch": epoch,
            "train_loss": losses[0],
            "test_loss": losses[1],
            "config": config,
            "share": r["share"],
        }
    except (ValidationError, TypeError, ValueError) as exc:
        reason = str(exc).splitlines()[0]
        raise Conflict(f"the stored experiment {r['id']} is damaged: {reason}") from None
    return listing


def _time(value: Any) -> float:
    t = float(value)
    if not 0 <= t <= LAST_TIME:  # NaN fails too
        raise ValueError(f"time {t} is out of range")
    return t


def remove_owner(c: Connection, owner: str) -> int:
    """Delete everything ``owner`` saved (a closed room's snapshots); how many."""
    return int(c.execute(delete(table).where(table.c.owner == owner)).rowcount or 0)
