"""Paying online in memory, against a gateway that answers as Zarinpal documents (BI-2, BI-3,
X-2): every outcome at the bank, the callback never trusted, refunds within 72 hours with
back-off and an operator alert, refunds refused for good put before an operator, and the
reconciler settling what the bank answered late."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from services.billing import policies
from services.billing.application import BillingApplication
from services.billing.domain import BusinessAccount, Payment
from shared.events import billing as contracts
from shared.kernel.errors import DomainError
from shared.kernel.subject_keys import Personal, business_subject
from tests.support.billing import (
    CAUSE,
    NEW_ORDER,
    FakeGateway,
    callback,
    late_success,
    later,
    memory_app,
    published,
    start,
)
from tests.support.memory import counted_reads
from tests.support.provisioning_orders import inbound, purged
from tests.support.rules import refused


@pytest.fixture
def bank() -> FakeGateway:
    return FakeGateway()


@pytest.fixture
def app(bank: FakeGateway) -> BillingApplication:
    return memory_app(bank)


def authority_of(app: BillingApplication, payment_id: str) -> str:
    payment: Payment = app.repository.get(uuid.UUID(payment_id))
    return payment.authority


def test_success_grants_what_was_bought(app: BillingApplication) -> None:
    customer, order_id, started = start(app)
    settled = callback(app, started["payment_id"], started["redirect_url"], "success")
    assert settled["state"] == "succeeded" and settled["money_taken"] and settled["refund"] is None
    assert settled["bank"] == {"ref_id": settled["reference"], "card_pan": "502229******5995", "fee": 1_485_000}
    (succeeded,) = published(app, started["payment_id"])
    assert isinstance(succeeded, contracts.PaymentSucceededV1)
    assert succeeded.payer_user_id == customer and str(succeeded.order_id) == order_id
    assert succeeded.products == ("accounting", "payroll") and succeeded.business_type == "trading"
    assert succeeded.amount_rials == 148_500_000 and succeeded.vat_rials == 13_500_000
    assert (succeeded.period_end - succeeded.period_start).days in (365, 366)
    assert app.order(customer, order_id)["paid"]
    refused("order_already_paid", lambda: app.start_payment(customer, order_id, None, CAUSE))
    # The business now exists for billing: its owner can renew it or add to it.
    renewal = app.place_order(customer, {"kind": "renewal", "tenant_id": str(succeeded.tenant_id),
                                         "products": ["accounting"], "period_months": 6}, None, CAUSE)
    assert renewal["tenant_id"] == str(succeeded.tenant_id) and renewal["business_name"] == "کافه نارنج"
    refused("business_not_found", lambda: app.place_order(
        uuid.uuid4(), {"kind": "add_on", "tenant_id": str(succeeded.tenant_id), "products": ["fixed_assets"],
                       "period_months": 6}, None, CAUSE))


def test_a_repeated_callback_changes_nothing(app: BillingApplication, bank: FakeGateway) -> None:
    _, _, started = start(app)
    settled = callback(app, started["payment_id"], started["redirect_url"], "success")
    again = app.settlement.payment_callback(started["payment_id"], authority_of(app, started["payment_id"]), "OK",
                                            CAUSE)
    assert again == settled and len(published(app, started["payment_id"])) == 1
    assert bank.asked("verify", authority_of(app, started["payment_id"])) == 1  # decided: not asked again


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
    assert app.settlement.reconcile(CAUSE)["refunded"] == 1
    refunded = app.payment(None, started["payment_id"])
    assert refunded["state"] == "refunded" and refunded["refund"]["refunded_at"]["iso"] <= deadline["iso"]
    assert refunded["refund"]["refund_reference"] == "reversed"
    kinds = [type(e) for e in published(app, started["payment_id"])]
    assert kinds == [contracts.PaymentFailedV1, contracts.RefundScheduledV1, contracts.RefundCompletedV1]
    failed, scheduled, _ = published(app, started["payment_id"])
    assert failed.money_taken and scheduled.refund_deadline == scheduled.captured_at + timedelta(hours=72)
    assert app.settlement.reconcile(CAUSE)["refunded"] == 0  # refunded once


def test_a_refund_given_before_a_crash_is_not_given_twice(app: BillingApplication, bank: FakeGateway) -> None:
    _, _, started = start(app)
    settled = callback(app, started["payment_id"], started["redirect_url"], "captured_then_fail")
    assert settled["state"] == "refund_scheduled"
    payment: Payment = app.repository.get(uuid.UUID(started["payment_id"]))
    # The bank gave the money back, then billing died before recording it.
    app.gateway.refund(payment.authority, None, payment.amount_rials, "given back before a crash")
    assert app.settlement.reconcile(CAUSE)["refunded"] == 1  # the bank says REVERSED: recorded, not again
    assert app.payment(None, started["payment_id"])["state"] == "refunded"
    assert bank.asked("reverse", payment.authority) == 1


def test_a_payment_settled_after_its_business_was_purged_is_still_recorded_and_refunded(
        app: BillingApplication) -> None:
    _, _, started = start(app)
    tenant = uuid.UUID(app.payment(None, started["payment_id"])["tenant_id"])
    policies.handle(app, app, inbound(purged(tenant)))  # the name's key is destroyed while at the bank
    settled = callback(app, started["payment_id"], started["redirect_url"], "captured_then_fail")
    # The order no longer takes it: reversed at once, not verified; nothing stored the name again.
    assert settled["state"] == "refunded" and settled["reason"] == "business_purged"
    assert app.settlement.reconcile(CAUSE)["refunded"] == 0


def test_a_renewal_paid_after_its_business_was_deleted_is_refunded_not_granted(app: BillingApplication,
                                                                               bank: FakeGateway) -> None:
    customer, tenant = uuid.uuid4(), uuid.uuid4()
    app.save(BusinessAccount(tenant_id=tenant, owner_user_id=customer,
                             business_name=Personal(business_subject(tenant), "کافه نارنج"), business_type="trading"))
    renewal = {"kind": "renewal", "tenant_id": str(tenant), "products": ["accounting"], "period_months": 12}
    _, order_id, started = start(app, customer, renewal)
    policies.handle(app, app, inbound(purged(tenant)))  # the deletion runs while the customer is at the bank
    settled = callback(app, started["payment_id"], started["redirect_url"], "success")
    assert settled["state"] == "refunded" and settled["reason"] == "business_purged"  # reversed, not verified
    assert bank.asked("verify", authority_of(app, started["payment_id"])) == 0
    assert not app.order(customer, order_id)["paid"]
    events = published(app, started["payment_id"])
    assert not any(isinstance(e, contracts.PaymentSucceededV1) for e in events)  # no access granted (BI-3)
    failed = next(e for e in events if isinstance(e, contracts.PaymentFailedV1))
    assert failed.reason == "business_purged" and failed.money_taken
    assert app.settlement.reconcile(CAUSE)["refunded"] == 0
    assert app.payment(None, started["payment_id"])["state"] == "refunded"


def test_a_tampered_amount_is_refunded_not_granted(app: BillingApplication) -> None:
    _, _, started = start(app)
    settled = callback(app, started["payment_id"], started["redirect_url"], "success", paid_amount="1000")
    assert settled["state"] == "refund_scheduled" and settled["reason"] == "amount_mismatch"
    assert not any(isinstance(e, contracts.PaymentSucceededV1) for e in published(app, started["payment_id"]))


def test_the_callback_is_never_trusted(app: BillingApplication) -> None:
    _, _, started = start(app)
    # A forged "OK" before anything was paid changes nothing: the gateway is asked.
    forged = app.settlement.payment_callback(started["payment_id"], "A0", "OK", CAUSE)
    assert forged["state"] == "pending"
    with pytest.raises(DomainError, match="not_found"):
        app.settlement.payment_callback(str(uuid.uuid4()), "A0", "OK", CAUSE)
    with pytest.raises(DomainError, match="not_found"):
        app.settlement.payment_callback("../etc", "A0", "OK", CAUSE)


def test_a_forged_nok_does_not_fail_a_paid_payment(app: BillingApplication, bank: FakeGateway) -> None:
    _, _, started = start(app)
    back = bank.pay(started["redirect_url"], "success")
    assert back is not None
    assert app.settlement.payment_callback(started["payment_id"], back[0], "NOK", CAUSE)["state"] == "succeeded"


def test_an_unreachable_gateway_leaves_the_payment_pending(app: BillingApplication, bank: FakeGateway) -> None:
    _, _, started = start(app)
    back = bank.pay(started["redirect_url"], "success")
    assert back is not None
    bank.unavailable = True
    assert app.settlement.payment_callback(started["payment_id"], *back, CAUSE)["state"] == "pending"
    bank.unavailable = False
    assert app.settlement.reconcile(CAUSE)["settled"] == 1  # the reconciler asks again
    assert app.payment(None, started["payment_id"])["state"] == "succeeded"


def test_verify_codes_that_say_nothing_about_the_payment_are_asked_again(app: BillingApplication,
                                                                        bank: FakeGateway) -> None:
    _, _, started = start(app)
    back = bank.pay(started["redirect_url"], "success")
    assert back is not None
    for code in (-12, -10):  # too many attempts; our terminal misconfigured
        bank.verify_code = code
        assert app.settlement.payment_callback(started["payment_id"], *back, CAUSE)["state"] == "pending"
    bank.verify_code = None
    assert app.settlement.payment_callback(started["payment_id"], *back, CAUSE)["state"] == "succeeded"


def test_a_second_paid_payment_of_one_order_is_refunded(app: BillingApplication) -> None:
    customer, order_id, first = start(app)
    second = app.start_payment(customer, order_id, None, CAUSE)
    callback(app, first["payment_id"], first["redirect_url"], "success")
    settled = callback(app, second["payment_id"], second["redirect_url"], "success")
    assert settled["state"] == "refunded" and settled["reason"] == "order_already_paid"


def test_an_order_changed_while_at_the_bank_is_not_granted(app: BillingApplication, bank: FakeGateway) -> None:
    customer, order_id, started = start(app)
    app.change_order(customer, order_id, NEW_ORDER | {"products": ["accounting"]}, CAUSE)
    settled = callback(app, started["payment_id"], started["redirect_url"], "success")
    assert settled["state"] == "refunded" and settled["reason"] == "order_changed"
    assert settled["refund"]["refund_reference"] == "reversed"
    authority = authority_of(app, started["payment_id"])
    assert bank.asked("verify", authority) == 0 and bank.asked("reverse", authority) == 1
    assert not app.order(customer, order_id)["paid"]


def test_a_timeout_is_settled_by_the_reconciler(app: BillingApplication, bank: FakeGateway) -> None:
    _, _, started = start(app)
    assert bank.pay(started["redirect_url"], "timeout") is None
    app.settlement.reconcile(CAUSE)
    assert app.payment(None, started["payment_id"])["state"] == "pending"  # the bank is still busy
    bank.settle(authority_of(app, started["payment_id"]))
    later(app, timedelta(minutes=1))
    assert app.settlement.reconcile(CAUSE)["settled"] == 1
    assert app.payment(None, started["payment_id"])["state"] == "succeeded"


def test_money_after_we_gave_up_goes_back(app: BillingApplication, bank: FakeGateway) -> None:
    _, _, started = start(app)
    bank.pay(started["redirect_url"], "timeout")
    later(app, timedelta(hours=2))
    assert app.settlement.reconcile(CAUSE)["gave_up"] == 1
    gave_up = app.payment(None, started["payment_id"])
    assert gave_up["state"] == "failed" and gave_up["reason"] == "timeout" and not gave_up["money_taken"]
    bank.settle(authority_of(app, started["payment_id"]))
    app.settlement.reconcile(CAUSE)
    assert app.payment(None, started["payment_id"])["state"] == "failed"  # not asked again so soon
    later(app, timedelta(minutes=10))  # gone-quiet payments are asked at most every ten minutes
    app.settlement.reconcile(CAUSE)  # finds the late money, schedules its refund and returns it
    assert app.payment(None, started["payment_id"])["state"] == "refunded"
    kinds = [type(e) for e in published(app, started["payment_id"])]
    assert kinds == [contracts.PaymentFailedV1, contracts.RefundScheduledV1, contracts.RefundCompletedV1]


def test_a_payment_silent_for_72_hours_is_no_longer_followed(app: BillingApplication, bank: FakeGateway) -> None:
    _, _, started = start(app)
    bank.pay(started["redirect_url"], "timeout")
    later(app, timedelta(hours=2))
    app.settlement.reconcile(CAUSE)
    later(app, timedelta(hours=72))
    app.settlement.reconcile(CAUSE)
    asked = bank.asked("inquiry", authority_of(app, started["payment_id"]))
    later(app, timedelta(hours=1))
    app.settlement.reconcile(CAUSE)
    assert bank.asked("inquiry", authority_of(app, started["payment_id"])) == asked


def test_a_refund_that_keeps_failing_alerts_an_operator_before_the_deadline(app: BillingApplication,
                                                                            bank: FakeGateway) -> None:
    payment_id = late_success(app)
    bank.refund_outage = True
    assert app.settlement.reconcile(CAUSE)["refund_failures"] == 1
    assert app.settlement.reconcile(CAUSE)["refund_failures"] == 0  # backing off
    view = app.payment(None, payment_id)
    assert view["refund"]["attempts"] == 1 and not view["refund"]["operator_alert"]
    assert view["refund"]["last_error"] == "HTTP 503"
    later(app, timedelta(hours=61))
    app.settlement.reconcile(CAUSE)
    view = app.payment(None, payment_id)
    assert view["refund"]["operator_alert"] and view["state"] == "refund_scheduled"
    assert any(e.__class__.__name__ == "RefundAttemptFailed" and getattr(e, "alert", False)
               for e in app.repository.event_store.get(uuid.UUID(payment_id)))
    assert app.settlement.refund_health()["refunds_open"] == 1
    bank.refund_outage = False
    later(app, timedelta(hours=1))
    app.settlement.reconcile(CAUSE)
    done = app.payment(None, payment_id)
    assert done["state"] == "refunded" and done["refund"]["refunded_at"]["iso"] < done["refund"]["deadline"]["iso"]
    assert app.settlement.refund_health() == {"refunds_open": 0, "refunds_blocked": 0,
                                              "oldest_refund_deadline": None}


def test_after_the_reverse_window_the_refund_api_gives_the_money_back(app: BillingApplication,
                                                                     bank: FakeGateway) -> None:
    payment_id = late_success(app)
    bank.reverse_window_open = False
    app.settlement.reconcile(CAUSE)
    view = app.payment(None, payment_id)
    assert view["state"] == "refunded" and view["refund"]["refund_reference"].startswith("refund-38")
    assert view["bank"]["ref_id"] and bank.asked("add_refund", authority_of(app, payment_id)) == 1


def _never_verified(app: BillingApplication) -> str:
    _, _, started = start(app)
    settled = callback(app, started["payment_id"], started["redirect_url"], "captured_then_fail")
    assert settled["state"] == "refund_scheduled", settled
    return str(settled["payment_id"])


@pytest.mark.parametrize("made, refund_refused, error", [
    (_never_verified, False, "no transaction number"),
    (late_success, True, "AddRefund refused"),
])
def test_a_refund_refused_for_good_is_blocked_for_an_operator_and_replay_retries_it(
        app: BillingApplication, bank: FakeGateway, made: object, refund_refused: bool, error: str) -> None:
    bank.reverse_window_open, bank.refund_refused = False, refund_refused
    assert callable(made)
    payment_id = made(app)
    app.settlement.reconcile(CAUSE)
    blocked = app.payment(None, payment_id)
    assert blocked["state"] == "refund_blocked" and error in blocked["refund"]["last_error"], blocked
    assert app.settlement.refund_health()["refunds_blocked"] == 1
    assert app.settlement.blocked_refunds == [uuid.UUID(payment_id)]
    letter = app.settlement.blocked_refund_letter(uuid.UUID(payment_id))
    assert letter is not None and letter.type == "RefundBlocked" and letter.producer == "billing"
    assert app.settlement.reconcile(CAUSE)["refunded"] == 0  # blocked: no retries until an operator acts
    assert isinstance(published(app, payment_id)[-1], contracts.RefundBlockedV1)

    # The operator fixes the cause and replays the dead letter: billing tries the refund again.
    bank.reverse_window_open, bank.refund_refused = True, False
    policies.handle(app, app, inbound(contracts.RefundBlockedV1.model_validate(letter.payload)))
    assert app.payment(None, payment_id)["state"] == "refunded"
    assert app.settlement.refund_health()["refunds_blocked"] == 0


def test_no_letter_for_a_refund_that_is_not_blocked(app: BillingApplication) -> None:
    _, _, started = start(app)
    assert app.settlement.blocked_refund_letter(uuid.UUID(started["payment_id"])) is None
    assert app.settlement.blocked_refund_letter(uuid.uuid4()) is None


def test_an_idempotent_payment_start(app: BillingApplication) -> None:
    customer, order_id, _ = start(app)
    first = app.start_payment(customer, order_id, "pay-1", CAUSE)
    assert app.start_payment(customer, order_id, "pay-1", CAUSE) == first
    other = app.place_order(customer, NEW_ORDER, None, CAUSE)["order_id"]
    refused("idempotency_key_reused", lambda: app.start_payment(customer, other, "pay-1", CAUSE))


def test_payments_are_shown_to_their_customer_only(app: BillingApplication) -> None:
    customer, _, started = start(app)
    assert app.payment(customer, started["payment_id"])["state"] == "pending"
    refused("not_found", lambda: app.payment(uuid.uuid4(), started["payment_id"]))
    refused("not_found", lambda: app.payment(None, "not-an-id"))


def test_open_payments_are_found_again_from_the_log_after_a_restart(bank: FakeGateway) -> None:
    app = memory_app(bank)
    _, _, started = start(app)
    bank.pay(started["redirect_url"], "success")
    # A fresh Settlement on the same store (a restarted process) knows nothing in memory.
    restarted = type(app.settlement)(app.records, bank, app.limits, inquiry_after=timedelta(0),
                                     give_up_after=timedelta(hours=1), refund_retry_base=timedelta(seconds=30))
    assert restarted.reconcile(CAUSE)["settled"] == 1
    assert app.payment(None, started["payment_id"])["state"] == "succeeded"


def test_the_refund_promise_gauges_count_open_refunds_and_the_oldest_ones_age(app: BillingApplication) -> None:
    assert app.settlement.refund_figures() == {"billing_refunds_pending": 0, "billing_refund_oldest_age_seconds": 0}
    _, _, started = start(app)
    callback(app, started["payment_id"], started["redirect_url"], "captured_then_fail")
    later(app, timedelta(hours=2))
    figures = app.settlement.refund_figures()
    assert figures["billing_refunds_pending"] == 1
    assert 7200 <= figures["billing_refund_oldest_age_seconds"] < 7200 + 60  # against the 259200 s deadline
    assert app.settlement.reconcile(CAUSE)["refunded"] == 1
    assert app.settlement.refund_figures() == {"billing_refunds_pending": 0, "billing_refund_oldest_age_seconds": 0}


def test_payments_still_at_the_bank_are_read_once_and_asked_about_when_due(bank: FakeGateway,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue #16: at 20 payments a second hundreds are at the bank at once, and the reconciler runs
    every 10 s. A pass reads a payment only until it knows it is too young to ask about; its next
    event in the log (an outcome) or its age brings it back."""
    app = memory_app(bank, inquiry_after=timedelta(minutes=10))
    paid, *busy = [start(app)[2] for _ in range(3)]
    for started in busy:
        assert bank.pay(started["redirect_url"], "timeout") is None
        bank.settle(authority_of(app, started["payment_id"]))  # captured; its callback never comes
    reads = counted_reads(app, monkeypatch)
    for _ in range(3):
        assert app.settlement.reconcile(CAUSE)["settled"] == 0
        later(app, timedelta(seconds=10))
    payment_ids = [uuid.UUID(s["payment_id"]) for s in (paid, *busy)]
    assert [reads[i] for i in payment_ids] == [1, 1, 1]
    assert [bank.asked("inquiry", authority_of(app, str(i))) for i in payment_ids] == [0, 0, 0]

    callback(app, paid["payment_id"], paid["redirect_url"], "success")  # its outcome: in the log
    reads.clear()
    app.settlement.reconcile(CAUSE)
    assert reads[payment_ids[0]] == 1  # read, found settled, let go: not read again to be sure
    assert app.settlement.refund_figures()["billing_refunds_pending"] == 0
    later(app, timedelta(minutes=10))
    assert app.settlement.reconcile(CAUSE)["settled"] == 2  # due now: each asked once and settled
    assert [app.payment(None, s["payment_id"])["state"] for s in busy] == ["succeeded", "succeeded"]
    assert bank.asked("inquiry", authority_of(app, paid["payment_id"])) == 1  # its callback's, not the reconciler's


def test_a_callback_reads_its_payment_once(app: BillingApplication, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue #16: the payment read to check the callback is the one its settlement starts from, and
    the answer shows it as saved; only a lost race reads it again."""
    _, _, started = start(app)
    payment_id = uuid.UUID(started["payment_id"])
    reads = counted_reads(app, monkeypatch)
    answer = callback(app, started["payment_id"], started["redirect_url"], "success")
    assert reads[payment_id] == 1
    stored = app.payment(None, started["payment_id"])  # (its view also says where its official invoice is)
    assert answer["state"] == "succeeded" and answer == {key: stored[key] for key in answer}
