"""The Provisioning aggregate without I/O: plans by order kind, steps recorded once, an order
completes only when every step is done, a duplicate order adds nothing."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from services.provisioning.domain import (
    FULL_PLAN,
    SUPPORT_CHANNELS,
    Backup,
    Chart,
    Provisioning,
    initial_backup_id,
    modules_for,
    plan_for,
    provisioning_id,
    scheduled_backup_id,
)
from shared.kernel.subject_keys import Personal
from tests.support.provisioning import backup_facts

START = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)
END = datetime(2027, 11, 28, tzinfo=UTC)


def provisioning() -> Provisioning:
    tenant = uuid.uuid4()
    return Provisioning(tenant_id=tenant, business_name=Personal(f"business:{tenant}", "شرکت نمونه"),
                        business_type="trading", admin_user_id=uuid.uuid4())


def test_plans_follow_the_order_kind() -> None:
    assert plan_for("new", ("accounting",), first=True) == tuple(
        s for s in FULL_PLAN if s not in ("payroll_seeded", "asset_categories_seeded"))
    assert plan_for("new", ("accounting", "payroll", "fixed_assets"), first=True) == FULL_PLAN
    assert plan_for("renewal", ("accounting",), first=False) == ("modules_activated", "support_entitled")
    assert plan_for("add_on", ("fixed_assets",), first=False) == ("modules_activated", "asset_categories_seeded")
    assert plan_for("add_on", ("payroll",), first=True)[0] == "books_created"  # arrived before its "new"
    assert plan_for("restore", ("accounting",), first=True) == ("modules_activated",)
    assert modules_for(("accounting", "payroll")) == ("accounting", "treasury", "inventory", "sales", "payroll")


def test_an_order_completes_once_after_its_steps_and_a_duplicate_adds_nothing() -> None:
    p = provisioning()
    source = uuid.uuid4()
    assert p.accept("payment", source, "new", ("accounting",), END)
    assert not p.accept("payment", source, "new", ("accounting",), END)
    order = p.order(source)
    p.complete(source)
    assert not order.completed  # steps remain
    facts = {"chart_seeded": {"type": "trading", "version": "1405.1", "accounts": 188},
             "admin_seated": {"seats": 3}, "backup_scheduled": {"schedule": "daily"},
             "first_backup_taken": backup_facts(END)}
    for step in order.steps:
        p.record_step(source, step, facts.get(step, {}))
        p.record_step(source, step, facts.get(step, {}))  # redone: recorded once
    p.complete(source)
    p.complete(source)
    kinds = [type(e).__name__ for e in p.collect_events()]
    assert kinds.count("StepDone") == len(order.steps) and kinds.count("TenantProvisioned") == 1
    assert kinds.count("OrderCompleted") == 1 and order.completed and p.pending_orders() == []
    assert p.seats == 3 and p.support_until == END and p.modules["sales"] == END and p.training_offered


def test_a_renewal_extends_and_never_shortens() -> None:
    p = provisioning()
    first, renewal = uuid.uuid4(), uuid.uuid4()
    p.accept("payment", first, "new", ("accounting",), END)
    p.record_step(first, "modules_activated", {})
    p.record_step(first, "support_entitled", {})
    p.accept("payment", renewal, "renewal", ("accounting",), END.replace(year=2028))
    for step in p.order(renewal).steps:
        p.record_step(renewal, step, {})
    assert p.modules["accounting"] == p.support_until == END.replace(year=2028)
    early = uuid.uuid4()
    p.accept("payment", early, "renewal", ("accounting",), END.replace(year=2026))
    for step in p.order(early).steps:
        p.record_step(early, step, {})
    assert p.support_until == END.replace(year=2028)


def test_a_step_outside_the_plan_is_not_recorded() -> None:
    p = provisioning()
    source = uuid.uuid4()
    p.accept("payment", source, "renewal", ("accounting",), END)
    p.record_step(source, "payroll_seeded", {})
    assert "payroll_seeded" not in p.order(source).done
    with pytest.raises(KeyError):
        p.record_step(uuid.uuid4(), "modules_activated", {})


def first_order_done(p: Provisioning, products: tuple[str, ...] = ("accounting",), until: datetime = END,
                     taken_at: datetime = START) -> uuid.UUID:
    source = uuid.uuid4()
    p.accept("payment", source, "new", products, until)
    facts = {"chart_seeded": {"type": "trading", "version": "1405.1", "accounts": 188},
             "admin_seated": {"seats": 3}, "backup_scheduled": {"schedule": "daily"},
             "payroll_seeded": {"formulas": ["base_pay", "income_tax"]},
             "asset_categories_seeded": {"categories": ["computers"]},
             "first_backup_taken": backup_facts(taken_at)}
    for step in p.order(source).steps:
        p.record_step(source, step, facts.get(step, {}))
    p.complete(source)
    return source


def test_a_new_business_is_planned_nothing_and_shows_nothing() -> None:
    p = provisioning()
    assert p.pending_orders() == [] and p.modules == {} and p.chart is None and p.last_backup is None
    assert not p.provisioned and p.purged_at is None and p.seats == 0 and not p.backup_due(END)
    assert p.id == provisioning_id(p.tenant_id) == provisioning_id(p.tenant_id)


def test_the_steps_facts_become_typed_state() -> None:
    p = provisioning()
    first_order_done(p)
    assert p.chart == Chart(type="trading", version="1405.1", accounts=188)
    assert p.chart.facts() == {"type": "trading", "version": "1405.1", "accounts": 188}
    backup = p.last_backup
    assert isinstance(backup, Backup) and backup.kind == "initial" and backup.taken_at == START
    assert backup.retained_until - backup.taken_at == timedelta(days=183)
    assert p.backup_schedule == "daily" and p.provisioned


def test_the_tenant_provisioned_event_says_what_was_provisioned() -> None:
    p = provisioning()
    source = first_order_done(p, products=("accounting", "payroll", "fixed_assets"))
    events = {type(e).__name__: e for e in p.collect_events()}
    provisioned, completed = events["TenantProvisioned"], events["OrderCompleted"]
    assert provisioned.chart == {"type": "trading", "version": "1405.1", "accounts": 188}
    assert provisioned.source_id == completed.source_id == source and provisioned.seats == 3
    assert provisioned.support_until == END and provisioned.support_channels == SUPPORT_CHANNELS
    assert completed.payroll_formulas == ("base_pay", "income_tax") and completed.asset_categories == ("computers",)
    assert completed.modules == modules_for(("accounting", "payroll", "fixed_assets"))


def test_only_the_first_order_announces_the_business() -> None:
    p = provisioning()
    first_order_done(p)
    p.collect_events()
    add_on = uuid.uuid4()
    assert p.accept("payment", add_on, "add_on", ("payroll",), END)
    for step in p.order(add_on).steps:
        p.record_step(add_on, step, {"formulas": ["base_pay"]} if step == "payroll_seeded" else {})
    p.complete(add_on)
    kinds = [type(e).__name__ for e in p.collect_events()]
    assert kinds == ["OrderAccepted", "StepDone", "StepDone", "OrderCompleted"]
    assert p.modules["payroll"] == END


def test_a_restore_first_then_a_payment_still_builds_the_books() -> None:
    p = provisioning()
    restore, paid = uuid.uuid4(), uuid.uuid4()
    p.accept("restore", restore, "restore", ("accounting",), END)
    assert p.order(restore).steps == ("modules_activated",)
    p.accept("payment", paid, "add_on", ("accounting",), END)
    assert p.order(paid).steps[0] == "books_created"  # a restore builds no books of its own
    assert [o.source_id for o in p.pending_orders()] == [restore, paid]


def test_a_module_bought_twice_stays_open_until_the_later_end() -> None:
    p = provisioning()
    later, earlier = uuid.uuid4(), uuid.uuid4()
    p.accept("payment", later, "add_on", ("payroll",), END)
    p.record_step(later, "modules_activated", {})
    p.accept("payment", earlier, "add_on", ("payroll",), START)
    p.record_step(earlier, "modules_activated", {})
    assert p.modules == {"payroll": END}


def test_backups_are_due_a_day_after_the_last_while_modules_run() -> None:
    p = provisioning()
    first_order_done(p, until=START + timedelta(days=10))
    assert not p.backup_due(START + timedelta(hours=23))
    assert p.backup_due(START + timedelta(days=1))
    p.backup_taken(tenant_id=p.tenant_id, facts=backup_facts(START + timedelta(days=1), kind="scheduled"))
    assert not p.backup_due(START + timedelta(days=1, hours=12)) and p.last_backup.kind == "scheduled"
    # After the period ends, one more backup records the final state; then the schedule rests.
    p.backup_taken(tenant_id=p.tenant_id, facts=backup_facts(START + timedelta(days=11), kind="scheduled"))
    assert not p.backup_due(START + timedelta(days=40))


def test_a_purged_business_is_not_backed_up_and_a_purge_is_recorded_once() -> None:
    p = provisioning()
    first_order_done(p)
    p.collect_events()
    p.purge(END)
    p.purge(END + timedelta(days=1))
    assert [type(e).__name__ for e in p.collect_events()] == ["Purged"]
    assert p.purged_at == END and not p.backup_due(START + timedelta(days=2))


def test_a_restore_reopens_a_purged_business() -> None:
    p = provisioning()
    first_order_done(p)
    p.purge(END)
    p.reopen(END + timedelta(days=100), uuid.uuid4())
    assert p.purged_at is None and p.backup_due(START + timedelta(days=2))


def test_backup_ids_are_derived() -> None:
    tenant, source = uuid.uuid4(), uuid.uuid4()
    assert initial_backup_id(tenant, source) == initial_backup_id(tenant, source) != initial_backup_id(
        tenant, uuid.uuid4())
    assert scheduled_backup_id(tenant, START) == scheduled_backup_id(tenant, START + timedelta(hours=5))
    assert scheduled_backup_id(tenant, START) != scheduled_backup_id(tenant, START + timedelta(days=1))


def test_unknown_products_open_no_modules() -> None:
    assert modules_for(("unknown",)) == ()
    assert plan_for("add_on", ("unknown",), first=False) == ("modules_activated",)
