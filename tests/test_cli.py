"""`playground` as a process: what only a real server shows (a client that hangs up, a
SIGTERM with work in flight)."""

from __future__ import annotations

import asyncio
import concurrent.futures
import dataclasses
import json
import os
import re
import subprocess
import sys
import threading
import time

import httpx
import pytest
from fastapi.testclient import TestClient
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from server.app import create_app
from server.cli import parse
from server.config import BOUNDS, Settings
from tests.helpers.live import ROOT, UVICORN, LiveServer

# 450 minibatch updates an epoch: a 2,000-epoch request runs for minutes
HEAVY = {"hidden": [8, 8, 8, 8, 8, 8], "batch_size": 1, "train_ratio": 90}


def test_a_train_whose_client_hangs_up_stops_and_frees_the_session() -> None:
    with LiveServer() as server:
        sid = httpx.post(f"{server.url}/api/sessions", json={"config": HEAVY}).json()["id"]
        with pytest.raises(httpx.ReadTimeout):  # the client gives up and closes the socket
            httpx.post(f"{server.url}/api/sessions/{sid}/train", json={"epochs": 2000}, timeout=1)
        deadline = time.monotonic() + 10
        while httpx.get(f"{server.url}/api/health").json()["requests"]:
            assert time.monotonic() < deadline, "the abandoned request kept training"
            time.sleep(0.05)  # polling the server's own count, not waiting for a result
        r = httpx.post(f"{server.url}/api/sessions/{sid}/train", json={"epochs": 1})
        assert r.status_code == 200 and r.json()["cut_short"] is None  # free at once


def test_sigterm_cuts_trains_short_closes_viewers_with_1012_and_exits() -> None:
    with LiveServer() as server:
        sid = httpx.post(f"{server.url}/api/sessions", json={"config": HEAVY}).json()["id"]
        reply: dict = {}

        def train() -> None:
            r = httpx.post(
                f"{server.url}/api/sessions/{sid}/train", json={"epochs": 2000}, timeout=60
            )
            reply.update(r.json())

        async def watch_then_terminate() -> int | None:
            async with connect(f"{server.ws_url}/ws/sessions/{sid}") as ws:
                assert json.loads(await ws.recv())["type"] == "state"
                while httpx.get(f"{server.url}/api/health").json()["requests"] == 0:
                    await asyncio.sleep(0.05)  # polling until the request is under way
                started = time.monotonic()
                server.terminate()
                with pytest.raises(ConnectionClosed) as closed:
                    while True:
                        await ws.recv()
                assert time.monotonic() - started < 5
                return closed.value.rcvd.code if closed.value.rcvd else None

        training = threading.Thread(target=train)
        training.start()
        # (a thread of its own: the browser tests' Playwright keeps a loop in this one)
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            code = pool.submit(asyncio.run, watch_then_terminate()).result(timeout=60)
        training.join(timeout=10)
        assert not training.is_alive(), "the train request outlived the shutdown"
        assert reply["cut_short"] == "the server is shutting down"
        assert len(reply["history"]) < 2000
        assert code == 1012  # "service restart": the page reconnects
        # uvicorn re-raises the signal once it has shut down, so supervisors see it
        assert server.process.wait(timeout=10) in (0, -15)


def test_a_viewer_that_stops_acking_is_closed_and_its_session_let_go() -> None:
    """It reads, but never acks: after viewer_timeout the server closes it with 4408 and
    counts no viewer, so the session pauses and expires as if nobody watched."""
    with LiveServer("--viewer-timeout", "1") as server:
        sid = httpx.post(f"{server.url}/api/sessions", json={}).json()["id"]

        async def never_ack() -> tuple[int | None, str]:
            async with connect(f"{server.ws_url}/ws/sessions/{sid}") as ws:
                await ws.send('{"type": "play"}')
                with pytest.raises(ConnectionClosed) as closed:
                    while True:
                        await asyncio.wait_for(ws.recv(), 30)
                rcvd = closed.value.rcvd
                return (rcvd.code, rcvd.reason) if rcvd else (None, "")

        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            code, reason = pool.submit(asyncio.run, never_ack()).result(timeout=60)
        assert code == 4408 and "no ack" in reason
        deadline = time.monotonic() + 10
        while httpx.get(f"{server.url}/api/health").json()["viewers"]:
            assert time.monotonic() < deadline, "the closed viewer is still counted"
            time.sleep(0.05)  # polling the server's own count


# -- settings: every number has a range, refused at start however it is given ---------
NUMERIC = [f.name for f in dataclasses.fields(Settings) if f.type in ("int", "float")]


def _outside(name: str) -> tuple[str, str]:
    """A value just below and one just above ``name``'s allowed range."""
    low, high = BOUNDS[name]
    below = low - 1 if low >= 1 else (0 if low > 0 else -1)
    return str(below), str(high + 1)


def test_every_numeric_setting_has_bounds() -> None:
    assert NUMERIC, "no numeric settings found: the field types changed shape"
    assert sorted(BOUNDS) == sorted(NUMERIC)  # a new number without a range fails here
    for name in NUMERIC:  # the defaults lie inside
        low, high = BOUNDS[name]
        assert low <= getattr(Settings(), name) <= high, name


