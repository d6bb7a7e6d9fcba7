"""Billing's domain rules without a store (BI-1, BI-2): months, the refund back-off that never
waits past the alert point, the alert raised once, and what an idempotency key names."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from services.billing.domain import (
    REFUND_CLAIM,
    BusinessAccount,
    EducationalApplication,
    Order,
    Payment,
    add_months,
    keyed_id,
    name_of,
    storable,
)
from shared.kernel.errors import DomainError
from shared.kernel.subject_keys import Personal, business_subject

T0 = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)
PURCHASE = {"kind": "new", "business_name": "x", "business_type": "trading", "products": ["accounting"],
            "period_months": 12, "extra_organizations": 0, "extra_concurrent_users": 0}


def payment() -> Payment:
    return Payment(payment_id=uuid.uuid4(), order_id=uuid.uuid4(), invoice_id=uuid.uuid4(),
                   customer_user_id=uuid.uuid4(), tenant_id=uuid.uuid4(), purchase=PURCHASE,
                   amount_rials=110_000_000, vat_rials=10_000_000,
                   gateway="zarinpal", authority="A1", redirect_url="http://x", fingerprint="f", started_at=T0)


def test_months_end_on_the_last_day_of_a_short_month() -> None:
    assert add_months(datetime(2026, 1, 31, tzinfo=UTC), 1) == datetime(2026, 2, 28, tzinfo=UTC)
    assert add_months(T0, 12) == datetime(2027, 11, 28, 10, 0, tzinfo=UTC)
    assert add_months(datetime(2026, 8, 31, tzinfo=UTC), 6) == datetime(2027, 2, 28, tzinfo=UTC)


def test_a_key_names_one_thing_per_user_and_kind() -> None:
    user = uuid.uuid4()
    assert keyed_id("order", user, "k") == keyed_id("order", user, "k")
    assert keyed_id("order", user, "k") != keyed_id("payment", user, "k") != keyed_id("order", uuid.uuid4(), "k")


def test_decided_payments_do_not_change_twice() -> None:
    paid = payment()
    paid.succeed("200001", T0)
    paid.succeed("200002", T0 + timedelta(minutes=1))
    paid.fail("declined", T0)
    assert paid.state == "succeeded" and paid.reference == "200001"
    assert len(paid.collect_events()) == 2  # Started, Succeeded


def test_refund_back_off_alerts_once_within_12_hours_of_the_deadline() -> None:
    failed = payment()
    failed.fail("verification_failed", T0, captured=True)
    assert failed.refund is not None and failed.refund.deadline == T0 + timedelta(hours=72)
    now, alerts, tries = T0, 0, 0
    while now < T0 + timedelta(hours=72):
        tries += 1
        assert tries < 500, "the back-off stopped moving forward"
        assert failed.refund_due(now)
        alerts += failed.refund_attempt_failed("outage", now, timedelta(seconds=30))
        next_try = failed.refund.next_try_at
        # Never waits past the alert point (deadline − 12 h) without another try.
        assert next_try - now <= timedelta(hours=1)
        if now < T0 + timedelta(hours=60):
            assert next_try <= T0 + timedelta(hours=60)
        assert next_try > now
        now = next_try
    assert alerts == 1 and failed.refund.alerted
    failed.refunded("reverse-A1", now)
    assert failed.state == "refunded" and not failed.refund_due(now + timedelta(hours=1))


def test_one_refund_try_at_a_time_and_a_dead_try_lapses() -> None:
    """AddRefund has no idempotency key: replicas take turns through a claim the store decides."""
    p = payment()
    p.fail("order_changed", T0, captured=True)
    assert p.claim_refund(T0) and not p.claim_refund(T0 + timedelta(seconds=1))  # another replica waits
    assert p.claim_refund(T0 + REFUND_CLAIM)  # the first died mid-call: its claim lapsed
    p.refund_attempt_failed("outage", T0 + REFUND_CLAIM, timedelta(seconds=30))
    assert not p.claim_refund(T0 + REFUND_CLAIM)  # backing off
    assert p.claim_refund(T0 + REFUND_CLAIM + timedelta(seconds=30))
    p.refunded("reversed", T0 + REFUND_CLAIM + timedelta(seconds=31))
    assert not p.claim_refund(T0 + timedelta(days=1)) and p.state == "refunded"


# -- Order (BI-1) --------------------------------------------------------------------------------

INVOICE = {"lines": [{"item": "accounting", "description": "d", "quantity": 1, "unit_price_rials": 100,
                      "amount_rials": 100}], "subtotal_rials": 100, "discount_rials": 0, "vat_percent": 10,
           "vat_rials": 10, "total_rials": 110}


def order(**purchase: object) -> Order:
    return Order(order_id=uuid.uuid4(), customer_user_id=uuid.uuid4(), tenant_id=uuid.uuid4(),
                 purchase=PURCHASE | purchase, fingerprint="f")


def test_an_order_starts_at_revision_one_without_an_invoice() -> None:
    placed = order()
    assert placed.revision == 1 and placed.invoice is None and placed.paid_by is None and placed.kind == "new"
    with pytest.raises(DomainError, match="invoice_outdated"):
        placed.check_payable()


def test_an_invoice_names_the_revision_and_kind_it_was_priced_for() -> None:
    placed = order()
    invoice_id = uuid.uuid4()
    invoice = placed.issue_invoice(invoice_id, INVOICE)
    assert invoice["invoice_id"] == str(invoice_id) and invoice["order_revision"] == 1 and invoice["kind"] == "new"
    assert placed.invoice_current() and placed.check_payable() == invoice
    assert placed.issue_invoice(uuid.uuid4(), INVOICE) == invoice  # recalculating a current invoice: no change
    assert [type(e).__name__ for e in placed.collect_events()] == ["Placed", "InvoiceIssued"]


def test_a_change_is_a_new_revision_that_outdates_the_invoice() -> None:
    placed = order()
    placed.issue_invoice(uuid.uuid4(), INVOICE)
    placed.change(PURCHASE | {"period_months": 6})
    assert placed.revision == 2 and not placed.invoice_current()
    error = refused_by(lambda: placed.check_payable())
    assert error.code == "invoice_outdated" and error.details == {"order_revision": 2, "invoice_revision": 1}
    assert placed.issue_invoice(uuid.uuid4(), INVOICE)["order_revision"] == 2 and placed.invoice_current()


def test_the_same_purchase_again_is_no_change() -> None:
    placed = order()
    placed.change(dict(PURCHASE))
    assert placed.revision == 1 and len(placed.collect_events()) == 1


def test_a_sealed_name_equals_its_plain_text_when_comparing_revisions() -> None:
    placed = order()
    placed.change(PURCHASE | {"business_name": Personal(business_subject(placed.tenant_id), "x")})
    assert placed.revision == 1


def test_an_orders_kind_cannot_change() -> None:
    assert refused_by(lambda: order().change(PURCHASE | {"kind": "renewal"})).code == "order_kind_fixed"


def test_an_order_belongs_to_its_customer_only() -> None:
    placed = order()
    placed.check_customer(placed.customer_user_id)
    assert refused_by(lambda: placed.check_customer(uuid.uuid4())).code == "not_found"


def test_nothing_to_pay_on_a_free_invoice() -> None:
    placed = order()
    placed.issue_invoice(uuid.uuid4(), INVOICE | {"vat_rials": 0, "total_rials": 0})
    assert refused_by(placed.check_payable).code == "nothing_to_pay"


def test_the_first_payment_of_the_current_invoice_pays_the_order_and_later_ones_are_refused() -> None:
    placed = order()
    invoice_id = uuid.UUID(placed.issue_invoice(uuid.uuid4(), INVOICE)["invoice_id"])
    first, second = uuid.uuid4(), uuid.uuid4()
    assert placed.mark_paid(first, invoice_id) is None and placed.paid_by == first
    assert placed.mark_paid(first, invoice_id) is None  # the same payment again: still paid by it
    assert placed.mark_paid(second, invoice_id) == "order_already_paid"
    assert refused_by(placed.check_open).code == "order_already_paid"
    assert refused_by(lambda: placed.change(PURCHASE | {"period_months": 6})).code == "order_already_paid"
    assert [type(e).__name__ for e in placed.collect_events()].count("Paid") == 1


def test_a_payment_of_an_older_invoice_or_revision_is_refused() -> None:
    placed = order()
    old = uuid.UUID(placed.issue_invoice(uuid.uuid4(), INVOICE)["invoice_id"])
    assert placed.refusal_of(uuid.uuid4(), uuid.uuid4()) == "order_changed"  # not its invoice
    placed.change(PURCHASE | {"period_months": 6})
    assert placed.mark_paid(uuid.uuid4(), old) == "order_changed" and placed.paid_by is None


def test_a_business_whose_name_was_shredded_takes_no_payment() -> None:
    forgotten = Personal(business_subject(uuid.uuid4()), None)  # as a name reads once its key is gone
    placed = order(business_name=forgotten)
    invoice_id = uuid.UUID(placed.issue_invoice(uuid.uuid4(), INVOICE)["invoice_id"])
    assert placed.refusal_of(uuid.uuid4(), invoice_id) == "business_purged"
    assert storable(placed.purchase)["business_name"] == forgotten.reveal()


# -- Payment (BI-2, BI-3) ------------------------------------------------------------------------


def test_a_payment_starts_pending_and_carries_the_facts_every_event_needs() -> None:
    p = payment()
    assert p.state == "pending" and p.open and p.refund is None and p.bank_reference is None
    facts = p.facts()
    assert facts["payment_id"] == str(p.id) and facts["amount_rials"] == 110_000_000 and facts["gateway"] == "zarinpal"
    assert facts["purchase"] == PURCHASE


def test_success_sets_the_period_from_capture_and_keeps_the_receipt() -> None:
    p = payment()
    p.succeed("200001", T0, bank_receipt={"ref_id": "200001", "card_pan": "5022******5995"})
    assert p.state == "succeeded" and p.captured_at == T0 and not p.open
    assert p.period == (T0, datetime(2027, 11, 28, 10, 0, tzinfo=UTC)) and p.bank_reference == "200001"


def test_a_failure_without_capture_schedules_no_refund() -> None:
    p = payment()
    p.fail("cancelled_by_customer", T0)
    assert p.state == "failed" and p.reason == "cancelled_by_customer" and p.refund is None and not p.open
    assert [type(e).__name__ for e in p.collect_events()] == ["Started", "Failed"]


def test_a_failure_after_capture_schedules_the_refund_due_in_72_hours() -> None:
    p = payment()
    p.fail("amount_mismatch", T0, captured=True)
    assert p.state == "refund_scheduled" and p.reason == "amount_mismatch" and p.open
    assert p.refund is not None and p.refund.deadline == T0 + timedelta(hours=72) and p.refund.attempts == 0
    assert p.refund_due(T0) and p.reference == p.authority
    assert [type(e).__name__ for e in p.collect_events()] == ["Started", "Failed", "RefundScheduled"]


def test_a_timed_out_payment_stays_open_and_late_money_goes_back() -> None:
    p = payment()
    p.fail("timeout", T0)
    assert p.state == "failed" and p.open  # the money may still arrive
    p.fail("late_success", T0 + timedelta(hours=2), captured=True, reference="200009",
           bank_receipt={"ref_id": "200009"})
    assert p.state == "refund_scheduled" and p.reason == "timeout" and p.bank_reference == "200009"
    assert p.refund is not None and p.refund.deadline == T0 + timedelta(hours=74)
    names = [type(e).__name__ for e in p.collect_events()]
    assert names == ["Started", "Failed", "ReceiptKept", "RefundScheduled"]


def test_a_blocked_refund_waits_for_an_operator_then_is_due_again() -> None:
    p = payment()
    p.fail("verification_failed", T0, captured=True)
    p.refund_blocked("AddRefund refused", T0 + timedelta(minutes=1))
    assert p.state == "refund_blocked" and p.open and not p.refund_due(T0 + timedelta(days=1))
    assert p.refund is not None and p.refund.blocked_at == T0 + timedelta(minutes=1)
    assert p.refund.last_error == "AddRefund refused"
    p.refund_blocked("again", T0 + timedelta(minutes=2))  # blocked once
    p.unblock_refund(T0 + timedelta(hours=1))
    assert p.state == "refund_scheduled" and p.refund.blocked_at is None and p.refund_due(T0 + timedelta(hours=1))
    p.refunded("refund-1", T0 + timedelta(hours=1))
    assert p.state == "refunded" and p.refund.refund_reference == "refund-1" and not p.open
    p.unblock_refund(T0 + timedelta(hours=2))  # nothing to unblock
    assert p.state == "refunded"


def test_only_a_scheduled_refund_completes() -> None:
    p = payment()
    p.refunded("reversed", T0)
    p.refund_blocked("x", T0)
    assert p.state == "pending" and p.refund is None


def test_errors_are_kept_short() -> None:
    p = payment()
    p.fail("verification_failed", T0, captured=True)
    p.refund_attempt_failed("e" * 1000, T0, timedelta(seconds=30))
    assert p.refund is not None and len(p.refund.last_error or "") == 300


def test_a_payment_rebuilt_from_its_events_has_the_same_refund() -> None:
    """State is rebuilt from stored events (scalars): the refund comes back the same."""
    p = payment()
    p.fail("verification_failed", T0, captured=True)
    p.claim_refund(T0)
    p.refund_attempt_failed("outage", T0, timedelta(seconds=30))
    rebuilt = None
    for domain_event in p.collect_events():
        rebuilt = domain_event.mutate(rebuilt)
    assert isinstance(rebuilt, Payment) and rebuilt.refund == p.refund and rebuilt.state == p.state


# -- BusinessAccount and EducationalApplication (AR-3, BI-4) -------------------------------------


def test_a_restore_renames_only_a_shredded_business() -> None:
    tenant = uuid.uuid4()
    account = BusinessAccount(tenant_id=tenant, owner_user_id=uuid.uuid4(), business_name="old",
                              business_type="trading")
    account.restored_as(Personal(business_subject(tenant), "new"))
    assert account.business_name == "old"  # a readable name stays
    account.business_name = Personal(business_subject(tenant), None)
    account.restored_as(Personal(business_subject(tenant), "new"))
    assert name_of(account.business_name) == "new"


def application() -> EducationalApplication:
    tenant = uuid.uuid4()
    return EducationalApplication(application_id=uuid.uuid4(), applicant_user_id=uuid.uuid4(),
                                  institution_name="دانشگاه", licence_number="123/A",
                                  contact=Personal("user:x", "+989121234567"), tenant_id=tenant, fingerprint="f")


def test_approval_grants_a_period_once() -> None:
    app, support = application(), uuid.uuid4()
    assert app.state == "submitted"
    app.approve(support, {"total_rials": 0}, T0, 12)
    app.approve(uuid.uuid4(), {"total_rials": 0}, T0 + timedelta(days=1), 12)  # a double click
    assert app.state == "approved" and app.decided_by == support
    assert app.period == (T0, datetime(2027, 11, 28, 10, 0, tzinfo=UTC))
    assert [type(e).__name__ for e in app.collect_events()] == ["Submitted", "Approved"]
    assert refused_by(lambda: app.reject(support, "late")).code == "application_already_decided"


def test_a_rejected_application_cannot_be_approved() -> None:
    app = application()
    app.reject(uuid.uuid4(), "expired")
    app.reject(uuid.uuid4(), "again")
    assert app.state == "rejected" and app.invoice is None
    error = refused_by(lambda: app.approve(uuid.uuid4(), {}, T0, 12))
    assert error.code == "application_already_decided" and error.details == {"state": "rejected"}


def refused_by(action: Callable[[], object]) -> DomainError:
    with pytest.raises(DomainError) as caught:
        action()
    return caught.value
