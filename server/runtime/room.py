"""One classroom room as the worker thread holds it: its members, what the teacher set,
the challenge and its finishers, and what each party sees of it (the teacher's wall, a
student's page, the public board). Plain data: runtime/rooms.py acts on it."""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from typing import Any

from server.protocol.frames import View
from server.protocol.rooms import Challenge
from server.runtime.outbox import Outbox

PAUSED = "the teacher paused the class: training goes on when they resume it"
PODIUM = 3


def topic(code: str) -> str:
    """Where a room's events are published (runtime/events.py)."""
    return f"room/{code}"


def snapshots_owner(code: str, teacher: str) -> str:
    """Who a room's snapshots are saved as: an experiments owner no key gives."""
    return hashlib.sha256(f"room:{code}:{teacher}".encode()).hexdigest()


def locked(name: str) -> str:
    return f"the teacher locked {name.replace('_', ' ')} for the class"


@dataclass
class Member:
    session: str
    number: int  # "Student 7" when anonymised; a wall tile's id
    nickname: str
    joined: float

    def listed(self) -> dict[str, Any]:
        return {"session": self.session, "number": self.number, "nickname": self.nickname,
                "joined": self.joined}  # fmt: skip


@dataclass
class Room:
    code: str
    teacher: str  # the teacher key's SHA-256
    created: float
    expires: float
    setup: dict[str, Any]  # the config new students start from (the last one pushed)
    locks: list[str] = field(default_factory=list)
    anonymise: bool = False
    paused: bool = False
    eyes: bool = False
    timer_ends: float | None = None  # Unix time
    spotlight: str | None = None  # a member's session
    seed_per_student: bool = False
    teacher_session: str | None = None  # what Push pushes by default
    challenge: dict[str, Any] | None = None  # Challenge's fields and "started" (Unix time)
    finishes: dict[str, dict[str, Any]] = field(default_factory=dict)  # by session
    podium: list[dict[str, Any]] = field(default_factory=list)  # of the last challenge ended
    next_number: int = 1
    resume: list[str] = field(default_factory=list)  # who was training when all paused
    members: dict[str, Member] = field(default_factory=dict)  # by session id
    walls: dict[Outbox, View] = field(default_factory=dict)  # not stored: live connections

    SETTINGS = ("locks", "anonymise", "paused", "eyes", "timer_ends", "spotlight",
                "seed_per_student", "teacher_session", "challenge", "finishes", "podium",
                "next_number", "resume")  # fmt: skip

    # -- storage --------------------------------------------------------------------------
    def settings(self) -> dict[str, Any]:
        """What is stored as the room's settings JSON (members have their own rows)."""
        stored = {name: getattr(self, name) for name in self.SETTINGS}
        stored["numbers"] = {m.session: m.number for m in self.members.values()}
        return stored

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Room:
        """A stored room (storage/rooms.find) with its roster; unknown keys are ignored."""
        settings = row["settings"]
        room = cls(row["code"], row["teacher"], row["created"], row["expires"], row["setup"])
        for name in cls.SETTINGS:
            if name in settings:
                setattr(room, name, settings[name])
        numbers = settings.get("numbers", {})
        for m in row["members"]:
            number = numbers.get(m["session"]) or room.take_number()
            room.members[m["session"]] = Member(m["session"], number, m["nickname"], m["joined"])
        room.next_number = max([room.next_number, *(n + 1 for n in numbers.values())])
        return room

    def take_number(self) -> int:
        number = self.next_number
        self.next_number += 1
        return number

    # -- views ----------------------------------------------------------------------------
    def name(self, member: Member) -> str:
        return f"Student {member.number}" if self.anonymise else member.nickname

    def the_challenge(self) -> Challenge | None:
        if self.challenge is None:
            return None
        return Challenge.model_validate({k: v for k, v in self.challenge.items() if k != "started"})

    def lock_reasons(self) -> dict[str, str]:
        """What a member's session refuses (sessions/locks.py) and why."""
        reasons = {name: locked(name) for name in self.locks}
        if self.paused:
            reasons.update(play=PAUSED, step=PAUSED)
        return reasons

    def ranks(self) -> list[dict[str, Any]]:
        """Who reached the goal, first first (fewest parameters breaks a tie)."""
        out = []
        for session, finish in self.finishes.items():
            member = self.members.get(session)
            if member is not None:
                out.append({**finish, "number": member.number, "name": self.name(member)})
        out.sort(key=lambda f: (f["seconds"], f["params"], f["number"]))
        for i, entry in enumerate(out, 1):
            entry["rank"] = i
        return out

    def board(self) -> dict[str, Any]:
        ranks = self.ranks()
        smallest = sorted(ranks, key=lambda f: (f["params"], f["seconds"], f["number"]))
        return {"challenge": self.challenge, "ranks": ranks, "smallest": smallest[:10],
                "podium": self.podium}  # fmt: skip

    def end_challenge(self) -> None:
        self.podium = self.ranks()[:PODIUM]
        self.challenge, self.finishes = None, {}

    def public(self) -> dict[str, Any]:
        """The room as the teacher's wall has it (less each member's progress)."""
        return {
            "code": self.code,
            "created": self.created,
            "expires": self.expires,
            "setup": self.setup,
            "locks": self.locks,
            "anonymise": self.anonymise,
            "paused": self.paused,
            "eyes": self.eyes,
            "timer_ends": self.timer_ends,
            "spotlight": self.spotlight,
            "seed_per_student": self.seed_per_student,
            "teacher_session": self.teacher_session,
            "challenge": self.challenge,
            "members": [m.listed() for m in sorted(self.members.values(), key=lambda m: m.number)],
        }

    def rank_of(self) -> dict[int, int]:
        """Each finisher's rank, by member number (sort once for many members)."""
        return {r["number"]: r["rank"] for r in self.ranks()}

    def member_view(self, member: Member, ranks: dict[int, int] | None = None) -> dict[str, Any]:
        """What a student's page is told (the session's ``room`` field); ``ranks``:
        rank_of(), when the caller tells many members."""
        finish = self.finishes.get(member.session)
        rank = None
        if finish is not None:
            rank = (self.rank_of() if ranks is None else ranks).get(member.number)
        return {
            "code": self.code,
            "nickname": member.nickname,
            "number": member.number,
            "locks": self.locks,
            "paused": self.paused,
            "eyes": self.eyes,
            "timer_ends": self.timer_ends,
            "spotlight": self.spotlight == member.session,
            "challenge": self.challenge,
            "progress": None if finish is None else {**finish, "rank": rank},
        }

    def expired(self, now: float | None = None) -> bool:
        return (time.time() if now is None else now) >= self.expires