@pytest.mark.parametrize("name", NUMERIC)
def test_a_setting_out_of_range_is_refused_naming_it_and_its_range(
    name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    low, high = BOUNDS[name]
    expected = f"{name} must be between {low:g} and {high:g}"
    for raw in (
        *_outside(name),
        *(["nan"] if Settings.__dataclass_fields__[name].type == "float" else []),
    ):
        with pytest.raises(ValueError, match=re.escape(expected)):
            Settings.from_env({f"PLAYGROUND_{name.upper()}": raw})
        with pytest.raises(SystemExit) as stopped:
            parse([f"--{name.replace('_', '-')}", raw])
        assert stopped.value.code == 2
        assert expected in capsys.readouterr().err
        with pytest.raises(ValueError, match=re.escape(expected)):  # create_app(settings)
            create_app(Settings.from_env().replace(**{name: type(getattr(Settings(), name))(raw)}))


def test_max_fps_0_stops_python_m_server_with_a_clear_error_not_a_traceback() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "server"],
        cwd=ROOT,
        env={**os.environ, "PLAYGROUND_MAX_FPS": "0"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    # one line, naming the setting and its range (no traceback, no usage dump)
    assert done.stderr == "playground: error: max_fps must be between 0.1 and 240, not 0.0\n"


# -- the websocket edge's limits, however the app is started --------------------------
def by_hand(*flags: str, env: dict[str, str]) -> LiveServer:
    """`uvicorn --factory server.app:create_app`, as a reader of the README might start it
    (PLAYGROUND_* variables set the app's settings); the test waits for it."""
    return LiveServer(*flags, env=env, command=UVICORN, wait=False)


async def _send_and_close_code(url: str, text: str) -> tuple[int | None, str | None]:
    """Send ``text``; the close code if the server closes, else the reply's type."""
    async with connect(url, max_size=None) as ws:
        assert json.loads(await ws.recv())["type"] == "state"
        await ws.send(text)
        try:
            while True:
                reply = await asyncio.wait_for(ws.recv(), 30)
                if isinstance(reply, str) and json.loads(reply)["type"] == "error":
                    return None, "error"
        except ConnectionClosed as closed:
            return (closed.rcvd.code if closed.rcvd else None), None


def test_uvicorn_by_hand_reads_the_settings_and_caps_websocket_messages() -> None:
    """uvicorn's own message cap (16 MiB) is not the app's: the endpoint enforces
    ws_max_size itself, so a big message closes the connection with 1009 anyway."""
    env = {"PLAYGROUND_WS_MAX_SIZE": "2048", "PLAYGROUND_MAX_LAYERS": "3"}
    with by_hand(env=env) as server:
        server.wait_ready()
        options = httpx.get(f"{server.url}/api/options").json()
        assert options["limits"]["max_layers"] == 3  # PLAYGROUND_* apply to the factory
        sid = httpx.post(f"{server.url}/api/sessions", json={}).json()["id"]
        url = f"{server.ws_url}/ws/sessions/{sid}"
        small = json.dumps({"type": "speed", "speed": "x" * 1000})  # bad, but under the cap
        big = json.dumps({"type": "speed", "speed": "x" * 3000})
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            assert pool.submit(asyncio.run, _send_and_close_code(url, small)).result(60) == (
                None,
                "error",
            )
            assert pool.submit(asyncio.run, _send_and_close_code(url, big)).result(60) == (
                1009,
                None,
            )


def test_the_readmes_uvicorn_command_turns_per_message_deflate_off() -> None:
    """uvicorn negotiates permessage-deflate unless told not to (the app cannot refuse
    it): the command the README gives says so, and a browser's offer is declined."""
    with by_hand("--ws-per-message-deflate", "false", env={}) as server:
        server.wait_ready()
        sid = httpx.post(f"{server.url}/api/sessions", json={}).json()["id"]

        async def extensions() -> str | None:
            async with connect(f"{server.ws_url}/ws/sessions/{sid}", compression="deflate") as ws:
                assert ws.response is not None
                return ws.response.headers.get("Sec-WebSocket-Extensions")

        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            assert pool.submit(asyncio.run, extensions()).result(60) is None


def test_uvicorn_by_hand_refuses_an_out_of_range_setting() -> None:
    with by_hand(env={"PLAYGROUND_MAX_FPS": "0"}) as server:
        assert server.process.wait(timeout=60) != 0
        assert "max_fps must be between 0.1 and 240, not 0.0" in server.output()


def test_an_in_process_client_gets_the_message_cap_too() -> None:
    """Starlette's TestClient has no cap of its own: the endpoint's is what applies."""
    with TestClient(create_app(Settings(ws_max_size=1024))) as c:
        sid = c.post("/api/sessions", json={}).json()["id"]
        with c.websocket_connect(f"/ws/sessions/{sid}") as ws:
            assert ws.receive_json()["type"] == "state"
            ws.send_text(json.dumps({"type": "speed", "speed": "é" * 600}))  # 1,200+ bytes
            while (message := ws.receive())["type"] != "websocket.close":
                pass  # frames and the state it already sent, then the close
            assert message["code"] == 1009 and "ws_max_size (1024 bytes)" in message["reason"]


@pytest.mark.parametrize(
    ("name", "raw", "message"),
    [
        ("device", "gpu", "device must be auto, cpu or cuda, not 'gpu'"),
        ("dtype", "float16", "dtype must be float64 or float32, not 'float16'"),
        ("log_level", "loud", "log_level must be debug, info, warning or error, not 'loud'"),
        ("batching", "maybe", "PLAYGROUND_BATCHING must be true or false, not 'maybe'"),
        ("max_fps", "fast", "PLAYGROUND_MAX_FPS must be a number, not 'fast'"),
    ],
)
def test_a_setting_that_is_not_a_choice_is_refused_naming_it(
    name: str, raw: str, message: str
) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        Settings.from_env({f"PLAYGROUND_{name.upper()}": raw})
