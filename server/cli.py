"""`playground`: start the server (flags override PLAYGROUND_* environment variables)."""

from __future__ import annotations

import argparse
import logging
from collections.abc import Sequence
from typing import Any

from server.config import Settings

SHUTDOWN_GRACE = 5  # seconds uvicorn waits for requests after SIGTERM (trains end at once)
LIMIT_FLAGS: list[tuple[str, type, str]] = [
    ("--max-sessions-per-client", int, "live sessions one address may hold"),
    ("--create-rate", float, "sessions one address may create per minute"),
    ("--connect-rate", float, "websocket connections one address may open per minute"),
    ("--max-train-seconds", float, "estimated training time one REST train may ask for"),
    ("--viewer-timeout", float, "seconds before a viewer that stops reading is closed"),
    ("--ws-ping-interval", float, "seconds between websocket pings"),
    ("--ws-ping-timeout", float, "seconds to wait for a websocket pong"),
    ("--ws-max-size", int, "bytes per incoming websocket message at most"),
    (
        "--allowed-origins",
        str,
        "other origins allowed to open websockets and frame the page (comma-separated, or *)",
    ),
]


STORAGE_FLAGS: list[tuple[str, type, str]] = [
    ("--checkpoint-interval", float, "seconds between checkpoints of a training session"),
    ("--ended-keep", float, "seconds the last copy of an ended session is kept"),
    ("--max-experiments-per-owner", int, "saved experiments one owner key may keep"),
    ("--max-checkpoint-bytes", int, "bytes one stored session may take"),
    ("--max-database-bytes", int, "bytes all stored sessions and experiments may take"),
]

ROOM_FLAGS: list[tuple[str, type, str]] = [
    ("--max-room-students", int, "students one room takes"),
    ("--max-rooms", int, "open rooms on the server"),
    ("--join-rate", float, "join attempts one address may make per minute"),
    ("--room-ttl", float, "seconds a room lives before all of its data is deleted"),
]


