"""Applications built in memory: eventsourcing's POPO store and an in-memory key vault, so a
use case's rules are tested without a broker or a database (tests/unit/<service>/)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any, TypeVar

from shared.kernel.clock import PlatformClock
from shared.kernel.config import Settings
from shared.kernel.store import ServiceApplication, memory_environment
from shared.kernel.subject_keys import SubjectKeys

A = TypeVar("A", bound=ServiceApplication)


def in_memory(application: type[A], service: str, *, clock: PlatformClock | None = None,
              var_dir: Path | None = None, **collaborators: Any) -> A:
    """``application`` for ``service`` on a store and a vault of its own, with ``collaborators``
    (fakes of what lies outside the service) passed as its constructor's keywords. ``var_dir``:
    where an application that writes files (books, backups, exports) writes them."""
    settings = Settings(service=service, event_store="memory", **({"var_dir": var_dir} if var_dir else {}))
    return application(settings, keys=SubjectKeys.in_memory(),
                       clock=clock or PlatformClock(), env=memory_environment(), **collaborators)


def counted_reads(app: ServiceApplication, monkeypatch: Any) -> Counter[Any]:
    """From now on, how many times each aggregate id is read through ``app``'s repository (issue
    #16's read-count tests)."""
    reads: Counter[Any] = Counter()
    read = app.repository.get

    def counting(aggregate_id: Any, **kwargs: Any) -> Any:
        reads[aggregate_id] += 1
        return read(aggregate_id, **kwargs)

    monkeypatch.setattr(app.repository, "get", counting)
    return reads


def counted_inserts(app: ServiceApplication, monkeypatch: Any) -> list[int]:
    """From now on, the events each save through ``app``'s recorder carries, one entry a save (a
    transaction on PostgreSQL): issue #16's tests of what is saved together."""
    saves: list[int] = []
    insert = app.recorder.insert_events

    def counting(stored_events: Any, **kwargs: Any) -> Any:
        saves.append(len(stored_events))
        return insert(stored_events, **kwargs)

    monkeypatch.setattr(app.recorder, "insert_events", counting)
    return saves
