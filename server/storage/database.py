"""The database: where it lives, opening it (SQLite by default, PostgreSQL by URL), its
schema version, and every failure of it turned into one clear message.

SQLite runs in WAL mode (readers never wait for the writer; a killed process loses no
committed transaction) with ``synchronous=NORMAL`` (a commit is a write to the WAL, not an
fsync: an operating-system crash may lose the last commits, a killed process does not).
"""

from __future__ import annotations

import logging
import os
import re
import sqlite3

try:
    import fcntl
except ImportError:  # Windows: no second-server check for SQLite
    fcntl = None  # type: ignore[assignment]
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, func, insert, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from server.config import Settings
from server.errors import StorageFailed
from server.storage.schema import MIGRATIONS, VERSION, checkpoints, experiments, schema_version

log = logging.getLogger(__name__)
APP_DIR = "neural-playground"
FILE = "playground.db"
LOCK_KEY = 0x6E706C67  # PostgreSQL advisory lock of "the server of this database"
BUSY_TIMEOUT_MS = 5_000  # how long SQLite waits for another writer before "locked"


def data_dir(settings: Settings) -> Path:
    """--data-dir, else $XDG_DATA_HOME/neural-playground, else ~/.local/share/neural-playground."""
    if settings.data_dir:
        return Path(settings.data_dir).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / APP_DIR


def database_url(settings: Settings) -> str:
    return settings.database_url or f"sqlite:///{data_dir(settings) / FILE}"


def describe(exc: BaseException) -> str:
    """What went wrong, in words a person can act on (never a database server's address
    or user: these messages reach clients)."""
    original = getattr(exc, "orig", None) or exc
    message = str(original).strip().splitlines()[0] if str(original).strip() else type(exc).__name__
    message = re.sub(
        r'connection to server at "[^"]*"(, port \d+)?', "connection to the server", message
    )
    message = re.sub(r'(for|of) user "[^"]*"', r"\1 its user", message)
    message = re.sub(r'(role|database) "[^"]*"', r"\1", message)
    lowered = message.lower()
    if "disk is full" in lowered or "no space left" in lowered:
        return f"the disk is full ({message})"
    if "disk i/o error" in lowered:
        return f"the disk failed a write: is it full? ({message})"
    if "unable to open database file" in lowered or "readonly" in lowered:
        return f"the server cannot write its data directory ({message})"
    if "cannot contain nul" in lowered:
        return "a text with a NUL character cannot be stored"
    if "locked" in lowered or "busy" in lowered:
        return f"the database is locked by another program ({message})"
    if "not a database" in lowered or "malformed" in lowered or "corrupt" in lowered:
        return f"the database file is damaged ({message})"
    return message


