"""Tenancy's aggregates without a store (PR-3, TE-1, TE-2, AR-1): the rules, by the times
passed in."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from services.tenancy.domain import Business
from services.tenancy.seats import OrganizationSeats
from shared.kernel.errors import DomainError
from shared.kernel.subject_keys import Personal

T0 = datetime(2026, 3, 21, 6, 30, tzinfo=UTC)
ADMIN = uuid.uuid4()


def business(products: tuple[str, ...] = ("accounting",)) -> Business:
    tenant = uuid.uuid4()
    return Business.activate(tenant_id=tenant, name=Personal(f"business:{tenant}", "آفتاب"), business_type="trading",
                             products=products, admin_user_id=ADMIN, admin_mobile=None, activated_by="payment",
                             source_id=uuid.uuid4(), starts_at=T0, ends_at=T0 + timedelta(days=365))


def code_of(action: object) -> str:
    with pytest.raises(DomainError) as caught:
        action()  # type: ignore[operator]
    return caught.value.code


def test_the_admin_holds_every_permission_of_the_products_and_more_come_with_an_add_on() -> None:
    shop = business()
    assert "payroll.read" not in shop.members[str(ADMIN)]["permissions"]
    shop.add_products(uuid.uuid4(), ("payroll",))
    assert "payroll.read" in shop.members[str(ADMIN)]["permissions"]


def test_lapse_only_after_the_end_and_only_once() -> None:
    shop = business()
    assert not shop.lapse_if_due(T0 + timedelta(days=364))
    assert shop.lapse_if_due(T0 + timedelta(days=400))
    assert not shop.lapse_if_due(T0 + timedelta(days=401))
    assert shop.lapsed_at == T0 + timedelta(days=365)  # when it ended, not when it was noticed


def test_a_renewal_that_does_not_extend_changes_nothing_but_is_remembered() -> None:
    shop, payment = business(), uuid.uuid4()
    shop.renew(payment, ("accounting",), T0 + timedelta(days=10), T0)
    assert shop.ends_at == T0 + timedelta(days=365) and shop.seen(payment)


def test_limits_only_rise_within_the_contract() -> None:
    shop = business()
    assert code_of(lambda: shop.raise_limits(organizations=3, concurrent_users=None, members=None,
                                             source="support", order_id=None, agent=ADMIN)) == "limits_not_raised"
    assert code_of(lambda: shop.raise_limits(organizations=0, concurrent_users=None, members=None,
                                             source="support", order_id=None, agent=ADMIN)) == "invalid_limits"


def test_a_lease_frees_its_seat_when_it_runs_out() -> None:
    seats = OrganizationSeats(uuid.uuid4(), uuid.uuid4())
    first = uuid.uuid4()
    seats.take(first, ADMIN, T0, limit=1)
    assert code_of(lambda: seats.take(uuid.uuid4(), ADMIN, T0 + timedelta(seconds=119), limit=1)) == \
        "concurrent_user_limit"
    seats.take(uuid.uuid4(), ADMIN, T0 + timedelta(seconds=120), limit=1)
    assert str(first) not in seats.leases  # dropped with the take that needed its seat


def test_every_error_tenancy_raises_has_a_persian_and_english_message() -> None:
    import re
    from pathlib import Path

    from shared.http.errors import ERRORS

    root = Path(__file__).resolve().parents[2]
    source = "".join(p.read_text() for p in (root / "services" / "tenancy").glob("*.py"))
    raised = set(re.findall(r'DomainError\("([a-z_]+)"', source))
    assert {"seat_limit_reached", "organization_limit_reached", "concurrent_user_limit"} <= raised
    for code in raised:
        status, fa, en = ERRORS[code]
        assert 400 <= status < 600 and fa and en and fa != en, code
