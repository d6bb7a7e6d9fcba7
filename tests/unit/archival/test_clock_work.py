"""The clock's work and the one way a business changes, in memory (AR-1, X-2): each purge step's
effect comes before its record, a step cut short is redone alone, one business's trouble does
not stop the others, and a change that loses a race runs again."""

from __future__ import annotations

import threading
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from services.archival.agenda import Agenda, agenda_id, shard_of
from services.archival.application import ArchivalApplication
from services.archival.businesses import Unit
from services.archival.calendar import add_calendar_months
from services.archival.domain import Business
from shared.events import archival as contracts
from shared.events import tenancy
from shared.kernel.store import AlreadyHandled, Cause
from tests.support.archival import (
    NAME,
    REQUEST,
    activated,
    backup_taken,
    deliver,
    files_of,
    lapsed,
    memory_archival,
    of_type,
    seed_books,
    to,
)
from tests.support.memory import counted_reads


class Crash(Exception):
    """Stands in for the SIGKILL of the fault tests."""


def recorded_steps(app: ArchivalApplication, tenant: uuid.UUID) -> list[str]:
    return [e.step for e in app.repository.event_store.get(tenant)
            if isinstance(e, Business.PurgeStepDone)]  # type: ignore[attr-defined]


def lapsed_long_ago(app: ArchivalApplication, tmp_path: Path) -> uuid.UUID:
    tenant = uuid.uuid4()
    seed_books(files_of(tmp_path), tenant)
    (tmp_path / "exports" / str(tenant)).mkdir(parents=True)
    (tmp_path / "exports" / str(tenant) / "old.xlsx").write_bytes(b"an earlier export")
    deliver(app, lapsed(tenant, uuid.uuid4(), app.clock.now()), app.clock.now())
    to(app, add_calendar_months(app.clock.now(), 3))
    return tenant


def test_each_step_s_effect_is_done_before_its_record(tmp_path: Path) -> None:
    seen: list[tuple[str, bool, list[str]]] = []
    app = memory_archival(tmp_path, after_purge_step=lambda step: seen.append(
        (step, app.books.exists(tenant), recorded_steps(app, tenant))))
    tenant = lapsed_long_ago(app, tmp_path)
    app.clock_work.tick()
    assert seen == [("books_dropped", False, []),
                    ("exports_deleted", False, ["books_dropped"]),
                    ("personal_data_shredded", False, ["books_dropped", "exports_deleted"])]


@pytest.mark.parametrize("step", ["books_dropped", "exports_deleted", "personal_data_shredded"])
def test_a_purge_cut_short_after_a_step_s_effect_redoes_only_that_step(tmp_path: Path, step: str) -> None:
    crashing = True

    def after_purge_step(done: str) -> None:
        if crashing and done == step:
            raise Crash(done)

    app = memory_archival(tmp_path, after_purge_step=after_purge_step)
    tenant = lapsed_long_ago(app, tmp_path)
    app.clock_work.tick()  # the crash is logged; the tick goes on
    assert step not in recorded_steps(app, tenant) and of_type(app, contracts.TenantDataPurgedV1) == []
    crashing = False
    app.clock_work.tick()  # "after the restart"
    assert recorded_steps(app, tenant) == ["books_dropped", "exports_deleted", "personal_data_shredded"]
    assert len(of_type(app, contracts.TenantDataPurgedV1)) == 1
    assert not (tmp_path / "exports" / str(tenant)).exists() and app.businesses.get(tenant).name.forgotten


def test_one_business_s_trouble_does_not_stop_the_others(tmp_path: Path) -> None:
    doomed: set[uuid.UUID] = set()

    def after_purge_step(step: str) -> None:
        if step == "books_dropped" and doomed:
            raise Crash(step)

    app = memory_archival(tmp_path, after_purge_step=after_purge_step)
    first = lapsed_long_ago(app, tmp_path)
    doomed.add(first)
    app.clock_work.tick()
    assert of_type(app, contracts.TenantDataPurgedV1) == []
    doomed.clear()
    second = uuid.uuid4()
    deliver(app, lapsed(second, uuid.uuid4(), app.clock.now() - timedelta(days=200)), app.clock.now())
    app.clock_work.tick()
    assert {e.tenant_id for e in of_type(app, contracts.TenantDataPurgedV1)} == {first, second}


def test_without_a_hook_the_purge_runs_through(tmp_path: Path) -> None:
    app = memory_archival(tmp_path)
    tenant = lapsed_long_ago(app, tmp_path)
    app.clock_work.tick()
    assert app.tenant_status(tenant, "s", ["support"])["state"] == "purged"


def test_a_change_that_lost_a_race_runs_again_on_what_the_winner_saved(tmp_path: Path) -> None:
    app = memory_archival(tmp_path)
    tenant = uuid.uuid4()
    deliver(app, lapsed(tenant, uuid.uuid4(), app.clock.now()), app.clock.now())
    seen: list[int] = []

    def mutate(unit: Unit) -> int:
        if not seen:  # another process saves first, after this one read the business
            rival = app.businesses.get(tenant)
            assert rival is not None
            rival.organization_added(uuid.uuid4())
            app.save_caused(rival, cause=REQUEST)
        seen.append(len(unit.business.organizations))
        unit.business.organization_added(uuid.uuid4())
        return len(seen)

    assert app.businesses.change(tenant, mutate, REQUEST) == 2
    assert seen == [0, 1] and len(app.businesses.get(tenant).organizations) == 2


