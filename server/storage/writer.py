"""The writer: one thread that commits checkpoints, so the worker never waits on a disk.

The worker hands it rows; a newer row for the same session replaces one still waiting
(only the latest checkpoint matters), and everything waiting goes in one transaction. A
durable save (a person's change) returns a future that resolves once its row is
committed: the change is acknowledged only then. A failed commit fails those futures with
the database's reason and keeps the rows and the other writes for the next try.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import dataclasses
import logging
import threading
import time
from collections.abc import Callable

from server.errors import StorageFailed
from server.storage import checkpoints
from server.storage.checkpoints import Row
from server.storage.database import Database

log = logging.getLogger(__name__)
RETRY_S = 1.0  # after a failed commit
Done = concurrent.futures.Future[None]
Op = Callable[..., object]
Tagged = tuple[str | None, Op]  # an op and the session it ends, if it ends one


class Writer:
    def __init__(self, database: Database) -> None:
        self.database = database
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._rows: dict[str, Row] = {}
        # other writes (a session ended: its id), in order, after the rows
        self._ops: list[Tagged] = []
        self._closed = False  # stopped: new writes fail at once
        self._waiting: list[Done] = []  # resolve at the next commit
        self._stopping = False
        self._thread: threading.Thread | None = None
        self.failure: str | None = None  # the last commit's error, until one succeeds
        self.lost = False  # the tables were made again: every session must be written anew
        self.commits = 0

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="playground-writer", daemon=True)
        self._thread.start()

    # -- from any thread --------------------------------------------------------------------
    def save(self, row: Row, durable: bool = False) -> Done | None:
        """Queue ``row``; with ``durable``, a future resolved when it is committed. A
        session's end still queued goes: the newer row is its latest state."""
        done: Done | None = concurrent.futures.Future() if durable else None
        with self._lock:
            if self._closed:
                return _failed(done)
            self._rows[row.id] = _merged(row, self._rows.get(row.id))
            self._ops = [(who, op) for who, op in self._ops if who != row.id]
            if done is not None:
                self._waiting.append(done)
        self._wake.set()
        return done

    def do(self, op: Op, session_id: str | None = None) -> Done:
        """Run ``op(connection)`` in the next transaction, after the rows waiting now
        (``session_id``: the session it ends, which a newer row of it cancels)."""
        done: Done = concurrent.futures.Future()
        with self._lock:
            if self._closed:
                done.set_exception(StorageFailed("the server is shutting down"))
                return done
            self._ops.append((session_id, op))
            self._waiting.append(done)
        self._wake.set()
        return done

    def end(self, session_id: str, why: str) -> Done:
        at = time.time()
        return self.do(lambda c: checkpoints.end(c, session_id, why, at), session_id)

    def flush(self, timeout: float = 30.0) -> None:
        """Wait until everything queued so far is committed (StorageFailed if it fails)."""
        self.do(lambda c: None).result(timeout)

    def stop(self, timeout: float = 30.0) -> None:
        """Commit what is queued, then end the thread."""
        self._stopping = True
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
        with self._lock:
            self._closed = True
            left, self._waiting = self._waiting, []
        for done in left:  # queued after the last commit: never written
            _settle(done, StorageFailed("the server is shutting down"))

    # -- the thread -----------------------------------------------------------------------
    def _run(self) -> None:
        while True:
            self._wake.wait()
            self._wake.clear()
            with self._lock:
                rows, ops, waiting = list(self._rows.values()), self._ops, self._waiting
                self._rows, self._ops, self._waiting = {}, [], []
            if rows or ops:
                self._commit(rows, ops, waiting)
            else:
                for done in waiting:
                    _settle(done)
            if self._stopping:
                with self._lock:
                    if not (self._rows or self._ops):
                        return

    def _requeue(self, rows: list[Row], ops: list[Tagged]) -> None:
        """Rows and ops of a failed commit go with the next one. A newer row of the same
        session (queued meanwhile) wins, but takes the failed row's points if it has none
        of its own (else a row could be written without the points its body names); a
        session's end goes again unless a newer row of it came meanwhile."""
        with self._lock:
            arrived = set(self._rows)
            for row in rows:
                newer = self._rows.get(row.id)
                self._rows[row.id] = row if newer is None else _merged(newer, row)
            self._ops[:0] = [(who, op) for who, op in ops if who is None or who not in arrived]

    def _remake(self) -> None:
        """The tables are gone (the file was deleted while the server ran): make them
        again, and ask the keeper to write every live session anew (``lost``)."""
        try:
            self.database.migrate()
        except StorageFailed as exc:
            log.warning("could not make the storage tables again: %s", exc.message)
            return
        log.warning("the storage tables were gone: made again; every session is saved anew")
        self.lost = True

    def _commit(self, rows: list[Row], ops: list[Tagged], waiting: list[Done]) -> None:
        try:
            with self.database.begin() as c:
                checkpoints.write(c, rows)
                for _, op in ops:
                    op(c)
        except StorageFailed as exc:
            if exc.message != self.failure:
                log.warning("could not save %d checkpoints: %s", len(rows), exc.message)
            self.failure = exc.message
            for done in waiting:
                _settle(done, exc)
            if "no such table" in exc.message or "does not exist" in exc.message:
                self._remake()
            if self._stopping:  # the last try: nothing is left to try again
                log.error("%d checkpoints were not saved at shutdown: %s", len(rows), exc.message)
                return
            self._requeue(rows, ops)
            time.sleep(RETRY_S)  # a full disk or a lock: try again later, not at once
            self._wake.set()
            return
        except Exception as exc:  # an op's own bug must not end the thread
            log.exception("a storage write failed")
            for done in waiting:
                _settle(done, StorageFailed(f"could not save: {exc}"))
            self._requeue(rows, ops)  # the rows are sound: they go with the next commit
            return
        self.failure = None
        self.commits += 1
        for done in waiting:
            _settle(done)


def _settle(done: Done, error: BaseException | None = None) -> None:
    """Resolve ``done`` unless its waiter is gone (a request cancelled: a closed socket)."""
    with contextlib.suppress(concurrent.futures.InvalidStateError):
        if error is None:
            done.set_result(None)
        else:
            done.set_exception(error)


def _merged(row: Row, older: Row | None) -> Row:
    """``row`` replacing ``older`` (both of one session, not yet written): a row that keeps
    the stored points takes ``older``'s points when ``older`` was to write them."""
    if row.points_kept and older is not None and not older.points_kept:
        stored = dataclasses.replace(row.stored, points=older.stored.points)
        return dataclasses.replace(row, stored=stored, points_kept=False)
    return row


def _failed(done: Done | None) -> Done | None:
    if done is not None:
        done.set_exception(StorageFailed("the server is shutting down"))
    return done
