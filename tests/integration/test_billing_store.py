"""Billing wired to its stores, on SQLite and PostgreSQL (X-2, X-3), paying through the real
Zarinpal client against the payment sandbox over HTTP: an order's life from placing to
payment and refund, names sealed in the store, an inbound event handled once, and races the
database decides (50 repeats of an Idempotency-Key, 50 concurrent callbacks). The rules
themselves are tested in memory (tests/unit/billing/)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import eventlet
import pytest

from services.billing import policies
from services.billing.application import BillingApplication
from services.billing.domain import Order
from shared.events import billing as contracts
from shared.events.archival import RestoreRequestedV1
from shared.kernel.config import Settings
from shared.kernel.store import AlreadyHandled
from tests.support.billing import (
    CAUSE,
    NEW_ORDER,
    billing_app,
    callback,
    pay_at_sandbox,
    published,
    sandbox_server,
    start,
)
from tests.support.provisioning_orders import inbound, purged
from tests.support.rules import refused

SettingsFor = Callable[..., Settings]


@pytest.fixture
def app(settings_for: SettingsFor) -> Iterator[BillingApplication]:
    with sandbox_server() as url:
        yield billing_app(settings_for("billing"), url)


def test_an_order_is_changed_paid_and_renewed(app: BillingApplication) -> None:
    customer = uuid.uuid4()
    order_id = app.place_order(customer, NEW_ORDER, "key-1", CAUSE)["order_id"]
    assert app.place_order(customer, NEW_ORDER, "key-1", CAUSE)["order_id"] == order_id
    app.change_order(customer, order_id, NEW_ORDER | {"period_months": "۶"}, CAUSE)
    refused("invoice_outdated", lambda: app.start_payment(customer, order_id, None, CAUSE))
    assert app.calculate_invoice(customer, order_id, CAUSE)["invoice"]["subtotal_rials"] == 80_000_000
    started = app.start_payment(customer, order_id, None, CAUSE)
    assert started["redirect_url"].startswith("http://127.0.0.1")
    settled = callback(app, started["payment_id"], started["redirect_url"], "success")
    assert settled["state"] == "succeeded" and settled["bank"]["card_pan"] == "502229******5995"
    (succeeded,) = published(app, started["payment_id"])
    assert isinstance(succeeded, contracts.PaymentSucceededV1) and succeeded.amount_rials == 88_000_000
    renewal = app.place_order(customer, {"kind": "renewal", "tenant_id": str(succeeded.tenant_id),
                                         "products": ["accounting"], "period_months": 12}, None, CAUSE)
    assert renewal["business_name"] == "کافه نارنج"


def test_captured_money_that_fails_is_refunded(app: BillingApplication) -> None:
    _, _, started = start(app)
    settled = callback(app, started["payment_id"], started["redirect_url"], "captured_then_fail")
    assert settled["state"] == "refund_scheduled"
    assert app.settlement.reconcile(CAUSE)["refunded"] == 1
    assert app.payment(None, started["payment_id"])["state"] == "refunded"
    kinds = [type(e) for e in published(app, started["payment_id"])]
    assert kinds == [contracts.PaymentFailedV1, contracts.RefundScheduledV1, contracts.RefundCompletedV1]


def test_a_business_name_is_sealed_in_the_store_and_shredded_with_its_data(app: BillingApplication) -> None:
    customer, name = uuid.uuid4(), str(NEW_ORDER["business_name"])
    placed = app.place_order(customer, NEW_ORDER, None, CAUSE)
    stored = b"".join(n.state for n in app.recorder.select_notifications(None, 1000))
    assert name.encode() not in stored and name.encode("unicode_escape") not in stored
    policies.handle(app, app, inbound(purged(uuid.UUID(placed["tenant_id"]))))
    assert app.order(customer, placed["order_id"])["business_name"] == "[erased]"


def test_an_inbound_event_is_handled_once(app: BillingApplication) -> None:
    customer, restore_id = uuid.uuid4(), uuid.uuid4()
    event = RestoreRequestedV1(
        restore_id=restore_id, order_id=uuid.uuid5(restore_id, "order"), tenant_id=uuid.uuid4(),
        requested_by_user_id=customer, backup_id=uuid.uuid4(), backup_taken_at=datetime(2026, 1, 1, tzinfo=UTC),
        business_name="کافه نارنج", business_type="trading")
    delivered = inbound(event)
    policies.handle(app, app, delivered)
    with pytest.raises(AlreadyHandled):
        policies.handle(app, app, delivered)
    assert app.order(customer, event.order_id)["invoice"]["total_rials"] == 55_000_000


def test_fifty_concurrent_repeats_of_a_key_make_one_order(app: BillingApplication) -> None:
    customer = uuid.uuid4()

    def place(_: int) -> str:
        return str(app.place_order(customer, NEW_ORDER, "double-click", CAUSE)["order_id"])

    ids = set(eventlet.GreenPool(50).imap(place, range(50)))
    assert len(ids) == 1
    placed = [e for e in app.repository.event_store.get(uuid.UUID(ids.pop())) if isinstance(e, Order.Placed)]
    assert len(placed) == 1


def test_fifty_concurrent_callbacks_give_one_success(app: BillingApplication) -> None:
    _, _, started = start(app)
    back = pay_at_sandbox(started["redirect_url"], "success")
    assert back is not None

    def call(_: int) -> str:
        return str(app.settlement.payment_callback(started["payment_id"], back[0], back[1], CAUSE)["state"])

    states = list(eventlet.GreenPool(50).imap(call, range(50)))
    assert set(states) == {"succeeded"}
    assert [type(e) for e in published(app, started["payment_id"])] == [contracts.PaymentSucceededV1]
