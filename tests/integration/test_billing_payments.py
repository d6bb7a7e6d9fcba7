"""Paying online on SQLite and PostgreSQL (BI-2, BI-3, X-2): every sandbox outcome, the
callback never trusted, one success under 50 concurrent callbacks, refunds within 72 hours
with back-off and an operator alert, the reconciler settling timeouts."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import eventlet
import pytest
import requests

from services.billing import policies
from services.billing.application import BillingApplication
from services.billing.domain import BusinessAccount, Payment
from services.billing.translations import translate
from shared.events import billing as contracts
from shared.kernel.config import Settings
from shared.kernel.errors import DomainError
from shared.kernel.subject_keys import Personal, business_subject
from tests.support.billing import CAUSE, MERCHANT, NEW_ORDER, billing_app, pay_at_sandbox, sandbox_server
from tests.support.provisioning_orders import inbound, purged

SettingsFor = Callable[..., Settings]


@pytest.fixture
def sandbox() -> Iterator[str]:
    with sandbox_server() as url:
        yield url


@pytest.fixture
def app(settings_for: SettingsFor, sandbox: str) -> BillingApplication:
    return billing_app(settings_for("billing"), sandbox)


def published(app: BillingApplication, payment_id: str) -> list[Any]:
    """The integration events the relay would publish for a payment."""
    events = [translate(e) for e in app.repository.event_store.get(uuid.UUID(payment_id))]
    return [e for e in events if e is not None]


def start(app: BillingApplication, customer: uuid.UUID | None = None, body: dict[str, Any] | None = None
          ) -> tuple[uuid.UUID, str, dict[str, Any]]:
    customer = customer or uuid.uuid4()
    order_id = app.place_order(customer, body or NEW_ORDER, None, CAUSE)["order_id"]
    return customer, order_id, app.start_payment(customer, order_id, None, CAUSE)


def later(app: BillingApplication, delta: timedelta) -> None:
    app.clock.set_offset(app.clock.offset_seconds + int(delta.total_seconds()))


def callback(app: BillingApplication, payment_id: str, redirect: str, outcome: str, **form: str) -> dict[str, Any]:
    back = pay_at_sandbox(redirect, outcome, **form)
    assert back is not None
    return app.payment_callback(payment_id, back[0], back[1], CAUSE)


def test_success_grants_what_was_bought(app: BillingApplication) -> None:
    customer, order_id, started = start(app)
    settled = callback(app, started["payment_id"], started["redirect_url"], "success")
    assert settled["state"] == "succeeded" and settled["money_taken"] and settled["refund"] is None
    (succeeded,) = published(app, started["payment_id"])
    assert isinstance(succeeded, contracts.PaymentSucceededV1)
    assert succeeded.payer_user_id == customer and str(succeeded.order_id) == order_id
    assert succeeded.products == ("accounting", "payroll") and succeeded.business_type == "trading"
    assert succeeded.amount_rials == 148_500_000 and succeeded.vat_rials == 13_500_000
    assert (succeeded.period_end - succeeded.period_start).days in (365, 366)
    assert app.order(customer, order_id)["paid"]
    with pytest.raises(DomainError, match="order_already_paid"):
        app.start_payment(customer, order_id, None, CAUSE)
    # The business now exists for billing: its owner can renew it or add to it.
    renewal = app.place_order(customer, {"kind": "renewal", "tenant_id": str(succeeded.tenant_id),
                                         "products": ["accounting"], "period_months": 6}, None, CAUSE)
    assert renewal["tenant_id"] == str(succeeded.tenant_id) and renewal["business_name"] == "کافه نارنج"
    with pytest.raises(DomainError, match="business_not_found"):
        app.place_order(uuid.uuid4(), {"kind": "add_on", "tenant_id": str(succeeded.tenant_id),
                                       "products": ["fixed_assets"], "period_months": 6}, None, CAUSE)


def test_cancel_takes_no_money(app: BillingApplication) -> None:
    _, _, started = start(app)
    settled = callback(app, started["payment_id"], started["redirect_url"], "cancel")
    assert settled["state"] == "failed" and settled["reason"] == "cancelled_by_customer"
    (failed,) = published(app, started["payment_id"])
    assert isinstance(failed, contracts.PaymentFailedV1) and failed.money_taken is False


def test_captured_then_failed_is_refunded_well_inside_72_hours(app: BillingApplication) -> None:
    _, _, started = start(app)
    settled = callback(app, started["payment_id"], started["redirect_url"], "captured_then_fail")
    assert settled["state"] == "refund_scheduled" and settled["reason"] == "verification_failed"
    deadline = settled["refund"]["deadline"]
    assert deadline["jalali"].startswith("14") and deadline["iso"]
    assert app.reconcile(CAUSE)["refunded"] == 1
    refunded = app.payment(None, started["payment_id"])
    assert refunded["state"] == "refunded" and refunded["refund"]["refunded_at"]["iso"] <= deadline["iso"]
    kinds = [type(e) for e in published(app, started["payment_id"])]
    assert kinds == [contracts.PaymentFailedV1, contracts.RefundScheduledV1, contracts.RefundCompletedV1]
    failed, scheduled, _ = published(app, started["payment_id"])
    assert failed.money_taken and scheduled.refund_deadline == scheduled.captured_at + timedelta(hours=72)
    assert app.reconcile(CAUSE)["refunded"] == 0  # refunded once


def test_a_refund_given_before_a_crash_is_not_given_twice(app: BillingApplication, sandbox: str) -> None:
    _, _, started = start(app)
    settled = callback(app, started["payment_id"], started["redirect_url"], "captured_then_fail")
    assert settled["state"] == "refund_scheduled"
    payment: Payment = app.repository.get(uuid.UUID(started["payment_id"]))
    # The bank gave the money back, then billing died before recording it.
    app.gateway.refund(payment.authority, None, payment.amount_rials, "given back before a crash")
    assert app.reconcile(CAUSE)["refunded"] == 1  # the bank says REVERSED: recorded, not refunded again
    assert app.payment(None, started["payment_id"])["state"] == "refunded"
    again = requests.post(f"{sandbox}/pg/v4/payment/reverse.json", timeout=10,
                          json={"merchant_id": MERCHANT, "authority": payment.authority}).json()
    assert again["errors"]["code"] == -61  # and the bank would not give it back a second time


def test_a_payment_settled_after_its_business_was_purged_is_still_recorded_and_refunded(
        app: BillingApplication) -> None:
    _, _, started = start(app)
    tenant = uuid.UUID(app.payment(None, started["payment_id"])["tenant_id"])
    policies.handle(app, inbound(purged(tenant)))  # the name's key is destroyed while at the bank
    settled = callback(app, started["payment_id"], started["redirect_url"], "captured_then_fail")
    # The order no longer takes it: reversed at once, not verified; nothing stored the name again.
    assert settled["state"] == "refunded" and settled["reason"] == "business_purged"
    assert app.reconcile(CAUSE)["refunded"] == 0


def test_a_renewal_paid_after_its_business_was_deleted_is_refunded_not_granted(app: BillingApplication) -> None:
    customer, tenant = uuid.uuid4(), uuid.uuid4()
    app.save(BusinessAccount(tenant_id=tenant, owner_user_id=customer,
                             business_name=Personal(business_subject(tenant), "کافه نارنج"), business_type="trading"))
    renewal = {"kind": "renewal", "tenant_id": str(tenant), "products": ["accounting"], "period_months": 12}
    _, order_id, started = start(app, customer, renewal)
    policies.handle(app, inbound(purged(tenant)))  # the deletion runs while the customer is at the bank
    settled = callback(app, started["payment_id"], started["redirect_url"], "success")
    assert settled["state"] == "refunded" and settled["reason"] == "business_purged"  # reversed, not verified
    assert not app.order(customer, order_id)["paid"]
    events = published(app, started["payment_id"])
    assert not any(isinstance(e, contracts.PaymentSucceededV1) for e in events)  # no access granted (BI-3)
    failed = next(e for e in events if isinstance(e, contracts.PaymentFailedV1))
    assert failed.reason == "business_purged" and failed.money_taken
    assert app.reconcile(CAUSE)["refunded"] == 0 and app.payment(None, started["payment_id"])["state"] == "refunded"


def test_a_tampered_amount_is_refunded_not_granted(app: BillingApplication) -> None:
    _, _, started = start(app)
    settled = callback(app, started["payment_id"], started["redirect_url"], "success", paid_amount="1000")
    assert settled["state"] == "refund_scheduled" and settled["reason"] == "amount_mismatch"
    assert not any(isinstance(e, contracts.PaymentSucceededV1) for e in published(app, started["payment_id"]))


def test_the_callback_is_never_trusted(app: BillingApplication) -> None:
    _, _, started = start(app)
    # A forged "OK" before anything was paid changes nothing: the gateway is asked.
    forged = app.payment_callback(started["payment_id"], "A0", "OK", CAUSE)
    assert forged["state"] == "pending"
    with pytest.raises(DomainError, match="not_found"):
        app.payment_callback(str(uuid.uuid4()), "A0", "OK", CAUSE)
    with pytest.raises(DomainError, match="not_found"):
        app.payment_callback("../etc", "A0", "OK", CAUSE)


def test_fifty_concurrent_callbacks_give_one_success(app: BillingApplication) -> None:
    _, _, started = start(app)
    back = pay_at_sandbox(started["redirect_url"], "success")
    assert back is not None

    def call(_: int) -> str:
        return str(app.payment_callback(started["payment_id"], back[0], back[1], CAUSE)["state"])

    states = list(eventlet.GreenPool(50).imap(call, range(50)))
    assert set(states) == {"succeeded"}
    assert [type(e) for e in published(app, started["payment_id"])] == [contracts.PaymentSucceededV1]


def test_a_second_paid_payment_of_one_order_is_refunded(app: BillingApplication) -> None:
    customer, order_id, first = start(app)
    second = app.start_payment(customer, order_id, None, CAUSE)
    callback(app, first["payment_id"], first["redirect_url"], "success")
    settled = callback(app, second["payment_id"], second["redirect_url"], "success")
    assert settled["state"] == "refunded" and settled["reason"] == "order_already_paid"


def test_an_order_changed_while_at_the_bank_is_not_granted(app: BillingApplication) -> None:
    customer, order_id, started = start(app)
    app.change_order(customer, order_id, NEW_ORDER | {"products": ["accounting"]}, CAUSE)
    settled = callback(app, started["payment_id"], started["redirect_url"], "success")
    assert settled["state"] == "refunded" and settled["reason"] == "order_changed"
    assert not app.order(customer, order_id)["paid"]


def late_success(app: BillingApplication) -> str:
    """A payment we gave up on whose money arrived after all: the next reconcile verifies it
    (the bank's reference is kept) and schedules its refund."""
    _, _, started = start(app)
    pay_at_sandbox(started["redirect_url"], "timeout", settle_after="0.2")
    later(app, timedelta(hours=2))
    assert app.reconcile(CAUSE)["gave_up"] == 1
    time.sleep(0.3)
    later(app, timedelta(minutes=10))
    return str(started["payment_id"])


def test_a_timeout_is_settled_by_the_reconciler(app: BillingApplication) -> None:
    _, _, started = start(app)
    assert pay_at_sandbox(started["redirect_url"], "timeout", settle_after="0.5") is None
    app.reconcile(CAUSE)
    assert app.payment(None, started["payment_id"])["state"] == "pending"  # the bank is still busy
    time.sleep(0.6)
    assert app.reconcile(CAUSE)["settled"] == 1
    assert app.payment(None, started["payment_id"])["state"] == "succeeded"


def test_money_after_we_gave_up_goes_back(app: BillingApplication) -> None:
    _, _, started = start(app)
    pay_at_sandbox(started["redirect_url"], "timeout", settle_after="1")
    later(app, timedelta(hours=2))
    assert app.reconcile(CAUSE)["gave_up"] == 1
    gave_up = app.payment(None, started["payment_id"])
    assert gave_up["state"] == "failed" and gave_up["reason"] == "timeout" and not gave_up["money_taken"]
    time.sleep(1.1)
    app.reconcile(CAUSE)
    assert app.payment(None, started["payment_id"])["state"] == "failed"  # not asked again so soon
    later(app, timedelta(minutes=10))  # gone-quiet payments are asked at most every ten minutes
    app.reconcile(CAUSE)  # finds the late money, schedules its refund and returns it
    assert app.payment(None, started["payment_id"])["state"] == "refunded"
    kinds = [type(e) for e in published(app, started["payment_id"])]
    assert kinds == [contracts.PaymentFailedV1, contracts.RefundScheduledV1, contracts.RefundCompletedV1]


def test_a_refund_that_keeps_failing_alerts_an_operator_before_the_deadline(app: BillingApplication,
                                                                            sandbox: str) -> None:
    # A verified payment (money that came after we gave up): past the reverse window, the refund
    # API can still give it back by its bank reference.
    payment_id = late_success(app)
    started = {"payment_id": payment_id}
    requests.post(f"{sandbox}/_dev/refund-outage", json={"seconds": 60}, timeout=5)
    try:
        assert app.reconcile(CAUSE)["refund_failures"] == 1
        assert app.reconcile(CAUSE)["refund_failures"] == 0  # backing off
        view = app.payment(None, started["payment_id"])
        assert view["refund"]["attempts"] == 1 and not view["refund"]["operator_alert"]
        later(app, timedelta(hours=61))
        app.reconcile(CAUSE)
        view = app.payment(None, started["payment_id"])
        assert view["refund"]["operator_alert"] and view["state"] == "refund_scheduled"
        assert any(e.__class__.__name__ == "RefundAttemptFailed" and e.alert
                   for e in app.repository.event_store.get(uuid.UUID(started["payment_id"])))
    finally:
        requests.post(f"{sandbox}/_dev/refund-outage", json={"seconds": 0}, timeout=5)
    later(app, timedelta(hours=1))
    app.reconcile(CAUSE)
    done = app.payment(None, started["payment_id"])
    assert done["state"] == "refunded" and done["refund"]["refunded_at"]["iso"] < done["refund"]["deadline"]["iso"]


def test_an_idempotent_payment_start(app: BillingApplication) -> None:
    customer, order_id, _ = start(app)
    first = app.start_payment(customer, order_id, "pay-1", CAUSE)
    assert app.start_payment(customer, order_id, "pay-1", CAUSE) == first
    other = app.place_order(customer, NEW_ORDER, None, CAUSE)["order_id"]
    with pytest.raises(DomainError, match="idempotency_key_reused"):
        app.start_payment(customer, other, "pay-1", CAUSE)


def test_payments_are_shown_to_their_customer_only(app: BillingApplication) -> None:
    customer, _, started = start(app)
    assert app.payment(customer, started["payment_id"])["state"] == "pending"
    with pytest.raises(DomainError, match="not_found"):
        app.payment(uuid.uuid4(), started["payment_id"])
    assert isinstance(app.repository.get(uuid.UUID(started["payment_id"])), Payment)