def test_a_change_for_an_event_already_handled_is_refused_not_retried(tmp_path: Path) -> None:
    app = memory_archival(tmp_path)
    tenant, event_id = uuid.uuid4(), uuid.uuid4()
    deliver(app, lapsed(tenant, uuid.uuid4(), app.clock.now()), app.clock.now(), event_id)
    tries: list[int] = []

    def mutate(unit: Unit) -> None:
        tries.append(1)
        unit.business.organization_added(uuid.uuid4())

    with pytest.raises(AlreadyHandled):
        app.businesses.change(tenant, mutate, Cause("test", inbox_event_id=event_id))
    assert tries == [1]


def test_a_lapsed_business_counts_as_due_for_deletion_from_its_deadline_until_purged(tmp_path: Path) -> None:
    app = memory_archival(tmp_path)
    tenant = uuid.uuid4()
    deliver(app, lapsed(tenant, uuid.uuid4(), app.clock.now()), app.clock.now())
    to(app, add_calendar_months(app.clock.now(), 3) - timedelta(days=1))
    assert app.clock_work.due_for_deletion() == 0  # still in its grace
    to(app, add_calendar_months(app.clock.now(), 1))
    assert app.clock_work.due_for_deletion() == 1
    app.clock_work.tick()
    assert app.clock_work.due_for_deletion() == 0


def test_a_change_that_keeps_the_deadline_does_not_read_the_agenda(tmp_path: Path, monkeypatch: Any) -> None:
    """Issue #16: a business activated and its admin seated leave the deadline where it was (none);
    a backup moves it: only then is the agenda read, and its deadline is the business's."""
    app = memory_archival(tmp_path)
    tenant, admin, now = uuid.uuid4(), uuid.uuid4(), app.clock.now()
    reads = counted_reads(app, monkeypatch)
    shard = agenda_id(shard_of(tenant))
    deliver(app, activated(tenant, admin, now), now)
    deliver(app, tenancy.MemberAddedV1(tenant_id=tenant, business_name=NAME, user_id=admin, role="admin",
                                       permissions=["reports.view"], added_by_user_id=None), now)
    assert reads[shard] == 0
    seed_books(files_of(tmp_path), tenant)
    backup = backup_taken(files_of(tmp_path), tenant, now)
    deliver(app, backup, now)
    assert reads[shard] == 1
    assert app.businesses.agenda(tenant).due[str(tenant)] == backup.retained_until
    deliver(app, tenancy.MemberRemovedV1(tenant_id=tenant, business_name=NAME, user_id=admin,
                                         removed_by_user_id=admin), now)
    assert reads[shard] == 2  # the look above; the member removed left the deadline alone
    to(app, backup.retained_until)  # the clock's work reads it, and the expired backup moves it
    app.clock_work.tick()
    assert str(tenant) not in app.businesses.agenda(tenant).due


def test_the_clock_sets_a_deadline_the_agenda_holds_wrongly(tmp_path: Path) -> None:
    """Should the rule for deadlines change between versions, the clock does not find the business
    due again and again: its change sets the agenda to what the business says now."""
    app = memory_archival(tmp_path)
    tenant = uuid.uuid4()
    deliver(app, activated(tenant, uuid.uuid4(), app.clock.now()), app.clock.now())
    agenda = app.businesses.agenda(tenant)
    agenda.set_due(tenant, app.clock.now())  # a deadline an older rule had set
    app.save_caused(agenda, cause=REQUEST)
    app.clock_work.tick()
    assert str(tenant) not in app.businesses.agenda(tenant).due


def test_the_agenda_still_starts_from_its_snapshot(tmp_path: Path) -> None:
    """Archival snapshots the agenda by hand: a read naming its class must not skip the snapshot."""
    app = memory_archival(tmp_path)
    assert Agenda in app.repository.snapshotting and Business not in app.repository.snapshotting


def test_changes_of_one_agenda_shard_wait_for_each_other_instead_of_conflicting(tmp_path: Path) -> None:
    """Two businesses on one shard of the agenda, changed at once by two workers: the second reads the
    agenda after the first saved it, so neither save is thrown away (in a group commit a conflict
    would send the whole batch alone)."""
    app = memory_archival(tmp_path)
    first = uuid.uuid4()
    second = next(t for t in iter(uuid.uuid4, None) if shard_of(t) == shard_of(first))
    attempts: list[uuid.UUID] = []

    def backup_on(tenant: uuid.UUID) -> None:
        def mutate(unit: Unit) -> None:
            attempts.append(tenant)
            unit.agenda  # noqa: B018 - read it, then take time before the save as a busy worker does
            time.sleep(0.05)
            unit.business.record_backup(uuid.uuid4(), app.clock.now(), app.clock.now() + timedelta(days=30), "0" * 64)

        app.businesses.change(tenant, mutate, REQUEST)

    workers = [threading.Thread(target=backup_on, args=(t,)) for t in (first, second)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert sorted(attempts) == sorted([first, second])  # one attempt each: no conflict, no retry
    assert set(app.businesses.agenda(first).due) == {str(first), str(second)}
