"""TE-2's hard caps hold on every path a limits order takes (issue #19), in memory: billing follows
the business's limits from tenancy's events (BusinessActivated, LimitsRaised; the highest seen,
whatever their order), refuses the customer's own limits order past the caps when it is placed,
changed or paid for, and does not verify a payment whose order went past them while the customer
was at the bank: the bank reverses it. What tenancy still could not grant (LimitsCapped) flags the
order for support."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from services.billing import policies
from services.billing.application import BillingApplication
from services.billing.domain import BusinessAccount, business_subject
from shared.events import tenancy
from shared.events.billing import PaymentFailedV1, PaymentSucceededV1
from shared.kernel.subject_keys import Personal
from tests.support.billing import CAUSE, FakeGateway, callback, memory_app, published
from tests.support.provisioning_orders import inbound
from tests.support.rules import refused

NOW = datetime(2026, 5, 1, tzinfo=UTC)


@pytest.fixture
def app() -> BillingApplication:
    return memory_app()


def business(app: BillingApplication, admin: uuid.UUID, max_organizations: int = 3,
             max_concurrent_users: int = 10) -> uuid.UUID:
    """A business billing sold, and tenancy's activation of it with these limits."""
    tenant = uuid.uuid4()
    app.save(BusinessAccount(tenant_id=tenant, owner_user_id=admin,
                             business_name=Personal(business_subject(tenant), "کافه نارنج"), business_type="trading"))
    policies.handle(app, app, inbound(tenancy.BusinessActivatedV1(
        tenant_id=tenant, business_name="کافه نارنج", business_type="trading", admin_user_id=admin,
        products=("accounting",), activated_by="payment", source_id=uuid.uuid4(), subscription_starts_at=NOW,
        subscription_ends_at=NOW + timedelta(days=365), max_organizations=max_organizations,
        max_concurrent_users=max_concurrent_users)))
    return tenant


def raised(app: BillingApplication, tenant: uuid.UUID, organizations: int, users: int = 10,
           before: tuple[int, int] = (3, 10)) -> None:
    """Support raised the limits at tenancy (not through billing)."""
    policies.handle(app, app, inbound(tenancy.LimitsRaisedV1(
        tenant_id=tenant, max_organizations=organizations, max_concurrent_users=users,
        previous_max_organizations=before[0], previous_max_concurrent_users=before[1], source="support",
        order_id=None, raised_by_user_id=uuid.uuid4())))


def limits_order(app: BillingApplication, admin: uuid.UUID, tenant: uuid.UUID, organizations: int = 0,
                 users: int = 0) -> dict[str, object]:
    return app.place_order(admin, {"kind": "limits", "tenant_id": str(tenant), "extra_organizations": organizations,
                                   "extra_concurrent_users": users}, None, CAUSE)


def test_the_customers_own_limits_order_is_checked_against_what_tenancy_told(app: BillingApplication) -> None:
    admin = uuid.uuid4()
    tenant = business(app, admin, max_organizations=998, max_concurrent_users=9_500)
    error = refused("limits_ceiling", lambda: limits_order(app, admin, tenant, organizations=3))
    assert error.details == {"field": "extra_organizations", "ceiling": 1000, "current": 998, "most": 2}
    order = limits_order(app, admin, tenant, organizations=2)
    refused("limits_ceiling", lambda: app.change_order(admin, order["order_id"], {"extra_organizations": 5}, CAUSE))
    error = refused("limits_ceiling", lambda: limits_order(app, admin, tenant, users=501))
    assert error.details["field"] == "extra_concurrent_users" and error.details["most"] == 500

    raised(app, tenant, 999, 9_500, before=(998, 9_500))  # support raised it another way: it no longer fits
    refused("limits_ceiling", lambda: app.start_payment(admin, order["order_id"], None, CAUSE))
    raised(app, tenant, 5)  # an older raise arriving late lowers nothing
    assert app.limits.of(tenant)["max_organizations"] == 999


