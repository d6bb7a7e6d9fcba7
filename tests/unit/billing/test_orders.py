"""Orders and invoices in memory (BI-1, X-2, X-3): prices and VAT from the catalog, revisions
make the invoice outdated, only the customer sees an order, bad bodies are refused with
billing's codes and change nothing, and the Idempotency-Key decides repeats."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from services.billing import policies
from services.billing.application import BillingApplication
from services.billing.catalog import Catalog
from services.billing.domain import BusinessAccount, business_subject
from shared.events.archival import RestoreRequestedV1
from shared.kernel.subject_keys import Personal
from tests.support.billing import CAUSE, NEW_ORDER, FakeGateway, memory_app
from tests.support.provisioning_orders import inbound, purged
from tests.support.rules import refused


@pytest.fixture
def app() -> BillingApplication:
    return memory_app()


def test_a_new_order_is_priced_from_the_catalog_with_vat(app: BillingApplication) -> None:
    customer = uuid.uuid4()
    placed = app.place_order(customer, NEW_ORDER, None, CAUSE)
    invoice = placed["invoice"]
    assert [line["item"] for line in invoice["lines"]] == ["accounting", "payroll"]
    assert invoice["subtotal_rials"] == 100_000_000 + 35_000_000
    assert invoice["vat_percent"] == 10 and invoice["vat_rials"] == 13_500_000
    assert invoice["total_rials"] == 148_500_000 and isinstance(invoice["total_rials"], int)
    assert invoice["order_revision"] == 1 and placed["invoice_current"]
    assert uuid.UUID(placed["tenant_id"])  # a new business gets its tenant id here
    assert app.order(customer, placed["order_id"])["invoice"] == invoice


def test_vat_and_prices_come_from_configuration() -> None:
    catalog = Catalog.from_env({"VAT_PERCENT": "9", "PRICE_ACCOUNTING_6M": "1000"})
    assert catalog.invoice_for({"kind": "new", "products": ["accounting"], "period_months": 6}) == {
        "lines": [{"item": "accounting", "description": catalog.public()["products"][0]["description"],
                   "quantity": 1, "unit_price_rials": 1000, "amount_rials": 1000}],
        "subtotal_rials": 1000, "discount_rials": 0, "vat_percent": 9, "vat_rials": 90, "total_rials": 1090}
    app = memory_app(catalog=catalog)
    assert app.catalog_view()["vat_percent"] == 9


def test_a_change_outdates_the_invoice_until_it_is_recalculated(app: BillingApplication) -> None:
    customer = uuid.uuid4()
    order_id = app.place_order(customer, NEW_ORDER, None, CAUSE)["order_id"]
    changed = app.change_order(customer, order_id, NEW_ORDER | {"period_months": "۶"}, CAUSE)
    assert changed["revision"] == 2 and not changed["invoice_current"]
    refused("invoice_outdated", lambda: app.start_payment(customer, order_id, None, CAUSE))
    recalculated = app.calculate_invoice(customer, order_id, CAUSE)
    assert recalculated["invoice_current"] and recalculated["invoice"]["order_revision"] == 2
    assert recalculated["invoice"]["subtotal_rials"] == 60_000_000 + 20_000_000
    assert app.start_payment(customer, order_id, None, CAUSE)["redirect_url"].startswith(FakeGateway.START_PAY)


def test_only_the_customer_sees_changes_or_pays_an_order(app: BillingApplication) -> None:
    order_id = app.place_order(uuid.uuid4(), NEW_ORDER, None, CAUSE)["order_id"]
    stranger = uuid.uuid4()
    refused("not_found", lambda: app.order(stranger, order_id))
    refused("not_found", lambda: app.change_order(stranger, order_id, NEW_ORDER, CAUSE))
    refused("not_found", lambda: app.calculate_invoice(stranger, order_id, CAUSE))
    refused("not_found", lambda: app.start_payment(stranger, order_id, None, CAUSE))
    refused("not_found", lambda: app.order(stranger, "not-a-uuid"))


BAD_ORDERS: list[tuple[dict[str, object], str]] = [
    ({"products": ["educational"]}, "educational_requires_application"),
    ({"products": ["payroll"]}, "accounting_required"),
    ({"products": ["accounting", "accounting"]}, "invalid_products"),
    ({"products": ["accounting", "crm"]}, "invalid_products"),
    ({"products": "accounting"}, "invalid_products"),
    ({"period_months": 7}, "invalid_period"),
    ({"period_months": 12.0}, "invalid_number"),
    ({"period_months": "دوازده"}, "invalid_number"),
    ({"period_months": True}, "invalid_number"),
    ({"period_months": 48}, "invalid_number"),
    ({"business_type": "educational"}, "invalid_business_type"),
    ({"business_name": "  "}, "invalid_business_name"),
    ({"business_name": "a\nb"}, "invalid_business_name"),
    ({"business_name": None}, "invalid_business_name"),
    ({"kind": "restore"}, "invalid_order_kind"),
    ({"kind": "renewal", "tenant_id": str(uuid.uuid4())}, "business_not_found"),
    ({"kind": "renewal", "tenant_id": "nobody"}, "business_not_found"),
    ({"extra_organizations": 2}, "invalid_products"),
    ({"kind": "limits", "products": [], "extra_organizations": 2000}, "invalid_number"),
    ({"surprise": 1}, "invalid_request"),
]


@pytest.mark.parametrize("change, code", BAD_ORDERS)
def test_bad_orders_are_refused_and_change_nothing(app: BillingApplication, change: dict[str, object],
                                                   code: str) -> None:
    before = app.recorder.max_notification_id()
    refused(code, lambda: app.place_order(uuid.uuid4(), NEW_ORDER | change, None, CAUSE))
    assert app.recorder.max_notification_id() == before


def test_a_refused_number_names_its_field_and_range(app: BillingApplication) -> None:
    error = refused("invalid_number", lambda: app.place_order(uuid.uuid4(), NEW_ORDER | {"period_months": 1.5},
                                                              None, CAUSE))
    assert error.details == {"field": "period_months", "low": 1, "high": 36}
    assert refused("invalid_order_kind", lambda: app.place_order(uuid.uuid4(), {"kind": "gift"}, None, CAUSE)
                   ).details == {"allowed": ["new", "renewal", "add_on", "limits"]}


def test_a_bad_change_is_refused_and_keeps_the_revision(app: BillingApplication) -> None:
    customer = uuid.uuid4()
    order_id = app.place_order(customer, NEW_ORDER, None, CAUSE)["order_id"]
    refused("invalid_number", lambda: app.change_order(customer, order_id, {"period_months": "x"}, CAUSE))
    refused("accounting_required", lambda: app.change_order(customer, order_id, NEW_ORDER | {"products": []}, CAUSE))
    refused("invalid_order_kind", lambda: app.change_order(customer, order_id, {"kind": "renewal"}, CAUSE))
    assert app.order(customer, order_id)["revision"] == 1


def test_an_unchanged_order_stays_at_its_revision(app: BillingApplication) -> None:
    customer = uuid.uuid4()
    order_id = app.place_order(customer, NEW_ORDER, None, CAUSE)["order_id"]
    assert app.change_order(customer, order_id, NEW_ORDER, CAUSE)["revision"] == 1


def test_an_idempotency_key_gives_the_same_answer_or_422(app: BillingApplication) -> None:
    customer = uuid.uuid4()
    first = app.place_order(customer, NEW_ORDER, "key-1", CAUSE)
    assert app.place_order(customer, NEW_ORDER, "key-1", CAUSE) == first
    refused("idempotency_key_reused", lambda: app.place_order(customer, NEW_ORDER | {"period_months": 6},
                                                              "key-1", CAUSE))
    # The key is the customer's own: another customer's same key is another order.
    assert app.place_order(uuid.uuid4(), NEW_ORDER, "key-1", CAUSE)["order_id"] != first["order_id"]
    refused("invalid_idempotency_key", lambda: app.place_order(customer, NEW_ORDER, "x" * 101, CAUSE))
    refused("invalid_idempotency_key", lambda: app.place_order(customer, NEW_ORDER, "a\nb", CAUSE))


def test_add_ons_and_limits_need_a_business_of_the_same_customer(app: BillingApplication) -> None:
    customer, tenant = uuid.uuid4(), uuid.uuid4()
    app.save(BusinessAccount(tenant_id=tenant, owner_user_id=customer,
                             business_name=Personal(business_subject(tenant), "کافه نارنج"), business_type="trading"))
    add_on = {"kind": "add_on", "tenant_id": str(tenant), "products": ["payroll"], "period_months": 6}
    placed = app.place_order(customer, add_on, None, CAUSE)
    assert placed["business_name"] == "کافه نارنج" and placed["tenant_id"] == str(tenant)
    refused("invalid_products", lambda: app.place_order(customer, add_on | {"products": ["accounting"]}, None, CAUSE))
    refused("business_not_found", lambda: app.place_order(uuid.uuid4(), add_on, None, CAUSE))
    limits = {"kind": "limits", "tenant_id": str(tenant), "extra_organizations": "۲", "period_months": 12}
    invoice = app.place_order(customer, limits, None, CAUSE)["invoice"]
    assert invoice["lines"] == [{"item": "extra_organizations", "description": invoice["lines"][0]["description"],
                                 "quantity": 2, "unit_price_rials": 10_000_000, "amount_rials": 20_000_000}]


def test_a_purged_business_name_is_unreadable_in_billing(app: BillingApplication) -> None:
    """AR-1: billing keeps the amounts; the business's name goes with its data."""
    customer, name = uuid.uuid4(), str(NEW_ORDER["business_name"])
    placed = app.place_order(customer, NEW_ORDER, None, CAUSE)
    stored = b"".join(n.state for n in app.recorder.select_notifications(None, 1000))
    assert name.encode() not in stored and name.encode("unicode_escape") not in stored  # sealed from the start
    assert app.order(customer, placed["order_id"])["business_name"] == name
    purge = purged(uuid.UUID(placed["tenant_id"]))
    policies.handle(app, app, inbound(purge))
    policies.handle(app, app, inbound(purge))  # a second delivery of another copy changes nothing more
    after = app.order(customer, placed["order_id"])
    assert after["business_name"] == "[erased]" and after["invoice"] == placed["invoice"]
    refused("business_purged", lambda: app.start_payment(customer, placed["order_id"], None, CAUSE))


