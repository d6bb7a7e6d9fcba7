"""Provisioning on SQLite and PostgreSQL (PR-1 … PR-7, X-2), with the real books and backup
vault: a purchase, an add-on and a renewal in the same books, purge and restore, concurrency,
a step crash resumed by another instance on the same store, backups readable only while their
key lives. The rules themselves are tested in memory: tests/unit/provisioning/."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import eventlet
import pytest

from services.provisioning import policies
from services.provisioning.application import ProvisioningApplication
from services.provisioning.catalogue import chart_for
from services.provisioning.domain import Provisioning
from shared.events import provisioning as contracts
from shared.kernel.config import Settings
from shared.kernel.store import Cause
from shared.tenant_books import BackupUnreadable
from tests.support.provisioning import domain_events, published
from tests.support.provisioning_orders import END, inbound, payment, purged, restored

SettingsFor = Callable[..., Settings]


@pytest.fixture
def app(settings_for: SettingsFor) -> Iterator[ProvisioningApplication]:
    application = ProvisioningApplication(settings_for("provisioning"))
    yield application
    application.close()  # its database connections go back before the test's database is dropped


def rows(app: ProvisioningApplication, tenant_id: uuid.UUID, sql: str) -> list[tuple[Any, ...]]:
    with app.books.open(tenant_id) as books:
        return list(books.execute(sql).fetchall())


def test_an_add_on_adds_its_module_to_the_same_books_and_a_renewal_extends(app: ProvisioningApplication) -> None:
    first = payment()
    policies.handle(app, inbound(first))
    add_on = payment(tenant_id=first.tenant_id, kind="add_on", products=("payroll",))
    policies.handle(app, inbound(add_on))
    assert rows(app, first.tenant_id, "SELECT count(*) FROM payroll_formulas")[0][0] > 10
    later = END.replace(year=END.year + 1)
    policies.handle(app, inbound(payment(tenant_id=first.tenant_id, kind="renewal", period_end=later)))
    assert len(published(app, contracts.TenantProvisionedV1)) == 1  # the business was provisioned once
    activations = published(app, contracts.ModulesActivatedV1)
    assert [a.modules for a in activations] == [("accounting", "treasury", "inventory", "sales"), ("payroll",),
                                                ("accounting", "treasury", "inventory", "sales")]
    assert activations[-1].active_until == later
    view = app.tenant(first.tenant_id, first.payer_user_id, [])
    assert view["support"]["until"]["utc"] == later.isoformat()
    assert {m["module"] for m in view["modules"]} == {"accounting", "treasury", "inventory", "sales", "payroll"}


def test_twenty_concurrent_identical_payments_provision_once(app: ProvisioningApplication) -> None:
    paid = payment(products=("accounting", "payroll"))
    event_id = uuid.uuid4()
    pool = eventlet.GreenPool(20)
    list(pool.imap(lambda _: policies.handle(app, inbound(paid, event_id)), range(20)))
    assert len(published(app, contracts.TenantProvisionedV1)) == 1
    assert len(published(app, contracts.ModulesActivatedV1)) == 1
    steps = [e.step for e in domain_events(app) if isinstance(e, Provisioning.StepDone)]  # type: ignore[attr-defined]
    assert len(steps) == len(set(steps)) == 10 - 1  # every step once (no fixed assets bought)
    assert rows(app, paid.tenant_id, "SELECT count(*) FROM members") == [(1,)]


def test_a_crash_between_steps_resumes_where_it_stopped(settings_for: SettingsFor) -> None:
    settings = settings_for("provisioning")
    crashing = ProvisioningApplication(settings)
    paid = payment()
    original = crashing.steps._book_step

    def crash_at_support(step: str, *args: Any) -> Any:
        if step == "support_entitled":
            raise RuntimeError("killed")
        return original(step, *args)

    crashing.steps._book_step = crash_at_support  # type: ignore[method-assign]
    delivery = inbound(paid)
    with pytest.raises(RuntimeError):
        policies.handle(crashing, delivery)
    assert published(crashing, contracts.TenantProvisionedV1) == []
    crashing.close()
    restarted = ProvisioningApplication(settings)
    policies.handle(restarted, delivery)  # the unacked delivery comes again
    assert len(published(restarted, contracts.TenantProvisionedV1)) == 1
    steps = [e.step for e in domain_events(restarted) if isinstance(e, Provisioning.StepDone)]  # type: ignore[attr-defined]
    assert len(steps) == len(set(steps))


def test_start_up_finishes_an_order_left_half_done(settings_for: SettingsFor) -> None:
    settings = settings_for("provisioning")
    first = ProvisioningApplication(settings)
    paid = payment()
    first.accept_payment(paid, inbound(paid).cause)  # accepted, then the process died
    first.close()
    second = ProvisioningApplication(settings)
    assert second.steps.resume_all(Cause("start-up")) == 9  # eight steps and the completion
    assert len(published(second, contracts.TenantProvisionedV1)) == 1
    assert second.steps.resume_all(Cause("start-up")) == 0


def test_the_first_backup_is_encrypted_and_dies_with_its_key(app: ProvisioningApplication) -> None:
    paid = payment()
    policies.handle(app, inbound(paid))
    [backup] = published(app, contracts.BackupTakenV1)
    assert backup.kind == "initial" and (backup.retained_until - backup.taken_at).days == 183
    path = app.backups.path(paid.tenant_id, backup.backup_id)
    assert backup.location == f"var://backups/{paid.tenant_id}/{backup.backup_id}.bin" and path.exists()
    assert b"SQLite format 3" not in path.read_bytes()
    snapshot = app.backups.read(paid.tenant_id, backup.backup_id)
    restored_db = sqlite3.connect(":memory:")
    restored_db.deserialize(snapshot)
    assert restored_db.execute("SELECT count(*) FROM accounts").fetchone()[0] == len(chart_for("trading").accounts)
    app.backups.forget(backup.backup_id)
    with pytest.raises(BackupUnreadable):
        app.backups.read(paid.tenant_id, backup.backup_id)


def test_purge_closes_and_restore_reopens(app: ProvisioningApplication) -> None:
    paid = payment()
    policies.handle(app, inbound(paid))
    policies.handle(app, inbound(purged(paid.tenant_id)))
    assert app.tenant(paid.tenant_id, None, ["support"])["state"] == "purged"
    assert app.tenant(paid.tenant_id, None, ["support"])["business_name"] == "[erased]"  # its key destroyed
    [backup] = published(app, contracts.BackupTakenV1)
    policies.handle(app, inbound(restored(paid.tenant_id, paid.payer_user_id, backup.backup_id)))
    view = app.tenant(paid.tenant_id, paid.payer_user_id, [])
    assert view["state"] == "active" and view["pending"] == []
    assert published(app, contracts.ModulesActivatedV1)[-1].source == "restore"
