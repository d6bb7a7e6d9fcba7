"""Archival under 50-way concurrency on SQLite and PostgreSQL (X-2): fifty lapses of fifty
businesses all reach the agenda (with its snapshots); fifty restore requests of one business make one order."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta

import eventlet
import pytest

from services.archival import businesses as businesses_module
from services.archival.application import ArchivalApplication
from services.archival.calendar import add_calendar_months
from shared.events import archival as contracts
from shared.kernel.config import Settings
from shared.kernel.store import Cause
from tests.support.archival import activated, backup_taken, deliver, lapsed, later, published, seed_books

SettingsFor = Callable[..., Settings]


@pytest.fixture
def app(settings_for: SettingsFor, monkeypatch: pytest.MonkeyPatch) -> ArchivalApplication:
    monkeypatch.setattr(businesses_module, "AGENDA_SNAPSHOT_EVERY", 3)  # snapshots taken during the test
    return ArchivalApplication(settings_for("archival"))


def test_fifty_lapses_at_once_are_all_scheduled_and_all_purged(app: ArchivalApplication) -> None:
    tenants = [uuid.uuid4() for _ in range(50)]
    start = app.clock.now()
    list(eventlet.GreenPool(50).imap(lambda t: deliver(app, lapsed(t, uuid.uuid4(), start), start), tenants))
    assert sum(len(agenda.due) for agenda in app.businesses.agendas()) == 50
    later(app, add_calendar_months(start, 3) - start + timedelta(minutes=1))
    app.clock_work.tick()
    purged = {e.tenant_id for e in published(app) if isinstance(e, contracts.TenantDataPurgedV1)}
    assert purged == set(tenants)
    assert all(agenda.due == {} for agenda in app.businesses.agendas())


def test_fifty_restore_requests_at_once_make_one_order(app: ArchivalApplication) -> None:
    tenant, admin = uuid.uuid4(), uuid.uuid4()
    seed_books(app.settings, tenant)
    start = app.clock.now()
    deliver(app, activated(tenant, admin, start), start)
    deliver(app, backup_taken(app.settings, tenant, start), start)
    deliver(app, lapsed(tenant, admin, start), start)
    later(app, add_calendar_months(start, 3) - start + timedelta(minutes=1))
    app.clock_work.tick()
    answers = list(eventlet.GreenPool(50).imap(
        lambda _: app.restores.request(tenant, str(admin), [], Cause("t"))["order_id"], range(50)))
    assert len(set(answers)) == 1
    assert len([e for e in published(app) if isinstance(e, contracts.RestoreRequestedV1)]) == 1
