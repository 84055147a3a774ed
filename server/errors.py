"""User-facing errors. The edge turns them into HTTP statuses or websocket error messages."""

from __future__ import annotations


class PlaygroundError(Exception):
    status = 400

    def __init__(self, message: str, field: str = "", retry_after: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.retry_after = retry_after  # seconds, for a Retry-After header


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
