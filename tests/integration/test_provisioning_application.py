"""Provisioning on SQLite and PostgreSQL (PR-1 … PR-7, X-2): each business type's chart,
payroll and fixed-assets data, renewals and add-ons, duplicates and concurrency, a step
crash resumed, backups readable only while their key lives."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import eventlet
import pytest

from services.provisioning import policies
from services.provisioning.application import ProvisioningApplication
from services.provisioning.catalogue import chart_for
from services.provisioning.domain import Provisioning
from services.provisioning.translations import translate
from shared.events import provisioning as contracts
from shared.kernel.config import Settings
from shared.kernel.errors import DomainError
from shared.kernel.store import Cause
from shared.tenant_books import BackupUnreadable
from tests.support.provisioning_orders import END, inbound, licence, payment, purged, restored

SettingsFor = Callable[..., Settings]


@pytest.fixture
def app(settings_for: SettingsFor) -> Iterator[ProvisioningApplication]:
    application = ProvisioningApplication(settings_for("provisioning"))
    yield application
    application.close()  # its database connections go back before the test's database is dropped


def published(app: ProvisioningApplication, kind: type[contracts.IntegrationEvent] | None = None) -> list[Any]:
    """What the relay would publish, in order."""
    events = [translate(n) for n in _domain_events(app)]
    return [e for e in events if e is not None and (kind is None or isinstance(e, kind))]


def _domain_events(app: ProvisioningApplication) -> list[Any]:
    notifications = app.recorder.select_notifications(None, 10_000)
    return [app.mapper.to_domain_event(n) for n in notifications]


def rows(app: ProvisioningApplication, tenant_id: uuid.UUID, sql: str) -> list[tuple[Any, ...]]:
    with app.books.open(tenant_id) as books:
        return list(books.execute(sql).fetchall())


@pytest.mark.parametrize("business_type", ["service", "manufacturing", "trading"])
def test_each_business_type_gets_its_own_chart(app: ProvisioningApplication, business_type: str) -> None:
    paid = payment(business_type=business_type)
    policies.handle(app, inbound(paid))
    chart = chart_for(business_type)
    codes = {code for (code,) in rows(app, paid.tenant_id, "SELECT code FROM accounts")}
    assert codes == {a.code for a in chart.accounts}
    [provisioned] = published(app, contracts.TenantProvisionedV1)
    assert provisioned.chart_of_accounts == business_type and provisioned.chart_account_count == len(chart.accounts)
    assert provisioned.seats == 3 and provisioned.admin_user_id == paid.payer_user_id  # PR-3
    assert provisioned.support_until == paid.period_end and provisioned.initial_training_offered  # PR-4, PR-5
    [activated] = published(app, contracts.ModulesActivatedV1)
    assert activated.modules == ("accounting", "treasury", "inventory", "sales")  # PR-1
    assert activated.payroll_formulas == () and activated.asset_categories == ()
    assert rows(app, paid.tenant_id, "SELECT count(*) FROM payroll_formulas") == [(0,)]


def test_payroll_and_fixed_assets_purchases_add_their_data(app: ProvisioningApplication) -> None:
    paid = payment(business_type="manufacturing", products=("accounting", "payroll", "fixed_assets"))
    policies.handle(app, inbound(paid))
    [activated] = published(app, contracts.ModulesActivatedV1)
    assert {"payroll", "fixed_assets"} <= set(activated.modules)
    assert "income_tax" in activated.payroll_formulas and "computers" in activated.asset_categories
    assert rows(app, paid.tenant_id, "SELECT expression FROM payroll_formulas WHERE code = 'overtime_pay'") == [
        ("overtime_hours * daily_wage * month_days / monthly_work_hours * overtime_factor",)]
    assert rows(app, paid.tenant_id, "SELECT method, useful_life_years FROM asset_categories WHERE code = 'computers'"
                ) == [("straight_line", 3)]
    assert rows(app, paid.tenant_id, "SELECT count(*) FROM payroll_tables") == [(2,)]


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


def test_an_educational_licence_gets_the_educational_chart(app: ProvisioningApplication) -> None:
    granted = licence()
    policies.handle(app, inbound(granted))
    [provisioned] = published(app, contracts.TenantProvisionedV1)
    assert provisioned.source == "educational_licence" and provisioned.chart_of_accounts == "educational"
    assert published(app, contracts.ModulesActivatedV1)[0].modules == ("educational_accounting",)


def test_limits_and_restore_payments_provision_nothing(app: ProvisioningApplication) -> None:
    policies.handle(app, inbound(payment(kind="limits", products=(), extra_organizations=1)))
    assert published(app) == []


def test_a_duplicated_payment_provisions_once(app: ProvisioningApplication) -> None:
    paid = payment()
    event_id = uuid.uuid4()
    policies.handle(app, inbound(paid, event_id))
    policies.handle(app, inbound(paid, event_id))  # the same delivery again
    policies.handle(app, inbound(paid))  # the same payment under another event id
    assert len(published(app, contracts.TenantProvisionedV1)) == 1
    assert len(published(app, contracts.BackupTakenV1)) == 1


def test_twenty_concurrent_identical_payments_provision_once(app: ProvisioningApplication) -> None:
    paid = payment(products=("accounting", "payroll"))
    event_id = uuid.uuid4()
    pool = eventlet.GreenPool(20)
    list(pool.imap(lambda _: policies.handle(app, inbound(paid, event_id)), range(20)))
    assert len(published(app, contracts.TenantProvisionedV1)) == 1
    assert len(published(app, contracts.ModulesActivatedV1)) == 1
    steps = [e.step for e in _domain_events(app) if isinstance(e, Provisioning.StepDone)]  # type: ignore[attr-defined]
    assert len(steps) == len(set(steps)) == 10 - 1  # every step once (no fixed assets bought)
    assert rows(app, paid.tenant_id, "SELECT count(*) FROM members") == [(1,)]


def test_a_crash_between_steps_resumes_where_it_stopped(settings_for: SettingsFor) -> None:
    settings = settings_for("provisioning")
    crashing = ProvisioningApplication(settings)
    paid = payment()
    original = crashing._book_step

    def crash_at_support(step: str, *args: Any) -> Any:
        if step == "support_entitled":
            raise RuntimeError("killed")
        return original(step, *args)

    crashing._book_step = crash_at_support  # type: ignore[method-assign]
    delivery = inbound(paid)
    with pytest.raises(RuntimeError):
        policies.handle(crashing, delivery)
    assert published(crashing, contracts.TenantProvisionedV1) == []
    crashing.close()
    restarted = ProvisioningApplication(settings)
    policies.handle(restarted, delivery)  # the unacked delivery comes again
    assert len(published(restarted, contracts.TenantProvisionedV1)) == 1
    steps = [e.step for e in _domain_events(restarted) if isinstance(e, Provisioning.StepDone)]  # type: ignore[attr-defined]
    assert len(steps) == len(set(steps))


def test_start_up_finishes_an_order_left_half_done(settings_for: SettingsFor) -> None:
    settings = settings_for("provisioning")
    first = ProvisioningApplication(settings)
    paid = payment()
    first.accept_payment(paid, inbound(paid).cause)  # accepted, then the process died
    first.close()
    second = ProvisioningApplication(settings)
    assert second.resume_all(Cause("start-up")) == 9  # eight steps and the completion
    assert len(published(second, contracts.TenantProvisionedV1)) == 1
    assert second.resume_all(Cause("start-up")) == 0


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


def test_backups_are_taken_daily_while_the_books_can_change_then_rest(app: ProvisioningApplication) -> None:
    paid, cause = payment(), Cause.new_request("test-backups")
    policies.handle(app, inbound(paid))
    assert app.take_scheduled_backups(cause) == 0  # the first backup is a moment old
    app.clock.set_offset(86_400 + 60)
    assert app.take_scheduled_backups(cause) == 1
    assert app.take_scheduled_backups(cause) == 0  # once a day
    # After the paid period: one more backup records the final state, then the schedule rests.
    app.clock.set_offset(int((END - datetime.now(UTC)).total_seconds()) + 86_400)
    assert app.take_scheduled_backups(cause) == 1
    app.clock.set_offset(app.clock.offset_seconds + 30 * 86_400)
    assert app.take_scheduled_backups(cause) == 0
    backups = published(app, contracts.BackupTakenV1)
    assert [b.kind for b in backups] == ["initial", "scheduled", "scheduled"]
    latest = backups[-1]
    assert latest.taken_at > END and (latest.retained_until - latest.taken_at).days == 183
    assert app.backups.read(paid.tenant_id, latest.backup_id).startswith(b"SQLite format 3")
    assert app.tenant(paid.tenant_id, None, ["support"])["backups"]["last"]["backup_id"] == str(latest.backup_id)
    policies.handle(app, inbound(purged(paid.tenant_id)))
    app.clock.set_offset(app.clock.offset_seconds + 2 * 86_400)
    assert app.take_scheduled_backups(cause) == 0  # nothing of a purged business is backed up


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


def test_only_the_admin_or_support_reads_a_tenant(app: ProvisioningApplication) -> None:
    paid = payment()
    policies.handle(app, inbound(paid))
    view = app.tenant(paid.tenant_id, paid.payer_user_id, ["customer"])
    assert view["chart"] == {"type": "trading", "version": "1405.1", "accounts": len(chart_for("trading").accounts)}
    assert view["seats"] == 3 and view["initial_training"] == {"offered": True}
    assert view["support"]["until"]["jalali"] == "۱۴۰۶/۰۹/۰۷"
    assert view["backups"]["schedule"] == "daily" and view["backups"]["last"]["kind"] == "initial"
    assert app.tenant(paid.tenant_id, uuid.uuid4(), ["support"])["tenant_id"] == str(paid.tenant_id)
    stranger, unknown = (paid.tenant_id, uuid.uuid4(), "forbidden"), (uuid.uuid4(), paid.payer_user_id,
                                                                    "tenant_not_found")
    for tenant, user, code in (stranger, unknown, ("../etc", None, "tenant_not_found")):
        with pytest.raises(DomainError) as refused:
            app.tenant(tenant, user, ["customer"])
        assert refused.value.code == code
