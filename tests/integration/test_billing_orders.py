"""Orders and invoices on SQLite and PostgreSQL (BI-1, X-2, X-3): prices and VAT from the
catalog, revisions make the invoice outdated, only the customer sees an order, and the
Idempotency-Key decides repeats."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import eventlet
import pytest

from services.billing import policies
from services.billing.application import BillingApplication
from services.billing.catalog import Catalog
from services.billing.domain import BusinessAccount, Order, business_subject
from shared.events.archival import RestoreRequestedV1
from shared.kernel.config import Settings
from shared.kernel.errors import DomainError
from shared.kernel.subject_keys import Personal
from tests.support.billing import CAUSE, NEW_ORDER, billing_app, sandbox_server
from tests.support.provisioning_orders import inbound, purged

SettingsFor = Callable[..., Settings]


@pytest.fixture
def app(settings_for: SettingsFor) -> Iterator[BillingApplication]:
    with sandbox_server() as url:
        yield billing_app(settings_for("billing"), url)


def refused(code: str, action: Callable[[], object]) -> DomainError:
    with pytest.raises(DomainError) as caught:
        action()
    assert caught.value.code == code, caught.value.details
    return caught.value


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


def test_a_change_outdates_the_invoice_until_it_is_recalculated(app: BillingApplication) -> None:
    customer = uuid.uuid4()
    order_id = app.place_order(customer, NEW_ORDER, None, CAUSE)["order_id"]
    changed = app.change_order(customer, order_id, NEW_ORDER | {"period_months": "۶"}, CAUSE)
    assert changed["revision"] == 2 and not changed["invoice_current"]
    refused("invoice_outdated", lambda: app.start_payment(customer, order_id, None, CAUSE))
    recalculated = app.calculate_invoice(customer, order_id, CAUSE)
    assert recalculated["invoice_current"] and recalculated["invoice"]["order_revision"] == 2
    assert recalculated["invoice"]["subtotal_rials"] == 60_000_000 + 20_000_000
    assert app.start_payment(customer, order_id, None, CAUSE)["redirect_url"].startswith("http://127.0.0.1")


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
    ({"period_months": 7}, "invalid_period"),
    ({"period_months": 12.0}, "invalid_number"),
    ({"period_months": "دوازده"}, "invalid_number"),
    ({"business_type": "educational"}, "invalid_business_type"),
    ({"business_name": "  "}, "invalid_business_name"),
    ({"business_name": "a\nb"}, "invalid_business_name"),
    ({"kind": "restore"}, "invalid_order_kind"),
    ({"kind": "renewal", "tenant_id": str(uuid.uuid4())}, "business_not_found"),
    ({"extra_organizations": 2}, "invalid_products"),
]


def test_bad_orders_are_refused_and_change_nothing(app: BillingApplication) -> None:
    for change, code in BAD_ORDERS:
        before = app.recorder.max_notification_id()
        refused(code, lambda change=change: app.place_order(uuid.uuid4(), NEW_ORDER | change, None, CAUSE))
        assert app.recorder.max_notification_id() == before, change


def test_an_idempotency_key_gives_the_same_answer_or_422(app: BillingApplication) -> None:
    customer = uuid.uuid4()
    first = app.place_order(customer, NEW_ORDER, "key-1", CAUSE)
    assert app.place_order(customer, NEW_ORDER, "key-1", CAUSE) == first
    refused("idempotency_key_reused", lambda: app.place_order(customer, NEW_ORDER | {"period_months": 6},
                                                              "key-1", CAUSE))
    # The key is the customer's own: another customer's same key is another order.
    assert app.place_order(uuid.uuid4(), NEW_ORDER, "key-1", CAUSE)["order_id"] != first["order_id"]


def test_fifty_concurrent_repeats_of_a_key_make_one_order(app: BillingApplication) -> None:
    customer = uuid.uuid4()

    def place(_: int) -> str:
        return str(app.place_order(customer, NEW_ORDER, "double-click", CAUSE)["order_id"])

    ids = set(eventlet.GreenPool(50).imap(place, range(50)))
    assert len(ids) == 1
    placed = [e for e in app.repository.event_store.get(uuid.UUID(ids.pop())) if isinstance(e, Order.Placed)]
    assert len(placed) == 1


def test_a_purged_business_name_is_unreadable_in_billing(app: BillingApplication) -> None:
    """AR-1: billing keeps the amounts; the business's name goes with its data."""
    customer, name = uuid.uuid4(), str(NEW_ORDER["business_name"])
    placed = app.place_order(customer, NEW_ORDER, None, CAUSE)
    stored = b"".join(n.state for n in app.recorder.select_notifications(None, 1000))
    assert name.encode() not in stored and name.encode("unicode_escape") not in stored  # sealed from the start
    assert app.order(customer, placed["order_id"])["business_name"] == name
    purge = purged(uuid.UUID(placed["tenant_id"]))
    policies.handle(app, inbound(purge))
    policies.handle(app, inbound(purge))  # a second delivery of another copy changes nothing more
    after = app.order(customer, placed["order_id"])
    assert after["business_name"] == "[erased]" and after["invoice"] == placed["invoice"]


def test_after_a_purge_a_renewal_waits_for_the_restore_which_brings_the_name_back(app: BillingApplication) -> None:
    customer, tenant, name = uuid.uuid4(), uuid.uuid4(), "کافه نارنج"
    app.save(BusinessAccount(tenant_id=tenant, owner_user_id=customer,
                             business_name=Personal(business_subject(tenant), name), business_type="trading"))
    renewal = {"kind": "renewal", "tenant_id": str(tenant), "products": ["accounting"], "period_months": 12}
    policies.handle(app, inbound(purged(tenant)))
    refused("business_purged", lambda: app.place_order(customer, renewal, None, CAUSE))
    policies.handle(app, inbound(RestoreRequestedV1(
        restore_id=uuid.uuid4(), order_id=uuid.uuid4(), tenant_id=tenant, requested_by_user_id=customer,
        backup_id=uuid.uuid4(), backup_taken_at=datetime.now(UTC), business_name=name, business_type="trading")))
    renewed = app.place_order(customer, renewal, None, CAUSE)
    assert renewed["business_name"] == name and renewed["kind"] == "renewal"
