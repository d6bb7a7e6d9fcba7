"""Archival's timeline through its use cases, in memory (AR-1 … AR-3): what tenancy and
provisioning tell, the clock's reminders and purge, the status page, and the paid restore.
Its books, backups and exports are files under the test's own directory."""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path

import pytest

from services.archival.application import ArchivalApplication
from services.archival.backups import BackupUnreadable
from services.archival.calendar import add_calendar_months
from shared.events import archival as contracts
from shared.events import provisioning, tenancy
from shared.kernel.config import Settings
from shared.kernel.errors import DomainError
from shared.kernel.store import AlreadyHandled
from tests.support.archival import (
    NAME,
    REQUEST,
    activated,
    backup_taken,
    books_rows,
    deliver,
    files_of,
    lapsed,
    memory_archival,
    of_type,
    reactivated,
    restore_paid,
    seed_books,
    to,
)


def purged_with_backup(app: ArchivalApplication, files: Settings, retained: timedelta = timedelta(days=183)
                       ) -> tuple[uuid.UUID, uuid.UUID, provisioning.BackupTakenV1]:
    tenant, admin = uuid.uuid4(), uuid.uuid4()
    seed_books(files, tenant)
    start = app.clock.now()
    deliver(app, activated(tenant, admin, start), start)
    taken = backup_taken(files, tenant, start, retained=retained)
    deliver(app, taken, start)
    deliver(app, lapsed(tenant, admin, start), start)
    to(app, add_calendar_months(start, 3))
    app.clock_work.tick()
    return tenant, admin, taken


def test_a_lapse_is_announced_with_its_deletion_date_and_shown_on_the_status_page(app: ArchivalApplication,
                                                                                    files: Settings) -> None:
    tenant, admin = uuid.uuid4(), uuid.uuid4()
    seed_books(files, tenant)
    lapse_at = app.clock.now()
    deliver(app, lapsed(tenant, admin, lapse_at), lapse_at)
    (scheduled,) = of_type(app, contracts.ArchivalScheduledV1)
    due = add_calendar_months(lapse_at, 3)
    assert scheduled.deletion_due_at == due and scheduled.business_name == NAME
    status = app.tenant_status(tenant, str(admin), [])
    assert status["state"] == "scheduled" and status["reports_downloadable"] is True
    assert status["deletion_due_at"]["utc"] == due.isoformat() and status["deletion_due_at"]["jalali"][0] == "۱"
    assert set(status["deletion_due_at"]) == {"utc", "jalali", "jalali_latin"}
    assert status["lapsed_at"]["utc"] == lapse_at.isoformat() and status["purged_at"] is None


def test_the_reminders_go_30_7_and_1_days_before_each_once(app: ArchivalApplication) -> None:
    tenant, admin = uuid.uuid4(), uuid.uuid4()
    start = app.clock.now()
    deliver(app, lapsed(tenant, admin, start), start)
    due = add_calendar_months(start, 3)
    for days in (30, 7, 1):
        to(app, due - timedelta(days=days))
        app.clock_work.tick()
        app.clock_work.tick()  # a second tick sends nothing more
        assert [r.days_before for r in of_type(app, contracts.DeletionReminderV1)][-1] == days
    assert [r.days_before for r in of_type(app, contracts.DeletionReminderV1)] == [30, 7, 1]
    assert app.tenant_status(tenant, str(admin), [])["reminders_sent"] == [30, 7, 1]


def test_the_purge_drops_the_books_of_the_business_and_its_organizations(app: ArchivalApplication,
                                                                           files: Settings) -> None:
    tenant, admin, branch = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    seed_books(files, tenant)
    seed_books(files, branch)
    before = books_rows(files, tenant)
    start = app.clock.now()
    deliver(app, activated(tenant, admin, start), start)
    deliver(app, tenancy.OrganizationAddedV1(organization_id=branch, tenant_id=tenant, name="شعبهٔ تبریز",
                                             kind="branch", added_by_user_id=admin, organizations_count=2,
                                             max_organizations=3), start)
    deliver(app, lapsed(tenant, admin, start), start)
    to(app, add_calendar_months(start, 3))
    app.clock_work.tick()
    (purged,) = of_type(app, contracts.TenantDataPurgedV1)
    datasets = {d.kind: d.records for d in purged.datasets}
    assert datasets["ledgers"] == sum(len(r) for r in before.values()) and datasets["organizations"] == 1
    assert purged.backups_retained_until is None
    assert not app.books.exists(tenant) and not app.books.exists(branch)
    assert app.businesses.get(tenant).name.forgotten
    assert app.tenant_status(tenant, str(admin), [])["state"] == "purged"


