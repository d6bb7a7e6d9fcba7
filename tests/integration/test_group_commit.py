"""Group commit on PostgreSQL (shared/kernel/group_commit.py): saves queued behind a commit share
the next transaction, and each still has its own outcome — stored once with the right ids, or
refused alone as a duplicate or a conflict while its neighbours are stored."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import eventlet
import pytest
from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import IntegrityError

from shared.kernel import metrics
from shared.kernel.config import Settings
from shared.kernel.group_commit import GroupCommittingRecorder
from shared.kernel.store import AlreadyHandled, Cause, ServiceApplication

pytestmark = pytest.mark.parametrize("store", ["postgres"])  # the group commit is PostgreSQL's


class Tally(Aggregate):
    @event("Opened")
    def __init__(self, name: str) -> None:
        self.name = name
        self.count = 0

    @event("Counted")
    def count_one(self) -> None:
        self.count += 1


class TallyApplication(ServiceApplication):
    name = "tallies"


def commits(kind: str) -> float:
    """The group commit's own count (store_commits_total) of transactions of that kind."""
    return metrics.REGISTRY.get_sample_value("store_commits_total",
                                             {"service": metrics.service(), "kind": kind}) or 0.0


def saving(app: TallyApplication, tally: Tally, handled: uuid.UUID | None = None) -> Callable[[], None]:
    """One save, to run later: of the tally, recording ``handled`` as an inbox event's id when given."""
    return lambda: app.save_caused(tally, cause=Cause("c", inbox_event_id=handled))


def saves_at_once(saves: list[Callable[[], Any]]) -> list[Any]:
    """Every save in its own green thread, all of them queued while a first commit holds the turn."""
    outcomes: list[Any] = [None] * len(saves)

    def run(index: int) -> None:
        try:
            outcomes[index] = saves[index]()
        except Exception as exc:
            outcomes[index] = exc

    pool = eventlet.GreenPool(len(saves))
    for index in range(len(saves)):
        pool.spawn_n(run, index)
    pool.waitall()
    return outcomes


def test_saves_queued_together_share_transactions_and_each_is_stored_once(settings_for: Callable[..., Settings]
                                                                          ) -> None:
    app = TallyApplication(settings_for("tallies"))
    assert isinstance(app.recorder, GroupCommittingRecorder)
    tallies = [Tally(name=f"t{i}") for i in range(40)]
    for tally in tallies:
        tally.count_one()
    handled = [uuid.uuid4() for _ in tallies]
    saved = [saving(app, t, h) for t, h in zip(tallies, handled, strict=True)]
    recordings: list[Any] = []
    app.on_saved.append(recordings.extend)  # as the relay is told of each save
    before = commits("alone") + commits("together")
    assert saves_at_once(saved) == [None] * 40
    assert commits("alone") + commits("together") - before < 40  # fewer transactions than saves: shared
    assert all(app.has_handled(h) for h in handled)
    for tally in tallies:
        assert app.repository.get(tally.id).count == 1
    log = app.recorder.select_notifications(start=1, limit=1000)
    assert len(log) == 80 and len({n.id for n in log}) == 80  # two events a tally, each once
    # The ids each save was given are the ones its events are stored under (the relay reads by them).
    stored = {n.id: (n.originator_id, n.originator_version) for n in log}
    assert sorted((r.domain_event.originator_id, r.domain_event.originator_version) for r in recordings) == \
        sorted(stored.values())
    assert all(stored[r.notification.id] == (r.domain_event.originator_id, r.domain_event.originator_version)
               for r in recordings)


def test_a_duplicate_and_a_conflict_in_a_batch_fail_alone_and_their_neighbours_are_stored(
        settings_for: Callable[..., Settings]) -> None:
    app = TallyApplication(settings_for("tallies"))
    seen = uuid.uuid4()
    first = Tally(name="already handled")
    app.save_caused(first, cause=Cause("c", inbox_event_id=seen))
    contested = Tally(name="contested")
    app.save_caused(contested, cause=Cause("c"))
    stale, fresh = app.repository.get(contested.id), app.repository.get(contested.id)
    stale.count_one()
    fresh.count_one()
    others = [Tally(name=f"n{i}") for i in range(10)]
    saves = [saving(app, t, uuid.uuid4()) for t in others[:5]]
    saves += [saving(app, Tally(name="again"), seen), saving(app, fresh), saving(app, stale)]
    saves += [saving(app, t) for t in others[5:]]
    split = commits("split")
    outcomes = saves_at_once(saves)
    assert commits("split") > split  # the batch with the duplicate and the conflict was split
    assert isinstance(outcomes[5], AlreadyHandled)
    assert [type(o) for o in outcomes[6:8]].count(IntegrityError) == 1 and outcomes[6:8].count(None) == 1
    assert outcomes[:5] + outcomes[8:] == [None] * 10
    assert app.repository.get(contested.id).count == 1
    for tally in others:
        assert app.repository.get(tally.id).name == tally.name
    names = {app.repository.get(uuid.UUID(str(n.originator_id))).name
             for n in app.recorder.select_notifications(start=1, limit=100)}
    assert "again" not in names  # the duplicate's effect is not stored