def test_a_business_billing_heard_nothing_of_has_the_base_limits(app: BillingApplication) -> None:
    admin, tenant = uuid.uuid4(), uuid.uuid4()
    app.save(BusinessAccount(tenant_id=tenant, owner_user_id=admin,
                             business_name=Personal(business_subject(tenant), "کافه نارنج"), business_type="trading"))
    assert app.limits.of(tenant) == {"max_organizations": 3, "max_concurrent_users": 10}
    refused("limits_ceiling", lambda: limits_order(app, admin, tenant, organizations=998))
    assert limits_order(app, admin, tenant, organizations=997)["kind"] == "limits"
    # Support's offer also passes tenancy's page: the higher of the two counts.
    refused("limits_ceiling", lambda: app.offers.offer(
        uuid.uuid4(), uuid.uuid4(), admin, {"tenant_id": str(tenant), "extra_organizations": 3},
        {"max_organizations": 998, "max_concurrent_users": 10}, None, CAUSE))


def test_a_raise_while_the_customer_is_at_the_bank_is_not_verified_but_reversed(app: BillingApplication) -> None:
    admin = uuid.uuid4()
    tenant = business(app, admin, max_organizations=998)
    order = limits_order(app, admin, tenant, organizations=2)
    started = app.start_payment(admin, order["order_id"], None, CAUSE)
    raised(app, tenant, 999, before=(998, 10))
    settled = callback(app, started["payment_id"], started["redirect_url"], "success")
    assert settled["state"] in ("refund_scheduled", "refunded") and settled["reason"] == "limits_ceiling"
    assert settled["money_taken"]
    gateway = app.gateway
    assert isinstance(gateway, FakeGateway)
    payment = app.repository.get(uuid.UUID(started["payment_id"]))
    assert gateway.asked("verify", payment.authority) == 0  # never verified: the bank reverses it
    told = published(app, started["payment_id"])
    assert [e.reason for e in told if isinstance(e, PaymentFailedV1)] == ["limits_ceiling"]
    assert not any(isinstance(e, PaymentSucceededV1) for e in told)  # tenancy never hears of it
    assert not app.order(admin, order["order_id"])["paid"]


def test_an_order_within_the_caps_is_paid_and_its_raise_is_learned(app: BillingApplication) -> None:
    admin = uuid.uuid4()
    tenant = business(app, admin, max_organizations=990)
    order = limits_order(app, admin, tenant, organizations=10)
    started = app.start_payment(admin, order["order_id"], None, CAUSE)
    assert callback(app, started["payment_id"], started["redirect_url"], "success")["state"] == "succeeded"
    raised(app, tenant, 1000, before=(990, 10))
    refused("limits_ceiling", lambda: limits_order(app, admin, tenant, organizations=1))
    assert limits_order(app, admin, tenant, users=5)["kind"] == "limits"  # the other limit still has room


def test_what_tenancy_could_not_grant_flags_the_order_for_support(app: BillingApplication) -> None:
    admin = uuid.uuid4()
    tenant = business(app, admin, max_organizations=990)
    made = app.offers.offer(uuid.uuid4(), uuid.uuid4(), admin, {"tenant_id": str(tenant), "extra_organizations": 10},
                            {"max_organizations": 990, "max_concurrent_users": 10}, None, CAUSE)
    capped = tenancy.LimitsCappedV1(tenant_id=tenant, order_id=uuid.UUID(made["order_id"]), payment_id=uuid.uuid4(),
                                    admin_user_id=admin, short_organizations=4, short_concurrent_users=0,
                                    max_organizations=1000, max_concurrent_users=10)
    policies.handle(app, app, inbound(capped))
    policies.handle(app, app, inbound(capped))  # another copy: flagged once
    shown = app.order(admin, made["order_id"])
    assert shown["capped_short"] == {"organizations": 4, "concurrent_users": 0}
    assert app.offers.of_businesses([str(tenant)])[0]["capped_short"] == {"organizations": 4, "concurrent_users": 0}
