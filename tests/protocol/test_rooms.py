"""Join codes and nicknames (protocol/rooms.py, sessions/nicknames.py): a code is read back
however it was typed, never holds a look-alike, is unique in its server; a nickname is
friendly, unique in its room, and a chosen one is checked."""

from __future__ import annotations

import random

import pytest
from pydantic import TypeAdapter, ValidationError

from server.protocol.rooms import CODE_ALPHABET, CODE_LENGTH, Nickname, normal_code
from server.sessions.nicknames import new_code, nickname

LOOK_ALIKES = "0OQD1ILJ2Z5S8BUV"


def test_the_alphabet_has_no_look_alikes() -> None:
    assert not set(CODE_ALPHABET) & set(LOOK_ALIKES)
    assert len(set(CODE_ALPHABET)) == len(CODE_ALPHABET) >= 20


def test_codes_are_unique_and_typed_back_in_any_case_with_spaces() -> None:
    rng = random.Random(14)
    taken: set[str] = set()
    for _ in range(2000):
        code = new_code(taken, rng)
        assert len(code) == CODE_LENGTH and set(code) <= set(CODE_ALPHABET)
        assert code not in taken
        taken.add(code)
    code = sorted(taken)[0]
    typed = f" {code[:3].lower()} - {code[3:]} "
    assert normal_code(typed) == code


@pytest.mark.parametrize("typed", ["", "ACEFG", "ACEFGHK", "ACE0GH", "ACE FG!", "ÀCEFGH"])
def test_what_cannot_be_a_code_is_none(typed: str) -> None:
    assert normal_code(typed) is None


def test_nicknames_are_friendly_and_unique_in_a_room() -> None:
    rng = random.Random(7)
    taken: set[str] = set()
    for _ in range(700):  # more than the plain pairs (24 x 24 = 576)
        name = nickname(taken, rng)
        assert name not in taken
        TypeAdapter(Nickname).validate_python(name)
        taken.add(name)


@pytest.mark.parametrize("name", ["Ada", "Zoë", "李雷", "Mary-Jane", "O'Brien", "team 7"])
def test_a_chosen_nickname_may_be_any_script(name: str) -> None:
    assert TypeAdapter(Nickname).validate_python(name) == name


@pytest.mark.parametrize("name", ["", " ", " Ada", "Ada ", "a" * 25, "x\x00y", "<b>", "\u202eAda"])
def test_a_nickname_no_one_can_read_is_refused(name: str) -> None:
    with pytest.raises(ValidationError):
        TypeAdapter(Nickname).validate_python(name)
