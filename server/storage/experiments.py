"""The experiments table: named copies an owner key keeps, and their share tokens. Plain
functions of a connection (the caller's transaction); limits are checked here, in the
same transaction as the write they guard."""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, RowMapping, delete, func, insert, select, update

from server.errors import NotFound, TooLarge, TooMany
from server.storage.rows import Stored
from server.storage.schema import experiments as table

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


def create(c: Connection, owner: str, name: str, stored: Stored, summary: dict[str, Any],
           pictures: Pictures, limits: Limits, stored_bytes: int) -> dict[str, Any]:  # fmt: skip
    """A new experiment; TooMany past the owner's limit, TooLarge past a size limit."""
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
    if stored_bytes + size > limits.total_bytes:
        raise TooLarge(
            f"the server's storage is full (max_database_bytes = {limits.total_bytes}); "
            "delete saved experiments to make room",
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
    query = select(*LISTED).where(table.c.owner == owner).order_by(table.c.updated.desc())
    return [_listed(r) for r in c.execute(query).mappings()]


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


def stored(c: Connection, where: Any) -> tuple[dict[str, Any], Stored]:
    """(its listing, its stored session) for ``where`` (a condition on the table)."""
    row = c.execute(select(table).where(where)).mappings().first()
    if row is None:
        raise NotFound("unknown or no longer shared", "id")
    points = None if row["points"] is None else bytes(row["points"])
    body = Stored(row["format"], bytes(row["body"]), bytes(row["history"]), points, row["epoch"])
    return _listed(row), body


def by_owner(owner: str, experiment_id: str) -> Any:
    return (table.c.id == experiment_id) & (table.c.owner == owner)


def by_id(experiment_id: str) -> Any:
    return table.c.id == experiment_id


def by_token(token: str) -> Any:
    return table.c.share == token


def picture(c: Connection, where: Any, which: str) -> bytes:
    column = table.c.thumbnail if which == "thumbnail" else table.c.picture
    found = c.execute(select(column).where(where)).scalar()
    if found is None:
        raise NotFound("unknown or no longer shared", "id")
    return bytes(found)


def _listed(r: RowMapping | dict[str, Any]) -> dict[str, Any]:
    return {
        "id": r["id"],
        "name": r["name"],
        "created": r["created"],
        "updated": r["updated"],
        "epoch": r["epoch"],
        "train_loss": r["train_loss"],
        "test_loss": r["test_loss"],
        "config": json.loads(r["config"]),
        "share": r["share"],
    }
