"""Archival's timeline on SQLite and PostgreSQL (AR-1 … AR-3), the clock moved forward:
scheduled three calendar months after the lapse, reminders 30/7/1 days before (each once),
the purge on the due date leaving nothing readable, a paid restore within the backup's
retention, the backup unreadable after it, and a reactivation one day before deletion."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import timedelta

import psycopg
import pytest

from services.archival.application import ArchivalApplication
from services.archival.backups import BackupFiles, BackupUnreadable
from services.archival.calendar import add_calendar_months
from shared.events import archival as contracts
from shared.events import tenancy
from shared.kernel.config import Settings
from shared.kernel.errors import DomainError
from shared.kernel.store import AlreadyHandled, Cause, postgres_dsn
from tests.support.archival import (
    ADMIN_MOBILE,
    NAME,
    activated,
    backup_taken,
    books_rows,
    deliver,
    lapsed,
    later,
    published,
    reactivated,
    restore_paid,
    seed_books,
)

SettingsFor = Callable[..., Settings]


@pytest.fixture
def app(settings_for: SettingsFor) -> ArchivalApplication:
    return ArchivalApplication(settings_for("archival"))


def of_type(app: ArchivalApplication, kind: type) -> list:
    return [e for e in published(app) if isinstance(e, kind)]


def to(app: ArchivalApplication, moment) -> None:  # move the clock to just after ``moment``
    later(app, moment - app.clock.now() + timedelta(seconds=1))


def stored_bytes(app: ArchivalApplication) -> bytes:
    """Every byte archival keeps: its store (either kind) and its files under var/."""
    settings = app.settings
    found = b""
    if settings.event_store == "postgres":
        with psycopg.connect(postgres_dsn(settings, settings.postgres_dbname)) as conn:
            tables = [t for (t,) in conn.execute("SELECT table_name FROM information_schema.columns "
                                                 "WHERE column_name = 'state' AND table_schema = 'public'")]
            assert tables, "the scan must see the event tables"
            for table in tables:
                found += b"".join(bytes(r[0]) for r in conn.execute(f'SELECT state FROM "{table}"'))
    for path in settings.var_dir.rglob("*"):
        if path.is_file() and "backups" not in path.parts and "keys" not in path.parts:
            found += path.read_bytes()
    return found


def readable(haystack: bytes, text: str) -> bool:
    return any(form in haystack for form in (text.encode(), json.dumps(text).encode()[1:-1]))


def test_the_whole_timeline_then_a_paid_restore(app: ArchivalApplication) -> None:
    tenant, admin = uuid.uuid4(), uuid.uuid4()
    seed_books(app.settings, tenant)
    before = books_rows(app.settings, tenant)
    start = app.clock.now()
    deliver(app, activated(tenant, admin, start), start)
    deliver(app, backup_taken(app.settings, tenant, start), start)
    branch = uuid.uuid4()  # TE-1: an organization with books of its own
    seed_books(app.settings, branch)
    deliver(app, tenancy.OrganizationAddedV1(organization_id=branch, tenant_id=tenant, name="شعبهٔ تبریز",
                                             kind="branch", added_by_user_id=admin, organizations_count=2,
                                             max_organizations=3), start)
    lapse_at = start + timedelta(minutes=1)
    deliver(app, lapsed(tenant, admin, lapse_at), lapse_at)
    (scheduled,) = of_type(app, contracts.ArchivalScheduledV1)
    due = add_calendar_months(lapse_at, 3)
    assert scheduled.deletion_due_at == due and scheduled.business_name == NAME
    status = app.tenant_status(tenant, str(admin), [])
    assert status["state"] == "scheduled" and status["reports_downloadable"] is True
    assert status["deletion_due_at"]["utc"] == due.isoformat() and status["deletion_due_at"]["jalali"][0] == "۱"

    for days in (30, 7, 1):
        to(app, due - timedelta(days=days))
        app.tick()
        app.tick()  # a second tick sends nothing more
        assert [r.days_before for r in of_type(app, contracts.DeletionReminderV1)][-1] == days
    assert [r.days_before for r in of_type(app, contracts.DeletionReminderV1)] == [30, 7, 1]

    to(app, due)
    app.tick()
    (purged,) = of_type(app, contracts.TenantDataPurgedV1)
    assert {d.kind: d.records for d in purged.datasets}["ledgers"] == sum(len(r) for r in before.values())
    assert purged.backups_retained_until is not None
    assert {d.kind: d.records for d in purged.datasets}["organizations"] == 1
    assert not app.books.exists(tenant) and not app.books.exists(branch)
    assert app.tenant_status(tenant, str(admin), [])["state"] == "purged"
    haystack = stored_bytes(app)
    assert tenant.hex.encode() in haystack  # the scan reads the store (a control)
    assert not readable(haystack, NAME) and not readable(haystack, ADMIN_MOBILE)
    assert app.repository.get(tenant).name.forgotten

    # AR-3: a restore is an order at billing; paid, the latest retained backup comes back.
    outsider = str(uuid.uuid4())
    with pytest.raises(DomainError) as refused:
        app.request_restore(tenant, outsider, [], Cause("t"))
    assert refused.value.code == "forbidden"
    asked = app.request_restore(tenant, str(admin), [], Cause("t"))
    assert app.request_restore(tenant, str(admin), [], Cause("t"))["order_id"] == asked["order_id"]  # double click
    (requested,) = of_type(app, contracts.RestoreRequestedV1)
    assert str(requested.order_id) == asked["order_id"] and requested.business_name == NAME
    assert requested.order_id == uuid.uuid5(uuid.UUID("6f1d0c2e-5b8a-4c47-9e3d-0a7b2c9d4e51"),
                                            f"restore-order:{requested.restore_id}")
    payment = restore_paid(tenant, requested.order_id, admin, app.clock.now())
    event_id = uuid.uuid4()
    deliver(app, payment, app.clock.now(), event_id)
    with pytest.raises(AlreadyHandled):
        deliver(app, payment, app.clock.now(), event_id)
    (completed,) = of_type(app, contracts.RestoreCompletedV1)
    assert completed.business_name == NAME and completed.fee_rials == 50_000_000
    assert books_rows(app.settings, tenant) == before
    assert app.tenant_status(tenant, str(admin), [])["state"] == "restored"


def test_after_retention_the_backup_is_unreadable_and_no_restore_is_offered(app: ArchivalApplication) -> None:
    tenant, admin = uuid.uuid4(), uuid.uuid4()
    seed_books(app.settings, tenant)
    start = app.clock.now()
    deliver(app, activated(tenant, admin, start), start)
    taken = backup_taken(app.settings, tenant, start, retained=timedelta(days=120))
    deliver(app, taken, start)
    deliver(app, lapsed(tenant, admin, start), start)
    with pytest.raises(DomainError) as early:
        app.request_restore(tenant, str(admin), [], Cause("t"))
    assert early.value.code == "not_deleted"
    to(app, add_calendar_months(start, 3))
    app.tick()
    assert BackupFiles(app.settings).read(tenant, taken.backup_id, taken.sha256)  # still readable: retained
    to(app, taken.retained_until)
    app.tick()
    with pytest.raises(BackupUnreadable):
        BackupFiles(app.settings).read(tenant, taken.backup_id, taken.sha256)
    with pytest.raises(DomainError) as late:
        app.request_restore(tenant, str(admin), ["support"], Cause("t"))
    assert late.value.code == "no_backup_retained"
    assert app.tenant_status(tenant, str(admin), [])["backups_retained_until"] is None


def test_a_reactivation_one_day_before_deletion_keeps_everything(app: ArchivalApplication) -> None:
    tenant, admin = uuid.uuid4(), uuid.uuid4()
    seed_books(app.settings, tenant)
    before = books_rows(app.settings, tenant)
    start = app.clock.now()
    deliver(app, lapsed(tenant, admin, start), start)
    due = add_calendar_months(start, 3)
    to(app, due - timedelta(days=1))
    app.tick()
    deliver(app, reactivated(tenant, admin, start, app.clock.now()), app.clock.now())
    (cancelled,) = of_type(app, contracts.ArchivalCancelledV1)
    assert cancelled.deletion_was_due_at == due and cancelled.reason == "reactivated"
    to(app, due + timedelta(days=40))
    app.tick()
    assert of_type(app, contracts.TenantDataPurgedV1) == []
    assert books_rows(app.settings, tenant) == before
    assert app.tenant_status(tenant, str(admin), [])["state"] == "active"
    assert not app.repository.get(tenant).name.forgotten


def test_a_late_lapse_after_its_reactivation_schedules_nothing(app: ArchivalApplication) -> None:
    tenant, admin = uuid.uuid4(), uuid.uuid4()
    start = app.clock.now()
    deliver(app, reactivated(tenant, admin, start, start + timedelta(days=3)), start + timedelta(days=3))
    deliver(app, lapsed(tenant, admin, start), start)  # delivered out of order
    assert of_type(app, contracts.ArchivalScheduledV1) == []
    assert app.tenant_status(tenant, str(admin), [])["state"] == "active"


def test_only_the_business_and_support_see_its_status(app: ArchivalApplication) -> None:
    tenant, admin = uuid.uuid4(), uuid.uuid4()
    deliver(app, lapsed(tenant, admin, app.clock.now()), app.clock.now())
    for user, roles, code in ((str(uuid.uuid4()), [], "forbidden"), (str(uuid.uuid4()), ["support"], None)):
        if code is None:
            assert app.tenant_status(tenant, user, roles)["state"] == "scheduled"
        else:
            with pytest.raises(DomainError) as refused:
                app.tenant_status(tenant, user, roles)
            assert refused.value.code == code


def test_a_replica_that_had_the_key_cached_reads_the_purged_name_as_erased(app: ArchivalApplication) -> None:
    tenant, admin = uuid.uuid4(), uuid.uuid4()
    start = app.clock.now()
    deliver(app, lapsed(tenant, admin, start), start)
    replica = ArchivalApplication(app.settings)
    assert replica.repository.get(tenant).name.value == NAME  # its key is now in the replica's cache
    to(app, add_calendar_months(start, 3))
    app.tick()
    assert replica._business(tenant).name.forgotten
    assert replica.keys.key_for(f"business:{tenant}", create=False) is None


def test_a_restore_paid_after_the_backup_expired_is_recorded_as_failed(app: ArchivalApplication) -> None:
    tenant, admin = uuid.uuid4(), uuid.uuid4()
    seed_books(app.settings, tenant)
    start = app.clock.now()
    deliver(app, activated(tenant, admin, start), start)
    taken = backup_taken(app.settings, tenant, start, retained=timedelta(days=100))
    deliver(app, taken, start)
    deliver(app, lapsed(tenant, admin, start), start)
    to(app, add_calendar_months(start, 3))
    app.tick()
    asked = app.request_restore(tenant, str(admin), [], Cause("t"))
    assert app.tenant_status(tenant, str(admin), [])["restore_pending"] is True
    to(app, taken.retained_until)
    app.tick()
    deliver(app, restore_paid(tenant, uuid.UUID(asked["order_id"]), admin, app.clock.now()), app.clock.now())
    status = app.tenant_status(tenant, str(admin), [])
    assert status["state"] == "purged" and status["restore_failure"] and not status["restore_pending"]
    assert not app.books.exists(tenant) and of_type(app, contracts.RestoreCompletedV1) == []
