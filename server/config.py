"""The one Settings object. Every field can be set by an environment variable
``PLAYGROUND_<FIELD>`` (e.g. ``PLAYGROUND_MAX_SESSIONS=100``) or a ``playground`` flag."""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, fields
from typing import Any, Literal

Device = Literal["auto", "cpu", "cuda"]
LOG_LEVELS = ("debug", "info", "warning", "error")  # cli.py's --log-level choices
DType = Literal["float64", "float32"]


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 8000
    device: Device = "auto"  # auto: CUDA when available, else the CPU
    dtype: DType = "float64"  # float64 reproduces TFP exactly
    max_sessions: int = 500  # live sessions; more -> 429
    session_ttl: float = 1800.0  # seconds without requests or viewers before a session expires
    idle_pause: float = 60.0  # seconds without viewers before a running session pauses
    max_layers: int = 6  # hidden layers
    max_neurons: int = 8  # per hidden layer
    max_train_epochs: int = 10_000  # per POST /train request
    max_points: int = 10_000  # uploaded points (train + test)
    max_fps: float = 60.0  # frames per second per viewer, at most
    batching: bool = True  # train sessions of one shape together (engine/batched.py)
    kernel: bool = True  # the compiled CPU kernel for sessions trained alone (engine/compiled.py)
    log_level: str = "info"
    # -- fairness and limits per client (one student cannot take the server) -------------
    max_sessions_per_client: int = 100  # live sessions one address may hold
    create_rate: float = 60.0  # sessions one address may create per minute (burst: as many)
    connect_rate: float = 120.0  # websocket connections per address per minute
    max_train_seconds: float = 1800.0  # estimated worker time one REST train may ask for
    viewer_timeout: float = 30.0  # seconds a viewer may leave a frame unacked or a send blocked
    # -- the websocket edge (every way of starting the app gets these: app.py) -----------
    ws_ping_interval: float = 20.0  # seconds between pings
    ws_ping_timeout: float = 20.0  # seconds to wait for a pong before closing
    ws_max_size: int = 1_000_000  # bytes per incoming message (control messages are tiny)
    allowed_origins: str = ""  # extra origins (comma-separated, or *) for websockets and framing
    # -- storage (server/storage): checkpoints of live sessions, saved experiments, shares --
    storage: bool = True  # off: nothing is written, sessions live in memory only
    data_dir: str = ""  # "": the per-user data directory (storage/database.py, data_dir)
    database_url: str = ""  # "": SQLite in data_dir; or postgresql://user:pass@host/db
    checkpoint_interval: float = 3.0  # seconds between checkpoints of a training session
    ended_keep: float = 86_400.0  # seconds an ended session's last checkpoint is kept
    max_experiments_per_owner: int = 100  # saved experiments one owner key may keep; more -> 429
    max_checkpoint_bytes: int = 8_000_000  # one session's checkpoint or experiment; more -> 413
    max_database_bytes: int = 2_000_000_000  # stored bytes in all; saving more -> 413
    # -- classroom rooms (runtime/rooms.py, docs/rooms.md) --
    max_room_students: int = 200  # students one room takes; more -> 409
    max_rooms: int = 50  # open rooms on the server; more -> 429
    join_rate: float = 120.0  # join attempts (right or wrong code) per address per minute
    room_ttl: float = 43_200.0  # seconds a room lives before all of its data is deleted

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides: Any) -> Settings:
        """Defaults, then PLAYGROUND_* variables, then explicit overrides (None ignored)."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = env.get(f"PLAYGROUND_{f.name.upper()}")
            if raw is not None:
                values[f.name] = _convert(f, raw)
        values.update({k: v for k, v in overrides.items() if v is not None})
        settings = cls(**values)
        settings.validate()
        return settings

    def validate(self) -> None:
        if self.device not in ("auto", "cpu", "cuda"):
            raise ValueError(f"device must be auto, cpu or cuda, not {self.device!r}")
        if self.dtype not in ("float64", "float32"):
            raise ValueError(f"dtype must be float64 or float32, not {self.dtype!r}")
        if self.log_level not in LOG_LEVELS:  # else logging raises at start, a traceback
            raise ValueError(
                f"log_level must be {', '.join(LOG_LEVELS[:-1])} or {LOG_LEVELS[-1]}, "
                f"not {self.log_level!r}"
            )
        for name, (low, high) in BOUNDS.items():
            value = getattr(self, name)
            if not low <= value <= high:  # NaN fails too
                raise ValueError(f"{name} must be between {low:g} and {high:g}, not {value!r}")

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes)


# Every numeric setting's allowed range (inclusive): a zero fps or a negative TTL is
# refused at start with a message, not found later as a division by zero.
BOUNDS: dict[str, tuple[float, float]] = {
    "port": (0, 65535),
    "max_sessions": (1, 100_000),
    "session_ttl": (1, 10**7),
    "idle_pause": (0, 10**7),
    "max_layers": (1, 16),
    "max_neurons": (1, 64),
    "max_train_epochs": (1, 10**7),
    "max_points": (2, 1_000_000),
    "max_fps": (0.1, 240),
    "max_sessions_per_client": (1, 100_000),
    "create_rate": (1, 100_000),
    "connect_rate": (1, 100_000),
    "max_train_seconds": (0.1, 10**6),
    "viewer_timeout": (1, 3600),
    "ws_ping_interval": (1, 3600),
    "ws_ping_timeout": (1, 3600),
    "ws_max_size": (1024, 64_000_000),
    "checkpoint_interval": (0.1, 3600),
    "ended_keep": (0, 10**8),
    "max_experiments_per_owner": (1, 1_000_000),
    "max_checkpoint_bytes": (10_000, 1_000_000_000),
    "max_database_bytes": (100_000, 10**13),
    "max_room_students": (1, 10_000),
    "max_rooms": (1, 10_000),
    "join_rate": (1, 100_000),
    "room_ttl": (60, 10**8),
}


def _convert(f: dataclasses.Field[Any], raw: str) -> Any:
    kind = f.type if isinstance(f.type, str) else getattr(f.type, "__name__", "str")
    if kind == "bool":
        if raw.lower() not in ("1", "0", "true", "false", "yes", "no", "on", "off"):
            raise ValueError(f"PLAYGROUND_{f.name.upper()} must be true or false, not {raw!r}")
        return raw.lower() in ("1", "true", "yes", "on")
    try:
        if kind == "int":
            return int(raw)
        if kind == "float":
            return float(raw)
    except ValueError:
        raise ValueError(f"PLAYGROUND_{f.name.upper()} must be a number, not {raw!r}") from None
    return raw
