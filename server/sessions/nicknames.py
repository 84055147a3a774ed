"""Making a room's names: an unguessable join code no look-alike characters can spoil,
and a friendly random nickname for a student who gives none (no personal data asked)."""

from __future__ import annotations

import random
import secrets
from collections.abc import Container

from server.protocol.rooms import CODE_ALPHABET, CODE_LENGTH

ADJECTIVES = (
    "Amber", "Brave", "Calm", "Clever", "Curious", "Daring", "Eager", "Gentle", "Happy",
    "Jolly", "Keen", "Lively", "Lucky", "Merry", "Nimble", "Patient", "Quick", "Quiet",
    "Sunny", "Swift", "Tidy", "Witty", "Bold", "Bright",
)  # fmt: skip
ANIMALS = (
    "Otter", "Falcon", "Panda", "Koala", "Lynx", "Heron", "Badger", "Dolphin", "Gecko",
    "Ibis", "Jaguar", "Lemur", "Marmot", "Narwhal", "Owl", "Puffin", "Quokka", "Robin",
    "Seal", "Tapir", "Walrus", "Yak", "Zebra", "Fox",
)  # fmt: skip
MAX_TRIES = 1000


def new_code(taken: Container[str], rng: random.Random | None = None) -> str:
    """A join code not in ``taken`` (random from the OS unless ``rng``, for tests)."""
    choose = rng.choice if rng is not None else secrets.choice
    for _ in range(MAX_TRIES):
        code = "".join(choose(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if code not in taken:
            return code
    raise RuntimeError("no free join code found")  # 20**6 = 64 million codes


def nickname(taken: Container[str], rng: random.Random | None = None) -> str:
    """ "Curious Otter", or "Curious Otter 2" once the plain pairs of this room run out."""
    pick = rng if rng is not None else random.SystemRandom()
    for tries in range(MAX_TRIES):
        name = f"{pick.choice(ADJECTIVES)} {pick.choice(ANIMALS)}"
        if tries >= 50:  # a big room: a number makes it unique
            name = f"{name} {pick.randint(2, 999)}"
        if name not in taken:
            return name
    raise RuntimeError("no free nickname found")
