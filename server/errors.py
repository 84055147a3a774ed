"""User-facing errors. The edge turns them into HTTP statuses or websocket error messages."""

from __future__ import annotations


class PlaygroundError(Exception):
    status = 400

    def __init__(self, message: str, field: str = "", retry_after: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.retry_after = retry_after  # seconds, for a Retry-After header


class Unauthorized(PlaygroundError):
    """A key header (an owner's, a teacher's) is missing or malformed."""

    status = 401


class NotFound(PlaygroundError):
    status = 404


class Conflict(PlaygroundError):
    """The request is valid but not in the session's current state."""

    status = 409


class InvalidInput(PlaygroundError):
    status = 422


class TooManySessions(PlaygroundError):
    status = 429


class TooMany(PlaygroundError):
    """A client is over one of its limits (sessions held, actions per minute)."""

    status = 429


class TooLarge(PlaygroundError):
    """Something to store is over a size limit (one checkpoint, the whole database)."""

    status = 413


class StorageFailed(PlaygroundError):
    """The database could not be read or written (a full disk, a lock, a corrupt file)."""

    status = 503
