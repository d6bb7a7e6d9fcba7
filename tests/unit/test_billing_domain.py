"""Billing's domain rules without a store (BI-1, BI-2): months, the refund back-off that never
waits past the alert point, the alert raised once, and what an idempotency key names."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from services.billing.domain import Payment, add_months, keyed_id

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
    assert failed.refund is not None and failed.refund["deadline"] == T0 + timedelta(hours=72)
    now, alerts, tries = T0, 0, 0
    while now < T0 + timedelta(hours=72):
        tries += 1
        assert tries < 500, "the back-off stopped moving forward"
        assert failed.refund_due(now)
        alerts += failed.refund_attempt_failed("outage", now, timedelta(seconds=30))
        next_try = failed.refund["next_try_at"]
        # Never waits past the alert point (deadline − 12 h) without another try.
        assert next_try - now <= timedelta(hours=1)
        if now < T0 + timedelta(hours=60):
            assert next_try <= T0 + timedelta(hours=60)
        assert next_try > now
        now = next_try
    assert alerts == 1 and failed.refund["alerted"]
    failed.refunded("reverse-A1", now)
    assert failed.state == "refunded" and not failed.refund_due(now + timedelta(hours=1))


def test_one_refund_try_at_a_time_and_a_dead_try_lapses() -> None:
    """AddRefund has no idempotency key: replicas take turns through a claim the store decides."""
    from services.billing.domain import REFUND_CLAIM

    p = payment()
    p.fail("order_changed", T0, captured=True)
    assert p.claim_refund(T0) and not p.claim_refund(T0 + timedelta(seconds=1))  # another replica waits
    assert p.claim_refund(T0 + REFUND_CLAIM)  # the first died mid-call: its claim lapsed
    p.refund_attempt_failed("outage", T0 + REFUND_CLAIM, timedelta(seconds=30))
    assert not p.claim_refund(T0 + REFUND_CLAIM)  # backing off
    assert p.claim_refund(T0 + REFUND_CLAIM + timedelta(seconds=30))
    p.refunded("reversed", T0 + REFUND_CLAIM + timedelta(seconds=31))
    assert not p.claim_refund(T0 + timedelta(days=1)) and p.state == "refunded"
