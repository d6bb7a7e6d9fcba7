"""The clock's work and the one way a business changes, in memory (AR-1, X-2): each purge step's
effect comes before its record, a step cut short is redone alone, one business's trouble does
not stop the others, and a change that loses a race runs again."""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path

import pytest

from services.archival.application import ArchivalApplication
from services.archival.businesses import Unit
from services.archival.calendar import add_calendar_months
from services.archival.domain import Business
from shared.events import archival as contracts
from shared.kernel.store import AlreadyHandled, Cause
from tests.support.archival import REQUEST, deliver, files_of, lapsed, memory_archival, of_type, seed_books, to


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
