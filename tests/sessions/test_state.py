"""sessions/state.py: the one table of state moves, and a session that keeps to it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import torch

from server.config import Settings
from server.errors import Conflict
from server.protocol.rest import Config, SessionState
from server.sessions.session import Session
from server.sessions.state import TRANSITIONS, State


def test_states_are_the_wire_names_in_frame_code_order() -> None:
    assert [s.value for s in State] == ["idle", "running", "paused", "diverged", "failed", "closed"]
    assert [s.code for s in State] == list(range(6))
    wire = SessionState.model_json_schema()["properties"]["state"]
    names = wire.get("enum") or wire["$ref"]  # a Literal or an enum of the same names
    if isinstance(names, list):
        assert names == [s.value for s in State]


@pytest.mark.parametrize("start", list(State))
@pytest.mark.parametrize("end", list(State))
def test_a_move_outside_the_table_is_refused(start: State, end: State) -> None:
    session = Session("s", Config(seed=1), Settings(), torch.device("cpu"))
    session._state = start  # the state under test, set directly
    allowed = end == start or end in TRANSITIONS[start]
    if allowed:
        session.transition(end, "move")
        assert session.state == end
    else:
        with pytest.raises(Conflict, match=f"cannot move: the session is {start.value}"):
            session.transition(end, "move")
        assert session.state == start


def test_a_closed_session_stays_closed() -> None:
    session = Session("s", Config(seed=1), Settings(), torch.device("cpu"))
    session.close()
    with pytest.raises(Conflict):
        session.play()
    assert session.state == State.CLOSED and session.public()["state"] == "closed"


def test_the_pages_state_names_are_the_servers_in_code_order() -> None:
    """The page turns a frame's state byte into a name with its own list (net/frame.js):
    it must be this Enum's, in code order."""
    source = (Path(__file__).resolve().parents[2] / "static/js/net/frame.js").read_text()
    found = re.search(r"export const STATES = Object\.freeze\(\[([^\]]*)\]\)", source)
    assert found is not None, "net/frame.js no longer declares STATES"
    assert re.findall(r'"(\w+)"', found.group(1)) == [s.value for s in State]
