"""The tables (SQLAlchemy Core, one SQL for SQLite and PostgreSQL) and the versioned
migrations that make them. A database records the version it is at; a server meets an
older one by running the missing steps, a newer one by refusing to start."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Float,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData()

schema_version = Table("schema_version", metadata, Column("version", Integer, nullable=False))

# The latest checkpoint of each live session (and, for ended_keep seconds, of an ended one).
checkpoints = Table(
    "checkpoints",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("format", Integer, nullable=False),  # the checkpoint format (sessions/checkpoint.py)
    Column("body", LargeBinary, nullable=False),  # JSON: config, weights, training state, ...
    Column("history", LargeBinary, nullable=False),  # the loss chart, packed float64
    Column("points", LargeBinary, nullable=True),  # the session's own points; null: generated
    Column("size", Integer, nullable=False),  # bytes of body + history + points
    Column("epoch", BigInteger, nullable=False),
    Column("saved_at", Float, nullable=False),  # Unix time
    Column("active_at", Float, nullable=False),  # last request or viewer (expiry counts from it)
    Column("ended", String(16), nullable=True),  # "expired" | "deleted" once it is gone
    Column("ended_at", Float, nullable=True),
)

# Named copies kept by an owner key (its SHA-256: the key itself is never stored).
experiments = Table(
    "experiments",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("owner", String(64), nullable=False),
    Column("name", String(200), nullable=False),
    Column("created", Float, nullable=False),
    Column("updated", Float, nullable=False),
    Column("epoch", BigInteger, nullable=False),
    Column("train_loss", Float, nullable=True),
    Column("test_loss", Float, nullable=True),
    Column("config", Text, nullable=False),  # JSON, for listing without the body
    Column("format", Integer, nullable=False),
    Column("body", LargeBinary, nullable=False),
    Column("history", LargeBinary, nullable=False),
    Column("points", LargeBinary, nullable=True),
    Column("thumbnail", LargeBinary, nullable=False),  # PNG of the boundary, small
    Column("picture", LargeBinary, nullable=False),  # PNG of the boundary with its points
    Column("size", Integer, nullable=False),
    Column("share", String(32), nullable=True, unique=True),  # the /s/<token>, or null
)
Index("experiments_owner", experiments.c.owner, experiments.c.updated)


# Classroom rooms (#14): a join code, the teacher's key (its SHA-256), the setup students
# start from, and what the teacher set (locks, pause, spotlight ...) as JSON.
rooms = Table(
    "rooms",
    metadata,
    Column("code", String(8), primary_key=True),
    Column("teacher", String(64), nullable=False),
    Column("created", Float, nullable=False),
    Column("expires", Float, nullable=False),  # Unix time its data is deleted
    Column("setup", Text, nullable=False),  # JSON config
    Column("settings", Text, nullable=False),  # JSON: locks, paused, spotlight, ...
)
members = Table(
    "members",
    metadata,
    Column("session", String(64), primary_key=True),  # the student's own live session
    Column("room", String(8), nullable=False),
    Column("nickname", String(64), nullable=False),
    Column("joined", Float, nullable=False),
)
Index("members_room", members.c.room, members.c.joined)


def _v1(connection: Connection) -> None:
    metadata.create_all(connection, tables=[checkpoints, experiments])


def _v2(connection: Connection) -> None:
    metadata.create_all(connection, tables=[rooms, members])


# Step n brings a database from version n - 1 to n. Append; never edit a released step
# (a table a later step changes keeps its first shape in the step that made it).
MIGRATIONS: list[Callable[[Connection], None]] = [_v1, _v2]
VERSION = len(MIGRATIONS)