def test_after_a_purge_a_renewal_waits_for_the_restore_which_brings_the_name_back(app: BillingApplication) -> None:
    customer, tenant, name = uuid.uuid4(), uuid.uuid4(), "کافه نارنج"
    app.save(BusinessAccount(tenant_id=tenant, owner_user_id=customer,
                             business_name=Personal(business_subject(tenant), name), business_type="trading"))
    renewal = {"kind": "renewal", "tenant_id": str(tenant), "products": ["accounting"], "period_months": 12}
    policies.handle(app, app, inbound(purged(tenant)))
    refused("business_purged", lambda: app.place_order(customer, renewal, None, CAUSE))
    policies.handle(app, app, inbound(RestoreRequestedV1(
        restore_id=uuid.uuid4(), order_id=uuid.uuid4(), tenant_id=tenant, requested_by_user_id=customer,
        backup_id=uuid.uuid4(), backup_taken_at=datetime.now(UTC), business_name=name, business_type="trading")))
    renewed = app.place_order(customer, renewal, None, CAUSE)
    assert renewed["business_name"] == name and renewed["kind"] == "renewal"


def test_a_gateway_that_cannot_start_a_payment_takes_no_money() -> None:
    gateway = FakeGateway()
    app = memory_app(gateway)
    customer = uuid.uuid4()
    order_id = app.place_order(customer, NEW_ORDER, None, CAUSE)["order_id"]
    gateway.unavailable = True
    before = app.recorder.max_notification_id()
    refused("gateway_unavailable", lambda: app.start_payment(customer, order_id, None, CAUSE))
    assert app.recorder.max_notification_id() == before
    gateway.unavailable = False
    assert app.start_payment(customer, order_id, None, CAUSE)["state"] == "pending"