def parse(argv: Sequence[str] | None = None) -> Settings:
    defaults = Settings()
    p = argparse.ArgumentParser(
        prog="playground",
        description="Neural Playground: a neural-network playground trained live on this server.",
        epilog="Every flag can also be set in the environment as PLAYGROUND_<NAME>, "
        "e.g. PLAYGROUND_PORT=9000.",
    )
    p.add_argument("--host", help=f"interface to listen on (default {defaults.host})")
    p.add_argument("--port", type=int, help=f"port (default {defaults.port})")
    p.add_argument(
        "--device",
        choices=["auto", "cpu", "cuda"],
        help="where to train (default auto: CUDA if available)",
    )
    p.add_argument(
        "--dtype",
        choices=["float64", "float32"],
        help="arithmetic (default float64, exact TFP numbers)",
    )
    p.add_argument(
        "--max-sessions", type=int, help=f"live sessions at most (default {defaults.max_sessions})"
    )
    p.add_argument(
        "--session-ttl",
        type=float,
        help=f"seconds before an unused session expires (default {defaults.session_ttl:g})",
    )
    p.add_argument(
        "--idle-pause",
        type=float,
        help=f"seconds without viewers before training pauses (default {defaults.idle_pause:g})",
    )
    p.add_argument(
        "--max-layers", type=int, help=f"hidden layers at most (default {defaults.max_layers})"
    )
    p.add_argument(
        "--max-neurons",
        type=int,
        help=f"neurons per layer at most (default {defaults.max_neurons})",
    )
    p.add_argument(
        "--max-train-epochs",
        type=int,
        help=f"epochs per REST train request (default {defaults.max_train_epochs})",
    )
    p.add_argument(
        "--max-points", type=int, help=f"uploaded points at most (default {defaults.max_points})"
    )
    p.add_argument(
        "--max-fps", type=float, help=f"frames per second per viewer (default {defaults.max_fps:g})"
    )
    p.add_argument(
        "--batching",
        action=argparse.BooleanOptionalAction,
        help="train running sessions of one shape together as one stacked computation "
        "(default on; --no-batching trains each alone)",
    )
    p.add_argument(
        "--kernel",
        action=argparse.BooleanOptionalAction,
        help="train on the CPU with the compiled kernel (numba) wherever it is faster than "
        "torch, measured per group (default on; --no-kernel: torch only)",
    )
    p.add_argument(
        "--log-level", choices=["debug", "info", "warning", "error"], help="default info"
    )
    storage = p.add_argument_group("storage (sessions survive restarts; saved experiments)")
    storage.add_argument(
        "--data-dir",
        help="where the SQLite database lives (default: $XDG_DATA_HOME/neural-playground, "
        "else ~/.local/share/neural-playground; created on first start)",
    )
    storage.add_argument(
        "--database-url",
        help="a database instead of SQLite in --data-dir, e.g. postgresql://user:pass@host/db",
    )
    storage.add_argument(
        "--storage",
        action=argparse.BooleanOptionalAction,
        help="keep sessions and experiments in the database (default on; --no-storage keeps "
        "everything in memory and saves nothing)",
    )
    for flag, kind, what in STORAGE_FLAGS:
        name = flag.removeprefix("--").replace("-", "_")
        storage.add_argument(flag, type=kind, help=f"{what} (default {getattr(defaults, name)})")
    limits = p.add_argument_group("limits per client and of the websocket edge")
    rooms = p.add_argument_group("classroom rooms (docs/rooms.md)")
    for flag, kind, what in ROOM_FLAGS:
        name = flag.removeprefix("--").replace("-", "_")
        rooms.add_argument(flag, type=kind, help=f"{what} (default {getattr(defaults, name)})")
    for flag, kind, what in LIMIT_FLAGS:
        name = flag.removeprefix("--").replace("-", "_")
        limits.add_argument(flag, type=kind, help=f"{what} (default {getattr(defaults, name)})")
    args = p.parse_args(argv)
    try:
        return Settings.from_env(**vars(args))
    except ValueError as exc:  # one line naming the setting and its range, no usage dump
        p.exit(2, f"{p.prog}: error: {exc}\n")


def start_message(settings: Settings) -> str:
    """Where to open the server: its LAN addresses when it listens on all interfaces (what
    students type; http://0.0.0.0 opens nothing), else the host it was given."""
    from server.web.share import WILDCARDS, lan_urls

    local = f"http://127.0.0.1:{settings.port}"
    if settings.host not in WILDCARDS:
        host = f"[{settings.host}]" if ":" in settings.host else settings.host
        return f"http://{host}:{settings.port}"
    urls = lan_urls(settings.host, settings.port)
    return f"{', '.join(urls)} (this machine: {local})" if urls else local


def main(argv: Sequence[str] | None = None) -> None:
    import uvicorn

    from server.app import create_app, uvicorn_options

    settings = parse(argv)
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(levelname)s %(name)s: %(message)s"
    )
    from server.errors import StorageFailed

    try:
        app = create_app(settings)
        app.state.manager.claim()  # a second server on the same database stops here
        if app.state.manager.keeper is not None:  # a locked or read-only one too
            app.state.manager.keeper.database.check_writable()
    except StorageFailed as exc:  # a damaged, locked or newer database: one line, no traceback
        raise SystemExit(f"playground: error: {exc.message}") from None

    class Server(uvicorn.Server):
        """uvicorn's server, which ends REST train requests as soon as it starts to shut
        down (their replies say so) instead of waiting for them to finish, and says where
        to open it once it listens (not uvicorn's http://0.0.0.0, which opens nothing)."""

        def _log_started_message(self, listeners: Any) -> None:
            print(f"Neural Playground on {start_message(settings)}  (API docs: /docs)", flush=True)

        async def shutdown(self, sockets: Any = None) -> None:
            app.state.manager.begin_shutdown()
            await super().shutdown(sockets)

    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level,
        timeout_graceful_shutdown=SHUTDOWN_GRACE,
        **uvicorn_options(settings),
    )
    Server(config).run()
