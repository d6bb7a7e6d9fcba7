"""Support's priced offer of more limits (TE-2, issue #19), in memory: an order of kind "limits"
for the business's admin, priced from the catalog with VAT, marked as support's; announced as
LimitsOffered (never with amounts); paid by the admin through the normal flow (PaymentSucceeded
of kind "limits"); fixed as offered; withdrawn while unpaid; refused past tenancy's hard caps,
for a business the ticket's customer does not administer, or when it offers nothing."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from services.billing.application import BillingApplication
from services.billing.domain import BusinessAccount, business_subject
from shared.events.billing import LimitsOfferedV1, LimitsOfferWithdrawnV1, PaymentSucceededV1
from shared.kernel.subject_keys import Personal
from tests.support.billing import CAUSE, callback, memory_app, published
from tests.support.rules import refused

TODAY = {"max_organizations": 3, "max_concurrent_users": 10, "max_members": 3}


@pytest.fixture
def app() -> BillingApplication:
    return memory_app()


def business(app: BillingApplication, admin: uuid.UUID) -> uuid.UUID:
    tenant = uuid.uuid4()
    app.save(BusinessAccount(tenant_id=tenant, owner_user_id=admin,
                             business_name=Personal(business_subject(tenant), "کافه نارنج"), business_type="trading"))
    return tenant


def offer(app: BillingApplication, admin: uuid.UUID, body: dict[str, Any], *, agent: uuid.UUID | None = None,
          ticket: uuid.UUID | None = None, today: dict[str, Any] = TODAY, key: str | None = None) -> dict[str, Any]:
    return app.offers.offer(agent or uuid.uuid4(), ticket or uuid.uuid4(), admin, body, today, key, CAUSE)


def test_an_offer_is_a_priced_limits_order_for_the_admin_announced_without_amounts(app: BillingApplication) -> None:
    admin, agent, ticket = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    tenant = business(app, admin)
    made = offer(app, admin, {"tenant_id": str(tenant), "extra_organizations": "۲", "extra_concurrent_users": 5},
                 agent=agent, ticket=ticket)
    assert made["kind"] == "limits" and made["offer_state"] == "open" and made["offered_by_user_id"] == str(agent)
    invoice = made["invoice"]
    assert [(line["item"], line["quantity"]) for line in invoice["lines"]] == [
        ("extra_organizations", 2), ("extra_concurrent_users", 5)]
    assert invoice["subtotal_rials"] == 2 * 10_000_000 + 5 * 3_000_000 and invoice["vat_rials"] == 3_500_000
    assert invoice["total_rials"] == 38_500_000

    # The admin sees it as support's offer (not which agent made it) and nobody else sees it at all.
    seen = app.order(admin, made["order_id"])
    assert seen["offer"] == {"ticket_id": str(ticket)} and "offered_by_user_id" not in seen
    assert seen["business_name"] == "کافه نارنج" and not seen["withdrawn"]
    refused("not_found", lambda: app.order(uuid.uuid4(), made["order_id"]))

    told = [e for e in published(app, made["order_id"]) if isinstance(e, LimitsOfferedV1)]
    assert len(told) == 1 and told[0].customer_user_id == admin and told[0].ticket_id == ticket
    assert (told[0].extra_organizations, told[0].extra_concurrent_users) == (2, 5)
    assert "amount" not in "".join(LimitsOfferedV1.model_fields)  # the SMS can only tell what waits

    # Paid through the normal flow: tenancy hears a PaymentSucceeded of kind "limits" for the admin.
    started = app.start_payment(admin, made["order_id"], None, CAUSE)
    assert started["amount_rials"] == 38_500_000
    assert callback(app, started["payment_id"], started["redirect_url"], "success")["state"] == "succeeded"
    [paid] = [e for e in published(app, started["payment_id"]) if isinstance(e, PaymentSucceededV1)]
    assert paid.kind == "limits" and paid.payer_user_id == admin and paid.tenant_id == tenant
    assert (paid.extra_organizations, paid.extra_concurrent_users) == (2, 5)
    assert app.offers.of_businesses([str(tenant)])[0]["offer_state"] == "paid"
    refused("order_already_paid", lambda: app.offers.withdraw(agent, made["order_id"], CAUSE))



def test_the_customer_cannot_change_an_offer_and_support_can_withdraw_it(app: BillingApplication) -> None:
    admin = uuid.uuid4()
    tenant = business(app, admin)
    made = offer(app, admin, {"tenant_id": str(tenant), "extra_organizations": 1})
    change = {"extra_organizations": 50}
    refused("offer_fixed", lambda: app.change_order(admin, made["order_id"], change, CAUSE))
    agent = uuid.uuid4()
    withdrawn = app.offers.withdraw(agent, made["order_id"], CAUSE)
    assert withdrawn["offer_state"] == "withdrawn" and withdrawn["withdrawn"]
    assert app.offers.withdraw(uuid.uuid4(), made["order_id"], CAUSE)["offer_state"] == "withdrawn"  # twice: once
    # Told once: identity notes it on the ticket, notifications texts the admin (no amounts).
    [told] = [e for e in published(app, made["order_id"]) if isinstance(e, LimitsOfferWithdrawnV1)]
    assert (told.customer_user_id, told.withdrawn_by_user_id, told.tenant_id) == (admin, agent, tenant)
    assert str(told.ticket_id) == app.order(admin, made["order_id"])["offer"]["ticket_id"]
    assert told.business_name == "کافه نارنج" and not [f for f in LimitsOfferWithdrawnV1.model_fields if "amount" in f]
    refused("offer_withdrawn", lambda: app.start_payment(admin, made["order_id"], None, CAUSE))
    refused("offer_withdrawn", lambda: app.calculate_invoice(admin, made["order_id"], CAUSE))
    # The customer's own orders are not support's to withdraw.
    own = app.place_order(admin, {"kind": "limits", "tenant_id": str(tenant), "extra_organizations": 1}, None, CAUSE)
    refused("not_an_offer", lambda: app.offers.withdraw(uuid.uuid4(), own["order_id"], CAUSE))
    refused("not_found", lambda: app.offers.withdraw(uuid.uuid4(), str(uuid.uuid4()), CAUSE))


def test_a_withdrawal_while_the_customer_is_at_the_bank_sends_the_money_back(app: BillingApplication) -> None:
    admin = uuid.uuid4()
    made = offer(app, admin, {"tenant_id": str(business(app, admin)), "extra_concurrent_users": 3})
    started = app.start_payment(admin, made["order_id"], None, CAUSE)
    app.offers.withdraw(uuid.uuid4(), made["order_id"], CAUSE)
    settled = callback(app, started["payment_id"], started["redirect_url"], "success")
    assert settled["state"] in ("refund_scheduled", "refunded") and settled["reason"] == "order_changed"


def test_an_offer_past_the_hard_caps_is_refused_before_it_is_made(app: BillingApplication) -> None:
    admin = uuid.uuid4()
    tenant = business(app, admin)
    near = TODAY | {"max_organizations": 998}
    error = refused("limits_ceiling", lambda: offer(app, admin, {"tenant_id": str(tenant), "extra_organizations": 3},
                                                    today=near))
    assert error.details["field"] == "extra_organizations" and error.details["most"] == 2
    error = refused("limits_ceiling", lambda: offer(app, admin, {"tenant_id": str(tenant),
                                                                 "extra_concurrent_users": 1000},
                                                    today=TODAY | {"max_concurrent_users": 9_500}))
    assert error.details["field"] == "extra_concurrent_users"
    refused("service_unavailable", lambda: offer(app, admin, {"tenant_id": str(tenant), "extra_organizations": 1},
                                                 today={}))
    assert offer(app, admin, {"tenant_id": str(tenant), "extra_organizations": 2}, today=near)["offer_state"] == "open"
    assert len(app.offers.of_businesses([str(tenant)])) == 1  # the refused ones left nothing behind


@pytest.mark.parametrize(("body", "code"), [
    ({"extra_organizations": 0, "extra_concurrent_users": 0}, "nothing_offered"),
    ({"extra_organizations": -1}, "invalid_number"),
    ({"extra_organizations": 1001}, "invalid_number"),
    ({"extra_organizations": 1.5}, "invalid_number"),
    ({"extra_organizations": "۲\u202e"}, "invalid_number"),
    ({"extra_organizations": 1, "total_rials": 1}, "invalid_request"),  # the price is the catalog's
    ({"extra_organizations": 1, "tenant_id": "not-a-uuid"}, "business_not_found"),
    ({"extra_organizations": 1, "tenant_id": str(uuid.uuid4())}, "business_not_found"),
])
def test_hostile_or_empty_offers_are_refused_and_change_nothing(app: BillingApplication, body: dict[str, Any],
                                                                 code: str) -> None:
    admin = uuid.uuid4()
    tenant = business(app, admin)
    refused(code, lambda: offer(app, admin, {"tenant_id": str(tenant)} | body))
    assert app.offers.of_businesses([str(tenant)]) == []


def test_only_a_business_the_tickets_customer_administers_and_keys_repeat(app: BillingApplication) -> None:
    admin, stranger, agent, ticket = uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    tenant = business(app, admin)
    body = {"tenant_id": str(tenant), "extra_organizations": 1}
    refused("business_not_found", lambda: offer(app, stranger, body))
    first = offer(app, admin, body, agent=agent, ticket=ticket, key="o-1")
    assert offer(app, admin, body, agent=agent, ticket=ticket, key="o-1") == first  # a double click: one offer
    refused("idempotency_key_reused", lambda: offer(app, admin, body | {"extra_organizations": 2}, agent=agent,
                                                    ticket=ticket, key="o-1"))
    assert [o["order_id"] for o in app.offers.of_businesses([str(tenant)])] == [first["order_id"]]