def test_a_paid_restore_brings_the_books_back_once(app: ArchivalApplication, files: Settings) -> None:
    tenant, admin = uuid.uuid4(), uuid.uuid4()
    seed_books(files, tenant)
    before = books_rows(files, tenant)
    start = app.clock.now()
    deliver(app, activated(tenant, admin, start), start)
    deliver(app, backup_taken(files, tenant, start), start)
    deliver(app, lapsed(tenant, admin, start), start)
    to(app, add_calendar_months(start, 3))
    app.clock_work.tick()
    assert app.tenant_status(tenant, str(admin), [])["restorable"] is True
    asked = app.restores.request(tenant, str(admin), [], REQUEST)
    assert asked["status"] == "awaiting_payment" and asked["price_rials"] == 50_000_000
    assert app.restores.request(tenant, str(admin), [], REQUEST)["order_id"] == asked["order_id"]  # double click
    (requested,) = of_type(app, contracts.RestoreRequestedV1)
    assert str(requested.order_id) == asked["order_id"] and requested.business_name == NAME
    payment = restore_paid(tenant, requested.order_id, admin, app.clock.now())
    event_id = uuid.uuid4()
    deliver(app, payment, app.clock.now(), event_id)
    with pytest.raises(AlreadyHandled):
        deliver(app, payment, app.clock.now(), event_id)
    (completed,) = of_type(app, contracts.RestoreCompletedV1)
    assert completed.business_name == NAME and completed.fee_rials == 50_000_000
    assert books_rows(files, tenant) == before
    assert app.tenant_status(tenant, str(admin), [])["state"] == "restored"


def test_the_quoted_restore_price_is_the_one_the_application_was_given(tmp_path: Path) -> None:
    app = memory_archival(tmp_path, restore_price_rials=70_000_000)
    tenant, admin, _ = purged_with_backup(app, files_of(tmp_path))
    assert app.restores.request(tenant, str(admin), [], REQUEST)["price_rials"] == 70_000_000


def test_a_payment_for_another_order_restores_nothing(app: ArchivalApplication, files: Settings) -> None:
    tenant, admin, _ = purged_with_backup(app, files)
    app.restores.request(tenant, str(admin), [], REQUEST)
    deliver(app, restore_paid(tenant, uuid.uuid4(), admin, app.clock.now()), app.clock.now())
    assert of_type(app, contracts.RestoreCompletedV1) == [] and not app.books.exists(tenant)
    assert app.tenant_status(tenant, str(admin), [])["restore_pending"] is True


def test_after_retention_the_backup_is_unreadable_and_no_restore_is_offered(app: ArchivalApplication,
                                                                            files: Settings) -> None:
    tenant, admin = uuid.uuid4(), uuid.uuid4()
    seed_books(files, tenant)
    start = app.clock.now()
    deliver(app, activated(tenant, admin, start), start)
    taken = backup_taken(files, tenant, start, retained=timedelta(days=120))
    deliver(app, taken, start)
    deliver(app, lapsed(tenant, admin, start), start)
    with pytest.raises(DomainError) as early:
        app.restores.request(tenant, str(admin), [], REQUEST)
    assert early.value.code == "not_deleted"
    to(app, add_calendar_months(start, 3))
    app.clock_work.tick()
    assert app.backup_files.read(tenant, taken.backup_id, taken.sha256)  # still readable: retained
    to(app, taken.retained_until)
    app.clock_work.tick()
    with pytest.raises(BackupUnreadable):
        app.backup_files.read(tenant, taken.backup_id, taken.sha256)
    with pytest.raises(DomainError) as late:
        app.restores.request(tenant, str(admin), ["support"], REQUEST)
    assert late.value.code == "no_backup_retained"
    assert app.tenant_status(tenant, str(admin), [])["backups_retained_until"] is None


