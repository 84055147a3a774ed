"""The experiments table: an owner's named copies, their share tokens and their limits."""

from __future__ import annotations

import hashlib
import itertools
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import select

from server.errors import NotFound, TooLarge, TooMany
from server.protocol.config import Config
from server.storage import experiments
from server.storage.database import Database
from server.storage.experiments import Limits, Pictures
from server.storage.rows import Stored
from server.storage.schema import experiments as table

KEY = "a-browsers-own-key-0123456789"
OWNER = experiments.owner_of(KEY)
OTHER = experiments.owner_of("someone-elses-key-9876543210")
STORED = Stored(1, b'{"model":"..."}', b"\x00" * 48, None, 42)
PICTURES = Pictures(b"\x89PNG thumbnail", b"\x89PNG picture")
XOR = Config(dataset="xor").model_dump()
SUMMARY: dict[str, Any] = {"config": XOR, "train_loss": 0.25, "test_loss": 0.5}
ROOMY = Limits(per_owner=10, row_bytes=10_000, total_bytes=100_000)


@pytest.fixture(autouse=True)
def clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each create or rename a second after the last: newest first is decided, not a tie."""
    ticks = itertools.count(1_700_000_000)
    monkeypatch.setattr(experiments, "time", SimpleNamespace(time=lambda: float(next(ticks))))


def create(database: Database, name: str, owner: str = OWNER, limits: Limits = ROOMY,
           stored_bytes: int = 0) -> dict[str, Any]:  # fmt: skip
    with database.begin() as c:
        return experiments.create(
            c, owner, name, STORED, SUMMARY, PICTURES, limits, lambda: stored_bytes
        )


def names(database: Database, owner: str = OWNER) -> list[str]:
    with database.begin() as c:
        return [e["name"] for e in experiments.listed(c, owner)]


def test_create_then_list_one_rename_remove(database: Database) -> None:
    made = create(database, "spiral at 42")
    assert made["name"] == "spiral at 42" and made["epoch"] == 42 and made["share"] is None
    assert made["config"] == XOR and made["train_loss"] == 0.25
    with database.begin() as c:
        assert experiments.one(c, OWNER, made["id"]) == made
        renamed = experiments.rename(c, OWNER, made["id"], "spiral, done")
    assert renamed["name"] == "spiral, done" and renamed["updated"] > made["updated"]
    assert renamed["created"] == made["created"]
    with database.begin() as c:
        listing, stored = experiments.stored(c, experiments.by_owner(OWNER, made["id"]))
        assert (
            experiments.picture(c, experiments.by_id(made["id"]), "thumbnail") == PICTURES.thumbnail
        )
        assert experiments.picture(c, experiments.by_id(made["id"]), "picture") == PICTURES.picture
    assert stored == STORED and listing == renamed
    with database.begin() as c:
        experiments.remove(c, OWNER, made["id"])
    assert names(database) == []
    with database.begin() as c, pytest.raises(NotFound):
        experiments.one(c, OWNER, made["id"])


def test_the_list_is_newest_first_and_only_the_owners(database: Database) -> None:
    first = create(database, "first")
    create(database, "second")
    create(database, "theirs", owner=OTHER)
    create(database, "third")
    assert names(database) == ["third", "second", "first"]
    assert names(database, OTHER) == ["theirs"]
    with database.begin() as c:
        experiments.rename(c, OWNER, first["id"], "first, renamed")
    assert names(database) == ["first, renamed", "third", "second"]


def test_another_owners_experiment_is_as_unknown_as_a_missing_one(database: Database) -> None:
    theirs = create(database, "theirs", owner=OTHER)["id"]
    calls = [
        lambda c, i: experiments.one(c, OWNER, i),
        lambda c, i: experiments.rename(c, OWNER, i, "mine now"),
        lambda c, i: experiments.remove(c, OWNER, i),
        lambda c, i: experiments.share(c, OWNER, i),
        lambda c, i: experiments.unshare(c, OWNER, i),
        lambda c, i: experiments.stored(c, experiments.by_owner(OWNER, i)),
    ]
    for call in calls:
        messages = []
        for experiment_id in (theirs, "no-such-experiment"):
            with database.begin() as c, pytest.raises(NotFound) as missing:
                call(c, experiment_id)
            assert missing.value.status == 404
            messages.append(missing.value.message.replace(experiment_id, "ID"))
        assert messages[0] == messages[1]
    assert names(database, OTHER) == ["theirs"]  # untouched


def test_sharing_twice_gives_the_same_token_and_unsharing_ends_it(database: Database) -> None:
    made = create(database, "shared")["id"]
    with database.begin() as c:
        token = experiments.share(c, OWNER, made)
        assert experiments.share(c, OWNER, made) == token
        assert len(token) >= 20  # unguessable: secrets.token_urlsafe(16)
        listing, stored = experiments.stored(c, experiments.by_token(token))
        assert listing["id"] == made and listing["share"] == token and stored == STORED
    with database.begin() as c:
        experiments.unshare(c, OWNER, made)
    with database.begin() as c, pytest.raises(NotFound):
        experiments.stored(c, experiments.by_token(token))
    with database.begin() as c, pytest.raises(NotFound):
        experiments.picture(c, experiments.by_token(token), "picture")
    with database.begin() as c:
        again = experiments.share(c, OWNER, made)
    assert again != token


def test_the_per_owner_limit_is_a_429_naming_the_setting(database: Database) -> None:
    two = Limits(per_owner=2, row_bytes=10_000, total_bytes=100_000)
    create(database, "a", limits=two)
    create(database, "b", limits=two)
    with pytest.raises(TooMany) as refused:
        create(database, "c", limits=two)
    assert refused.value.status == 429
    assert "max_experiments_per_owner = 2" in refused.value.message
    assert names(database) == ["b", "a"]
    create(database, "theirs", owner=OTHER, limits=two)  # the limit is each owner's


def test_size_limits_are_a_413_naming_the_setting(database: Database) -> None:
    size = STORED.size + len(PICTURES.thumbnail) + len(PICTURES.picture)
    with pytest.raises(TooLarge) as refused:
        create(database, "big", limits=Limits(10, row_bytes=size - 1, total_bytes=100_000))
    assert refused.value.status == 413 and "max_checkpoint_bytes" in refused.value.message
    create(database, "fits", limits=Limits(10, row_bytes=size, total_bytes=100_000))
    full = Limits(10, row_bytes=10_000, total_bytes=1_000)
    with pytest.raises(TooLarge) as refused:
        create(database, "full", limits=full, stored_bytes=1_000 - size + 1)
    assert refused.value.status == 413 and "max_database_bytes (1000)" in refused.value.message
    create(database, "just fits", limits=full, stored_bytes=1_000 - size)
    assert names(database) == ["just fits", "fits"]


def test_stored_bytes_count_experiments(database: Database) -> None:
    with database.begin() as c:
        before = database.stored_bytes(c)
    create(database, "one")
    with database.begin() as c:
        after = database.stored_bytes(c)
    assert after - before == STORED.size + len(PICTURES.thumbnail) + len(PICTURES.picture)


def test_the_owner_key_is_stored_only_as_its_sha256(database: Database) -> None:
    create(database, "mine")
    with database.begin() as c:
        row = c.execute(select(table)).mappings().one()
    assert row["owner"] == hashlib.sha256(KEY.encode()).hexdigest()
    for value in row.values():
        text = value.decode(errors="replace") if isinstance(value, bytes) else str(value)
        assert KEY not in text
