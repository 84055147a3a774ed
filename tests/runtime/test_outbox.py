"""runtime/outbox.py: readiness per (viewer, session), released by the ack of the frame's
sequence number; one viewer can follow several sessions."""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import Any

import torch

from server.config import Settings
from server.protocol.frames import SEQ_OFFSET, View
from server.protocol.rest import Config
from server.runtime.outbox import Followers, Outbox
from server.runtime.streaming import Framer
from server.sessions.session import Session


@dataclass(eq=False)
class Box:
    frames: list[tuple[str, int]] = field(default_factory=list)  # (session, seq)
    channel: object = None

    def post(self, message: dict[str, Any]) -> None:
        pass

    def deliver(self, frames: list[tuple[Outbox, str, bytes]]) -> None:
        for outbox, session_id, frame in frames:
            assert isinstance(outbox, Box)
            outbox.frames.append((session_id, struct.unpack_from("<I", frame, SEQ_OFFSET)[0]))


def two_sessions() -> list[Session]:
    settings = Settings(device="cpu")
    return [Session(f"s{i}", Config(seed=i), settings, torch.device("cpu")) for i in range(2)]


def test_one_viewer_follows_two_sessions_and_each_ack_releases_its_own() -> None:
    sessions, followers, box = two_sessions(), Followers(), Box()
    for s in sessions:
        followers.add(box, s.id, View())
    framer = Framer(Settings(device="cpu"), torch.device("cpu"))
    framer.send(sessions, followers, now=1.0)
    assert box.frames == [("s0", 1), ("s1", 2)]  # one counter per viewer: the seq names the frame
    for s in sessions:
        s.changed(frame_only=True)
    framer.send(sessions, followers, now=2.0)
    assert len(box.frames) == 2  # both in flight: nothing more until an ack
    assert followers.ack(box, 2)  # s1's frame drawn
    framer.send(sessions, followers, now=3.0)
    assert box.frames[2:] == [("s1", 3)]  # s1 only: s0's frame is still in flight
    assert not followers.ack(box, 2)  # an old frame's ack releases nothing
    assert followers.ack(box, None)  # no seq: every newest frame drawn
    for s in sessions:
        s.changed(frame_only=True)
    framer.send(sessions, followers, now=4.0)
    assert [name for name, _ in box.frames[3:]] == ["s0", "s1"]


def test_an_unchanged_session_sends_no_second_frame_and_views_apply_to_every_follow() -> None:
    sessions, followers, box = two_sessions(), Followers(), Box()
    for s in sessions:
        followers.add(box, s.id, View())
    framer = Framer(Settings(device="cpu"), torch.device("cpu"))
    framer.send(sessions, followers, now=1.0)
    followers.ack(box, None)
    framer.send(sessions, followers, now=2.0)
    assert len(box.frames) == 2  # acked, but nothing new to show
    followers.set_view(box, View(grid=50))
    framer.send(sessions, followers, now=3.0)
    assert len(box.frames) == 4  # a new view: a new frame of each, at once
    assert followers.count() == 2
    followers.drop_session("s0")
    assert followers.of("s0") == [] and not followers.watched("s0") and followers.count() == 1
    followers.remove(box, "s1")
    assert followers.count() == 0 and not followers.ack(box, None)


def test_a_wall_of_many_follows_releases_each_by_its_seq_and_keeps_no_old_ones() -> None:
    """A teacher's wall follows every student: an ack releases exactly the frame it names,
    a repeated or stale ack releases nothing, and acks "of the newest" (seq None) leave
    no bookkeeping behind however many frames go out."""
    followers, box = Followers(), Box()
    follows = [followers.add(box, f"s{i}", View()) for i in range(50)]
    sent = [followers.sending(f) for f in follows]
    assert followers.ack(box, sent[17]) and follows[17].ready
    assert sum(f.ready for f in follows) == 1
    assert not followers.ack(box, sent[17])  # acked already
    assert not followers.ack(box, 10**6)  # no such frame
    for _ in range(100):
        for f in follows:
            if f.ready:
                followers.sending(f)
        assert followers.ack(box, None)
    assert all(f.ready for f in follows)
    assert len(followers._inflight[box]) <= len(follows)
    followers.remove(box, "s3")
    assert all(f.session_id != "s3" for f in followers._inflight[box].values())
