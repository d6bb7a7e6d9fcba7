"""Reads that name the aggregate's class (issue #16): one the application never snapshots is read
without asking the snapshot table — a new or missing aggregate costs one read, not two — and is
the same aggregate the stock read builds; a snapshotting class, or a read without its class,
still starts from its snapshot. A class written once is served from the cache without a query."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any, ClassVar

import pytest
from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate, event

from shared.kernel.store import Cause, ServiceApplication, check_written_once
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


class Badge(Aggregate):  # written once: no event but its creation
    @event("Awarded")
    def __init__(self, holder: str) -> None:
        self.holder = holder


class Awards(ServiceApplication):
    name = "awards"
    written_once = check_written_once(Badge)


class CountedEventReads:
    """Reads of the events table (the query for newer events a cached aggregate costs)."""

    def __init__(self, app: ServiceApplication) -> None:
        self.reads = 0
        original = app.repository.event_store.get

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.reads += 1
            return original(*args, **kwargs)

        app.repository.event_store.get = counted  # type: ignore[method-assign]


def test_a_class_written_once_is_served_from_the_cache_without_asking_the_store() -> None:
    app = in_memory(Awards, "awards")
    badge, note = Badge("sara"), Note("draft")
    app.save_caused(badge, note, cause=CAUSE)
    fresh(app)  # as a replica that did not save it reads it
    reads = CountedEventReads(app)
    first = app.repository.get(badge.id, kind=Badge)  # a miss: read from the store, then cached
    again = [app.repository.get(badge.id, kind=Badge) for _ in range(3)]
    assert reads.reads == 1
    assert first.holder == "sara" and all(each is again[0] and each.holder == "sara" for each in again)
    app.repository.get(note.id, kind=Note)
    app.repository.get(note.id, kind=Note)  # a class that changes: every read asks for newer events
    assert reads.reads == 3
    with pytest.raises(AggregateNotFoundError):  # one not stored is asked for every time
        app.repository.get(uuid.uuid4(), kind=Badge)
    app.repository.get(badge.id, kind=Badge, version=1)  # a version asked for: the stock read
    assert reads.reads == 5


def test_a_class_written_once_is_cached_as_it_is_saved() -> None:
    app = in_memory(Awards, "awards")
    badge, note = Badge("sara"), Note("draft")
    app.save_caused(badge, note, cause=CAUSE)
    reads = CountedEventReads(app)
    assert app.repository.get(badge.id, kind=Badge).holder == "sara"
    assert reads.reads == 0
    app.repository.get(note.id, kind=Note)  # any other class: read from the store
    assert reads.reads == 1


def test_a_destroyed_key_empties_the_cache_of_classes_written_once_too() -> None:
    app = in_memory(Awards, "awards")
    badge = Badge("sara")
    app.save_caused(badge, cause=CAUSE)
    cached = app.repository.get(badge.id, kind=Badge)
    fresh(app)  # what a destroyed key does (AR-1): nothing read before is served again
    assert app.repository.get(badge.id, kind=Badge) is not cached


def test_a_class_with_a_second_event_cannot_be_declared_written_once() -> None:
    with pytest.raises(TypeError, match=r"Note is not written once.*Edited"):
        check_written_once(Note)


def test_the_services_declare_only_classes_written_once() -> None:
    from services.notifications.application import NotificationsApplication
    from services.notifications.domain import Contact
    from services.tenancy.application import TenancyApplication
    from services.tenancy.directory import MobileEntry, Person

    assert NotificationsApplication.written_once == (Contact,)
    assert TenancyApplication.written_once == (Person, MobileEntry)
