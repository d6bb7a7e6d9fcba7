"""Reads that name the aggregate's class (issue #16): one the application never snapshots is read
without asking the snapshot table — a new or missing aggregate costs one read, not two — and is
the same aggregate the stock read builds; a snapshotting class, or a read without its class,
still starts from its snapshot."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any, ClassVar

import pytest
from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate, event

from shared.kernel.store import Cause, ServiceApplication
from tests.support.memory import in_memory

CAUSE = Cause("test")


class Ledger(Aggregate):  # snapshotted every 3 events
    @event("Opened")
    def __init__(self, name: str) -> None:
        self.name, self.entries = name, 0

    @event("Posted")
    def post(self) -> None:
        self.entries += 1


class Note(Aggregate):  # never snapshotted
    @event("Written")
    def __init__(self, text: str) -> None:
        self.text, self.edits = text, 0

    @event("Edited")
    def edit(self, text: str) -> None:
        self.text, self.edits = text, self.edits + 1


class Books(ServiceApplication):
    name = "books"
    snapshotting_intervals: ClassVar[dict[type[Any], int]] = {Ledger: 3}


class CountedReads:
    def __init__(self, app: Books) -> None:
        store = app.repository.snapshot_store
        assert store is not None
        self.snapshot_reads = 0
        original = store.get

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.snapshot_reads += 1
            return original(*args, **kwargs)

        store.get = counted  # type: ignore[method-assign]


@pytest.fixture
def app() -> Iterator[Books]:
    yield in_memory(Books, "books")


def fresh(app: Books) -> None:
    """As another process would read: nothing cached."""
    app._drop_cached_aggregates("anyone")  # what a destroyed key does: the cache starts empty


def test_a_class_never_snapshotted_is_read_without_the_snapshot_table(app: Books) -> None:
    reads = CountedReads(app)
    note = Note("first")
    for n in range(5):
        note.edit(f"edit {n}")
    app.save_caused(note, cause=CAUSE)
    fresh(app)
    found = app.repository.get(note.id, kind=Note)
    assert (found.text, found.edits, found.version) == ("edit 4", 5, 6)
    with pytest.raises(AggregateNotFoundError):
        app.repository.get(uuid.uuid4(), kind=Note)  # a look-up of one that does not exist
    assert reads.snapshot_reads == 0
    fresh(app)
    assert app.repository.get(note.id).edits == 5  # without its class: the stock read, snapshot first
    assert reads.snapshot_reads == 1


def test_a_snapshotting_class_still_starts_from_its_snapshot(app: Books) -> None:
    ledger = Ledger("cash")
    app.save_caused(ledger, cause=CAUSE)
    for _ in range(7):
        ledger.post()
        app.save_caused(ledger, cause=CAUSE)
    assert app.snapshots is not None and list(app.snapshots.get(ledger.id))
    reads = CountedReads(app)
    fresh(app)
    found = app.repository.get(ledger.id, kind=Ledger)
    assert (found.entries, found.version) == (7, 8)
    assert reads.snapshot_reads == 1


def test_the_hint_ends_with_its_read(app: Books) -> None:
    """The next read on the same worker, without a class, is the stock one again (even after a miss)."""
    reads = CountedReads(app)
    with pytest.raises(AggregateNotFoundError):
        app.repository.get(uuid.uuid4(), kind=Note)
    with pytest.raises(AggregateNotFoundError):
        app.repository.get(uuid.uuid4())
    assert reads.snapshot_reads == 1
