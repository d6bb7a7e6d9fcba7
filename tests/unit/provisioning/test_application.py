"""Provisioning's use cases in memory (PR-1 … PR-7, X-2): the POPO store, the books as SQLite
in memory with the real seeding, a backup vault in memory. Orders arrive as inbound events
through the policies, as the inbox delivers them."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from services.provisioning import policies
from services.provisioning.application import ProvisioningApplication
from services.provisioning.catalogue import chart_for
from services.provisioning.domain import FULL_PLAN
from shared.events import provisioning as contracts
from shared.events.ops import ClockAdvancedV1
from shared.events.tenancy import OrganizationAddedV1
from shared.kernel.errors import DomainError
from shared.kernel.store import AlreadyHandled, Cause
from tests.support.memory import counted_reads
from tests.support.provisioning import Hook, MemoryBooks, provisioning_app, published, steps_recorded
from tests.support.provisioning_orders import END, inbound, licence, payment, purged, restored

ACCOUNTING = ("accounting", "treasury", "inventory", "sales")


@pytest.fixture
def app() -> ProvisioningApplication:
    return provisioning_app()


def books(app: ProvisioningApplication) -> MemoryBooks:
    assert isinstance(app.books, MemoryBooks)
    return app.books


@pytest.mark.parametrize("business_type", ["service", "manufacturing", "trading"])
def test_each_business_type_gets_its_own_chart(app: ProvisioningApplication, business_type: str) -> None:
    paid = payment(business_type=business_type)
    policies.handle(app, inbound(paid))
    chart = chart_for(business_type)
    codes = {code for (code,) in books(app).rows(paid.tenant_id, "SELECT code FROM accounts")}
    assert codes == {a.code for a in chart.accounts}
    [provisioned] = published(app, contracts.TenantProvisionedV1)
    assert provisioned.chart_of_accounts == business_type and provisioned.chart_account_count == len(chart.accounts)
    assert provisioned.seats == 3 and provisioned.admin_user_id == paid.payer_user_id  # PR-3
    assert provisioned.support_until == paid.period_end and provisioned.initial_training_offered  # PR-4, PR-5
    [activated] = published(app, contracts.ModulesActivatedV1)
    assert activated.modules == ACCOUNTING  # PR-1
    assert activated.payroll_formulas == () and activated.asset_categories == ()
    assert books(app).rows(paid.tenant_id, "SELECT count(*) FROM payroll_formulas") == [(0,)]


def test_a_purchase_takes_its_steps_in_order_then_is_provisioned(app: ProvisioningApplication) -> None:
    paid = payment(products=("accounting", "payroll", "fixed_assets"))
    policies.handle(app, inbound(paid))
    assert steps_recorded(app) == list(FULL_PLAN)
    assert [type(e).__name__ for e in published(app)] == ["BackupTakenV1", "ModulesActivatedV1",
                                                          "TenantProvisionedV1"]
    view = app.tenant(paid.tenant_id, paid.payer_user_id, [])
    assert view["state"] == "active" and view["pending"] == []
    assert books(app).rows(paid.tenant_id, "SELECT value FROM settings WHERE key = 'backup_schedule'") == [("daily",)]


def test_payroll_and_fixed_assets_purchases_add_their_data(app: ProvisioningApplication) -> None:
    paid = payment(business_type="manufacturing", products=("accounting", "payroll", "fixed_assets"))
    policies.handle(app, inbound(paid))
    [activated] = published(app, contracts.ModulesActivatedV1)
    assert {"payroll", "fixed_assets"} <= set(activated.modules)
    assert "income_tax" in activated.payroll_formulas and "computers" in activated.asset_categories
    rows = books(app).rows
    assert rows(paid.tenant_id, "SELECT expression FROM payroll_formulas WHERE code = 'overtime_pay'") == [
        ("overtime_hours * daily_base / daily_work_hours * overtime_factor",)]
    assert rows(paid.tenant_id, "SELECT method, useful_life_years FROM asset_categories WHERE code = 'computers'"
                ) == [("straight_line", 3)]
    assert rows(paid.tenant_id, "SELECT count(*) FROM payroll_tables") == [(3,)]  # 1403, 1404, 1405


def test_an_add_on_adds_its_module_to_the_same_books_and_a_renewal_extends(app: ProvisioningApplication) -> None:
    first = payment()
    policies.handle(app, inbound(first))
    add_on = payment(tenant_id=first.tenant_id, kind="add_on", products=("payroll",))
    policies.handle(app, inbound(add_on))
    assert books(app).rows(first.tenant_id, "SELECT count(*) FROM payroll_formulas")[0][0] > 10
    later = END.replace(year=END.year + 1)
    policies.handle(app, inbound(payment(tenant_id=first.tenant_id, kind="renewal", period_end=later)))
    assert len(published(app, contracts.TenantProvisionedV1)) == 1  # the business was provisioned once
    activations = published(app, contracts.ModulesActivatedV1)
    assert [a.modules for a in activations] == [ACCOUNTING, ("payroll",), ACCOUNTING]
    assert activations[-1].active_until == later
    view = app.tenant(first.tenant_id, first.payer_user_id, [])
    assert view["support"]["until"]["utc"] == later.isoformat()
    assert {m["module"] for m in view["modules"]} == {*ACCOUNTING, "payroll"}


def test_an_add_on_that_arrives_before_its_business_builds_the_books(app: ProvisioningApplication) -> None:
    add_on = payment(kind="add_on", products=("payroll",))
    policies.handle(app, inbound(add_on))
    [provisioned] = published(app, contracts.TenantProvisionedV1)
    assert provisioned.source_id == add_on.payment_id
    assert books(app).rows(add_on.tenant_id, "SELECT count(*) FROM members") == [(1,)]


def test_an_educational_licence_gets_the_educational_chart(app: ProvisioningApplication) -> None:
    granted = licence()
    policies.handle(app, inbound(granted))
    [provisioned] = published(app, contracts.TenantProvisionedV1)
    assert provisioned.source == "educational_licence" and provisioned.chart_of_accounts == "educational"
    assert published(app, contracts.ModulesActivatedV1)[0].modules == ("educational_accounting",)


@pytest.mark.parametrize("extra", [{"kind": "limits", "extra_organizations": 1}, {"kind": "restore"}])
def test_limits_and_restore_payments_provision_nothing(app: ProvisioningApplication, extra: dict[str, Any]) -> None:
    delivery = inbound(payment(products=(), **extra))
    policies.handle(app, delivery)
    assert published(app) == [] and app.has_handled(delivery.envelope.event_id)


def test_a_duplicated_payment_provisions_once(app: ProvisioningApplication) -> None:
    paid = payment()
    event_id = uuid.uuid4()
    policies.handle(app, inbound(paid, event_id))
    policies.handle(app, inbound(paid, event_id))  # the same delivery again
    policies.handle(app, inbound(paid))  # the same payment under another event id
    assert len(published(app, contracts.TenantProvisionedV1)) == 1
    assert len(published(app, contracts.BackupTakenV1)) == 1
    assert len(steps_recorded(app)) == len(set(steps_recorded(app)))


def test_a_redelivered_order_finishes_what_the_first_delivery_left(app: ProvisioningApplication) -> None:
    paid = payment()
    delivery = inbound(paid)
    with pytest.raises(AlreadyHandled):
        app.accept_payment(paid, delivery.cause)
        app.accept_payment(paid, delivery.cause)  # the store refuses the same event twice
    assert published(app) == []  # accepted, then the worker died before any step
    policies.handle(app, delivery)  # the unacked delivery comes again
    assert len(published(app, contracts.TenantProvisionedV1)) == 1


def test_a_worker_stopped_between_steps_is_resumed_by_the_redelivery() -> None:
    paid = payment()
    hook = Hook(fail_after="chart_seeded")
    app = provisioning_app(after_step=hook)
    delivery = inbound(paid)
    with pytest.raises(RuntimeError):
        policies.handle(app, delivery)
    assert hook.seen == ["books_created", "chart_seeded"]  # each step saved before the hook hears of it
    assert steps_recorded(app) == ["books_created", "chart_seeded"] and published(app) == []
    hook.fail_after = None
    policies.handle(app, delivery)
    assert len(published(app, contracts.TenantProvisionedV1)) == 1
    assert steps_recorded(app) == [s for s in FULL_PLAN if s not in ("payroll_seeded", "asset_categories_seeded")]
    assert hook.seen[-1] == "completed"


def test_start_up_finishes_an_order_left_half_done(app: ProvisioningApplication) -> None:
    paid = payment()
    app.accept_payment(paid, inbound(paid).cause)  # accepted, then the process died
    assert app.steps.resume_all(Cause("start-up")) == 9  # eight steps and the completion
    assert len(published(app, contracts.TenantProvisionedV1)) == 1
    assert app.steps.resume_all(Cause("start-up")) == 0


def test_the_first_backup_copies_the_seeded_books(app: ProvisioningApplication) -> None:
    paid = payment()
    policies.handle(app, inbound(paid))
    [backup] = published(app, contracts.BackupTakenV1)
    assert backup.kind == "initial" and (backup.retained_until - backup.taken_at).days == 183
    assert backup.location == f"memory://backups/{paid.tenant_id}/{backup.backup_id}.bin"
    assert app.backups.write(paid.tenant_id, backup.backup_id, b"") == (backup.size_bytes, backup.sha256)


def test_backups_are_taken_daily_while_the_books_can_change_then_rest(app: ProvisioningApplication) -> None:
    paid, cause = payment(), Cause.new_request("test-backups")
    policies.handle(app, inbound(paid))
    take = app.backing_up.take_scheduled
    assert take(cause) == 0  # the first backup is a moment old
    app.clock.set_offset(86_400 + 60)
    assert take(cause) == 1
    assert take(cause) == 0  # once a day
    # After the paid period: one more backup records the final state, then the schedule rests.
    app.clock.set_offset(int((END - datetime.now(UTC)).total_seconds()) + 86_400)
    assert take(cause) == 1
    app.clock.set_offset(app.clock.offset_seconds + 30 * 86_400)
    assert take(cause) == 0
    backups = published(app, contracts.BackupTakenV1)
    assert [b.kind for b in backups] == ["initial", "scheduled", "scheduled"]
    latest = backups[-1]
    assert latest.taken_at > END and (latest.retained_until - latest.taken_at).days == 183
    assert app.tenant(paid.tenant_id, None, ["support"])["backups"]["last"]["backup_id"] == str(latest.backup_id)
    policies.handle(app, inbound(purged(paid.tenant_id)))
    app.clock.set_offset(app.clock.offset_seconds + 2 * 86_400)
    assert take(cause) == 0  # nothing of a purged business is backed up


def test_a_business_whose_books_are_gone_is_not_backed_up(app: ProvisioningApplication) -> None:
    paid = payment()
    policies.handle(app, inbound(paid))
    books(app).drop(paid.tenant_id)  # archival purged them before we heard of it
    app.clock.set_offset(2 * 86_400)
    assert app.backing_up.take_scheduled(Cause.new_request("test-backups")) == 0


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
    assert published(app, contracts.ModulesActivatedV1)[-1].active_until == END  # the end the modules had


def test_an_order_after_a_purge_provisions_nothing(app: ProvisioningApplication) -> None:
    paid = payment()
    policies.handle(app, inbound(paid))
    policies.handle(app, inbound(purged(paid.tenant_id)))
    before = published(app)
    late = inbound(payment(tenant_id=paid.tenant_id, kind="renewal"))
    policies.handle(app, late)
    assert published(app) == before and app.has_handled(late.envelope.event_id)


def test_a_purge_is_handled_once_and_of_an_unknown_business_too(app: ProvisioningApplication) -> None:
    delivery = inbound(purged(uuid.uuid4()))
    policies.handle(app, delivery)
    assert app.has_handled(delivery.envelope.event_id) and published(app) == []
    with pytest.raises(AlreadyHandled):
        policies.handle(app, delivery)


def test_the_platform_clock_moves_with_clock_advanced(app: ProvisioningApplication) -> None:
    policies.handle(app, inbound(ClockAdvancedV1(seconds=3600)))
    assert app.clock.offset_seconds == 3600


def test_only_the_admin_or_support_reads_a_tenant(app: ProvisioningApplication) -> None:
    paid = payment()
    policies.handle(app, inbound(paid))
    view = app.tenant(paid.tenant_id, paid.payer_user_id, ["customer"])
    trading = chart_for("trading")
    assert view["chart"] == {"type": "trading", "version": trading.version, "accounts": len(trading.accounts)}
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


def test_the_view_speaks_the_readers_locale(app: ProvisioningApplication) -> None:
    paid = payment()
    policies.handle(app, inbound(paid))
    view = app.tenant(paid.tenant_id, paid.payer_user_id, [], locale="en")
    assert view["support"]["until"]["jalali"] == "1406/09/07"
    assert view["modules"][0]["active_until"]["utc"] == END.isoformat()


def test_an_orders_steps_read_the_business_once(app: ProvisioningApplication,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue #16: each round of steps goes on from the aggregate it saved, not from a new read
    (four reads an order before: one per round and one to find nothing left)."""
    paid = payment(products=("accounting", "payroll"))
    app.accept_payment(paid, inbound(paid).cause)
    reads = counted_reads(app, monkeypatch)
    assert app.steps.finish_pending(paid.tenant_id, Cause("worker")) == 10  # nine steps and the completion
    assert sum(reads.values()) == 1
    assert len(published(app, contracts.TenantProvisionedV1)) == 1


def test_a_change_saved_by_another_worker_between_two_rounds_is_kept() -> None:
    """The round after it is refused by the store (its aggregate is one version behind), reads
    again and goes on: the branch the other worker recorded is in the aggregate and the books."""
    paid = payment()
    branch = OrganizationAddedV1(organization_id=uuid.uuid4(), tenant_id=paid.tenant_id, name="شعبهٔ شیراز",
                                 kind="branch", added_by_user_id=uuid.uuid4(), organizations_count=1,
                                 max_organizations=3)
    app: ProvisioningApplication

    def another_worker(step: str) -> None:
        if step == "chart_seeded":
            policies.handle(app, inbound(branch))

    app = provisioning_app(after_step=another_worker)
    policies.handle(app, inbound(paid))
    assert steps_recorded(app) == [s for s in FULL_PLAN if s not in ("payroll_seeded", "asset_categories_seeded")]
    view = app.tenant(paid.tenant_id, paid.payer_user_id, [])
    assert len(published(app, contracts.TenantProvisionedV1)) == 1
    assert str(branch.organization_id) in str(view)
    assert books(app).rows(paid.tenant_id, "SELECT count(*) FROM details WHERE name_fa = 'شعبهٔ شیراز'") == [(1,)]
