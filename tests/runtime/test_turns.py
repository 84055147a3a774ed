"""runtime/turns.py: how the worker shares a tick among work at set speeds and at "max"."""

from __future__ import annotations

import pytest
import torch

from server.config import Settings
from server.protocol.rest import Config
from server.runtime.worker import Worker
from server.sessions.session import Session


def test_turns_leave_paced_work_what_it_needs_and_share_the_rest_by_sessions() -> None:
    """Water-filling in time: work at a set speed takes what its epochs cost, and the time
    it does not use goes to the work at "max", in proportion to the sessions each holds."""
    from server.runtime.turns import GUESS, MIN_TURN, PACED_MARGIN, TICK, Work

    worker = Worker(Settings(device="cpu"))
    sessions = [Session(f"s{i}", Config(seed=i), Settings(), torch.device("cpu")) for i in range(4)]
    work = [
        Work("a", sessions[:2], 10**9),  # two sessions at max
        Work("b", sessions[2:3], 10**9),  # one at max
        Work("paced", sessions[3:], 1),  # wants 1 epoch of 1 ms
    ]
    worker._cost = {w.cost_key: 0.001 for w in work}
    a, b, paced = worker._turns(work)
    assert paced == pytest.approx(0.001 * PACED_MARGIN)  # (it stops after its epoch)
    assert a == pytest.approx(2 * b) and a + b == pytest.approx(TICK - paced)
    worker._cost = {}  # not measured yet: a guess per epoch
    assert worker._turns([Work("paced", sessions[:1], 1)]) == [pytest.approx(GUESS * PACED_MARGIN)]
    work[2].wants = 10  # needs more than a fair share: gets the share, as the others
    assert worker._turns(work)[2] == pytest.approx(TICK / 4)
    tiny = worker._turns([Work(i, sessions[:1], 10**9) for i in range(100)])
    assert min(tiny) == MIN_TURN  # each gets at least a short turn (one slot at least)
