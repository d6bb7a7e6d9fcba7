"""The Provisioning aggregate without I/O: plans by order kind, steps recorded once, an order
completes only when every step is done, a duplicate order adds nothing."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from services.provisioning.domain import FULL_PLAN, Provisioning, modules_for, plan_for
from shared.kernel.subject_keys import Personal

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
             "first_backup_taken": {"backup_id": str(uuid.uuid4())}}
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
