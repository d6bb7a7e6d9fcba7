"""Concurrent writers of one aggregate on SQLite and PostgreSQL: with the kernel's retry
loop every change lands exactly once, whichever way the store reports a conflict."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import eventlet
from eventsourcing.domain import Aggregate, event

from shared.kernel.config import Settings
from shared.kernel.conflicts import retry_on_conflict
from shared.kernel.store import Cause, ServiceApplication


class Tally(Aggregate):
    @event("Started")
    def __init__(self) -> None:
        self.marks: list[str] = []

    @event("Marked")
    def mark(self, who: str) -> None:
        self.marks.append(who)


def test_every_concurrent_change_lands_once(settings_for: Callable[..., Settings]) -> None:
    app = ServiceApplication(settings_for("conflicts", postgres_pool_size=8))
    tally = Tally()
    app.save_caused(tally, cause=Cause("start"))
    writers = [f"writer-{n}" for n in range(24)]
    tries: list[str] = []

    def write(who: str) -> None:
        def change() -> None:
            tries.append(who)
            fresh: Tally = app.repository.get(tally.id)
            fresh.mark(who)
            eventlet.sleep(0)  # let the others read the same version before this one saves
            app.save_caused(fresh, cause=Cause(str(uuid.uuid4())))

        retry_on_conflict(change, tries=60)

    pool = eventlet.GreenPool(len(writers))
    list(pool.imap(write, writers))
    final: Tally = app.repository.get(tally.id)
    assert sorted(final.marks) == sorted(writers)
    assert final.version == 1 + len(writers)
    assert len(tries) > len(writers)  # the writers did collide: the store refused some saves