def test_a_restore_paid_after_the_backup_expired_is_recorded_as_failed(app: ArchivalApplication,
                                                                       files: Settings) -> None:
    tenant, admin, taken = purged_with_backup(app, files, retained=timedelta(days=100))
    asked = app.restores.request(tenant, str(admin), [], REQUEST)
    assert app.tenant_status(tenant, str(admin), [])["restore_pending"] is True
    to(app, taken.retained_until)
    app.clock_work.tick()
    deliver(app, restore_paid(tenant, uuid.UUID(asked["order_id"]), admin, app.clock.now()), app.clock.now())
    status = app.tenant_status(tenant, str(admin), [])
    assert status["state"] == "purged" and status["restore_failure"] and not status["restore_pending"]
    assert not app.books.exists(tenant) and of_type(app, contracts.RestoreCompletedV1) == []


def test_a_reactivation_one_day_before_deletion_keeps_everything(app: ArchivalApplication, files: Settings) -> None:
    tenant, admin = uuid.uuid4(), uuid.uuid4()
    seed_books(files, tenant)
    before = books_rows(files, tenant)
    start = app.clock.now()
    deliver(app, lapsed(tenant, admin, start), start)
    due = add_calendar_months(start, 3)
    to(app, due - timedelta(days=1))
    app.clock_work.tick()
    deliver(app, reactivated(tenant, admin, start, app.clock.now()), app.clock.now())
    (cancelled,) = of_type(app, contracts.ArchivalCancelledV1)
    assert cancelled.deletion_was_due_at == due and cancelled.reason == "reactivated"
    to(app, due + timedelta(days=40))
    app.clock_work.tick()
    assert of_type(app, contracts.TenantDataPurgedV1) == []
    assert books_rows(files, tenant) == before
    assert app.tenant_status(tenant, str(admin), [])["state"] == "active"
    assert not app.businesses.get(tenant).name.forgotten


def test_a_late_lapse_after_its_reactivation_schedules_nothing(app: ArchivalApplication) -> None:
    tenant, admin = uuid.uuid4(), uuid.uuid4()
    start = app.clock.now()
    deliver(app, reactivated(tenant, admin, start, start + timedelta(days=3)), start + timedelta(days=3))
    deliver(app, lapsed(tenant, admin, start), start)  # delivered out of order
    assert of_type(app, contracts.ArchivalScheduledV1) == []
    assert app.tenant_status(tenant, str(admin), [])["state"] == "active"


def test_news_of_a_purged_business_changes_nothing(app: ArchivalApplication, files: Settings) -> None:
    tenant, admin, _ = purged_with_backup(app, files)
    now = app.clock.now()  # one reading: two in a row can be equal, and a lapse must end after it starts
    deliver(app, activated(tenant, admin, now), now)
    deliver(app, reactivated(tenant, admin, now - timedelta(days=1), now), now)
    assert app.tenant_status(tenant, str(admin), [])["state"] == "purged"


@pytest.mark.parametrize(("roles", "code"), [([], "forbidden"), (["support"], None)])
def test_only_the_business_and_support_see_its_status(app: ArchivalApplication, roles: list[str],
                                                      code: str | None) -> None:
    tenant, admin = uuid.uuid4(), uuid.uuid4()
    deliver(app, lapsed(tenant, admin, app.clock.now()), app.clock.now())
    if code is None:
        assert app.tenant_status(tenant, str(uuid.uuid4()), roles)["state"] == "scheduled"
    else:
        with pytest.raises(DomainError) as refused:
            app.tenant_status(tenant, str(uuid.uuid4()), roles)
        assert refused.value.code == code


@pytest.mark.parametrize(("tenant", "roles", "code"), [
    (uuid.uuid4(), [], "forbidden"),  # an unknown business is not told apart from another's
    (uuid.uuid4(), ["support"], "not_found"),
    ("not-an-id", [], "not_found"),
])
def test_an_unknown_business_s_status(app: ArchivalApplication, tenant: object, roles: list[str], code: str) -> None:
    with pytest.raises(DomainError) as refused:
        app.tenant_status(tenant, str(uuid.uuid4()), roles)
    assert refused.value.code == code