class Database:
    """One engine and its schema. Every method may raise StorageFailed."""

    def __init__(self, engine: Engine, where: str, file: str | None = None) -> None:
        self.engine = engine
        self.where = where  # the file or the database's name, for messages (no address)
        self.file = file  # SQLite's file, if not in memory
        self.sqlite = engine.dialect.name == "sqlite"
        self._claim: Any = None  # what holds claim()'s lock
        self._inode: int | None = None  # SQLite's file as the pool opened it

    @classmethod
    def open(cls, settings: Settings) -> Database:
        """Open (creating the data directory and the file on first start), check and migrate;
        StorageFailed with a message naming the place if that cannot be done."""
        url = database_url(settings)
        try:
            parsed = make_url(url)
        except ArgumentError:
            raise StorageFailed(f"database_url is not a database URL: {url!r}") from None
        if parsed.drivername in ("postgresql", "postgres"):
            parsed = parsed.set(drivername="postgresql+psycopg")
        if parsed.get_backend_name() not in ("sqlite", "postgresql"):
            raise StorageFailed(
                f"database_url must be sqlite:///PATH or postgresql://…, not {parsed.drivername}"
            )
        where = f"PostgreSQL database {parsed.database or '(default)'}"  # no user, no host
        file = None
        if parsed.get_backend_name() == "sqlite":
            where = parsed.database or ":memory:"
            if parsed.database and parsed.database != ":memory:":
                file = parsed.database
                try:
                    Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
                except OSError as exc:
                    raise StorageFailed(
                        f"cannot create the data directory for {where}: {exc}"
                    ) from None
            # a pool of open connections: closing the last one of a WAL database checkpoints
            # it (a sync per commit); begin() notices a file deleted or replaced meanwhile
            engine = create_engine(parsed, pool_size=4, max_overflow=4)
            event.listen(engine, "connect", _sqlite_pragmas)
        else:
            engine = create_engine(parsed, pool_size=4, max_overflow=4, pool_pre_ping=True)
        database = cls(engine, where, file)
        try:
            database.migrate()
        except StorageFailed:
            engine.dispose()
            raise
        return database

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        """A transaction; any database error leaves as StorageFailed naming the place."""
        if self.file is not None:
            self._same_file()
        try:
            with self.engine.begin() as connection:
                yield connection
        except (SQLAlchemyError, sqlite3.Error, OSError) as exc:
            raise StorageFailed(f"storage at {self.where}: {describe(exc)}") from exc

    def migrate(self) -> None:
        """Bring the schema to VERSION, one step per transaction; refuse a newer one.
        A step another connection made meanwhile is taken as made (a reader that opened
        the database while the server remade its tables)."""
        for attempt in range(3):
            try:
                self._migrate()
                return
            except StorageFailed as exc:
                if "already exists" not in exc.message or attempt == 2:
                    raise

    def _migrate(self) -> None:
        with self.begin() as c:
            if self.sqlite:
                problem = str(c.execute(text("PRAGMA quick_check(1)")).scalar())
                if problem != "ok":
                    raise StorageFailed(f"storage at {self.where}: the database file is damaged "
                                        f"({problem}); move it away to start afresh")  # fmt: skip
            schema_version.create(c, checkfirst=True)
            found = c.execute(select(schema_version.c.version)).scalar()
            if found is None:
                c.execute(insert(schema_version).values(version=0))
                found = 0
        if found > VERSION:
            raise StorageFailed(
                f"storage at {self.where} is at schema version {found}, newer than this "
                f"server's {VERSION}: upgrade the server, or point it at another database"
            )
        for step in range(found, VERSION):
            with self.begin() as c:
                MIGRATIONS[step](c)
                c.execute(schema_version.update().values(version=step + 1))
            log.info("storage at %s migrated to schema version %d", self.where, step + 1)

    def _same_file(self) -> None:
        """Pooled connections keep a deleted file open (writes would go nowhere): when the
        file is not the one they opened, they are let go, and the next one opens anew."""
        try:
            now = os.stat(self.file).st_ino if self.file else None
        except OSError:
            now = None
        if now != self._inode:
            if self._inode is not None:
                self.engine.dispose()
            self._inode = now

    def check_writable(self) -> None:
        """A write that changes nothing: a locked or read-only database says so now."""
        with self.begin() as c:
            c.execute(text("UPDATE schema_version SET version = version"))

    def claim(self) -> None:
        """This process is the one server of this database: a second would restore the
        first's live sessions and overwrite them. SQLite: an exclusive lock on a file
        beside the database; PostgreSQL: an advisory lock held on a connection of its own.
        StorageFailed if another server holds it. Idempotent."""
        if self._claim is not None:
            return
        busy = (f"storage at {self.where} is in use by another playground server: one server "
                "per database (give this one its own --data-dir or --database-url)")  # fmt: skip
        if self.sqlite:
            if self.file is None or fcntl is None:
                return
            holder = open(f"{self.file}.lock", "a+")  # noqa: SIM115  (held until close)
            try:
                fcntl.flock(holder, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                holder.close()
                raise StorageFailed(busy) from None
            self._claim = holder
            return
        try:
            connection = self.engine.connect()
            held = connection.execute(text(f"SELECT pg_try_advisory_lock({LOCK_KEY})")).scalar()
        except (SQLAlchemyError, OSError) as exc:
            raise StorageFailed(f"storage at {self.where}: {describe(exc)}") from exc
        if not held:
            connection.close()
            raise StorageFailed(busy)
        self._claim = connection

    def stored_bytes(self, c: Connection) -> int:
        """Bytes of stored sessions and experiments (what max_database_bytes limits)."""
        total = 0
        for table in (checkpoints, experiments):
            total += int(c.execute(select(func.coalesce(func.sum(table.c.size), 0))).scalar() or 0)
        return total

    def close(self) -> None:
        if self._claim is not None:
            self._claim.close()  # the lock goes with it
            self._claim = None
        self.engine.dispose()


def _sqlite_pragmas(connection: Any, record: Any) -> None:
    cursor = connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
    except sqlite3.DatabaseError:
        pass  # a damaged file: migrate()'s first statement reports it by name
    finally:
        cursor.close()
