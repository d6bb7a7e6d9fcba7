"""Archival wired to its store, on SQLite and PostgreSQL (AR-1 … AR-4): the whole timeline with
the clock moved forward — reminders, the purge leaving nothing readable in the store's own
tables or under var/, a paid restore refused once delivered twice — an export built and handed
out, and a replica that had the key cached. The rules one by one are tested in memory
(tests/unit/archival/)."""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import Callable
from datetime import timedelta

import psycopg
import pytest
from openpyxl import load_workbook

from services.archival.application import ArchivalApplication
from services.archival.calendar import add_calendar_months
from services.archival.export_files import sheet_titles
from services.archival.export_job import Export
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
    exported,
    lapsed,
    later,
    of_type,
    restore_paid,
    seed_books,
    to,
)

SettingsFor = Callable[..., Settings]


@pytest.fixture
def app(settings_for: SettingsFor) -> ArchivalApplication:
    return ArchivalApplication(settings_for("archival"))


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
        app.clock_work.tick()
        app.clock_work.tick()  # a second tick sends nothing more
        assert [r.days_before for r in of_type(app, contracts.DeletionReminderV1)][-1] == days
    assert [r.days_before for r in of_type(app, contracts.DeletionReminderV1)] == [30, 7, 1]

    to(app, due)
    app.clock_work.tick()
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
        app.restores.request(tenant, outsider, [], Cause("t"))
    assert refused.value.code == "forbidden"
    asked = app.restores.request(tenant, str(admin), [], Cause("t"))
    assert app.restores.request(tenant, str(admin), [], Cause("t"))["order_id"] == asked["order_id"]  # double click
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


def test_a_replica_that_had_the_key_cached_reads_the_purged_name_as_erased(app: ArchivalApplication) -> None:
    tenant, admin = uuid.uuid4(), uuid.uuid4()
    start = app.clock.now()
    deliver(app, lapsed(tenant, admin, start), start)
    replica = ArchivalApplication(app.settings)
    assert replica.repository.get(tenant).name.value == NAME  # its key is now in the replica's cache
    to(app, add_calendar_months(start, 3))
    app.clock_work.tick()
    assert replica.businesses.get(tenant).name.forgotten
    assert replica.keys.key_for(f"business:{tenant}", create=False) is None


def test_an_export_is_built_with_its_progress_stored_and_expires(app: ArchivalApplication) -> None:
    tenant, admin = uuid.uuid4(), uuid.uuid4()
    seed_books(app.settings, tenant)
    deliver(app, activated(tenant, admin, app.clock.now()), app.clock.now())
    books = books_rows(app.settings, tenant)
    status, content = exported(app, tenant, admin, "xlsx")
    export_id = status["export_id"]
    total = sum(len(rows) for rows in books.values())
    assert status["status"] == "ready" and status["rows_done"] == status["rows_total"] == total
    assert status["size_bytes"] == len(content)
    sheets = load_workbook(io.BytesIO(content), read_only=True).sheetnames
    assert sheets == ["راهنما", *sheet_titles(sorted(books)).values()]
    (ready,) = of_type(app, contracts.ExportReadyV1)
    assert ready.requested_by_user_id == admin and ready.size_bytes == len(content)
    progress = [e for e in app.repository.event_store.get(uuid.UUID(export_id))
                if isinstance(e, Export.Progressed)]  # type: ignore[attr-defined]
    assert 2 <= len(progress) <= 12 and progress[-1].rows_done < total
    later(app, timedelta(days=7))
    app.clock_work.tick()  # a week later the file is gone
    assert app.exports.status(export_id, str(admin), [])["status"] == "expired"
