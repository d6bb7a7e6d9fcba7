"""Billing's SMS notices (BI-2, NO-1): Persian with Persian digits and Jalali dates, English
too, and the two failure messages: money taken (refund promised) or not (ask the bank)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from services.notifications.notices import notices_for
from shared.events import billing

PAYER = uuid.uuid4()
COMMON = {"payment_id": uuid.uuid4(), "order_id": uuid.uuid4(), "tenant_id": uuid.uuid4(), "payer_user_id": PAYER,
          "amount_rials": 148_500_000, "gateway": "zarinpal"}
CAPTURED = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)


def texts(event: billing.IntegrationEvent) -> tuple[str, str, str]:
    (notice,) = notices_for(event)
    assert notice.user_id == PAYER
    return notice.template, notice.text("fa"), notice.text("en")


def test_a_failure_without_money_taken_says_so_and_points_to_the_bank() -> None:
    template, fa, en = texts(billing.PaymentFailedV1(**COMMON, reason="cancelled_by_customer", money_taken=False))
    assert template == "billing.payment_failed"
    assert "برداشت نشده" in fa and "۷۲" in fa and "۱۴۸٬۵۰۰٬۰۰۰" in fa
    assert "no money was taken" in en and "returns within 72 hours" in en


def test_a_failure_with_money_taken_promises_the_refund() -> None:
    _, fa, en = texts(billing.PaymentFailedV1(**COMMON, reason="verification_failed", money_taken=True))
    assert "بازمی‌گردد" in fa and "refunded automatically within 72 hours" in en


def test_the_refund_notice_names_the_jalali_deadline() -> None:
    _, fa, en = texts(billing.RefundScheduledV1(
        **COMMON, refund_id=uuid.uuid4(), gateway_reference="A1", captured_at=CAPTURED,
        refund_deadline=CAPTURED + timedelta(hours=72)))
    assert "۱۴۰۵/۰۹/۱۰" in fa and "1405/09/10" in en


def test_success_and_refund_completed_are_told() -> None:
    template, fa, en = texts(billing.RefundCompletedV1(
        **COMMON, refund_id=uuid.uuid4(), refund_reference="reverse-A1", refunded_at=CAPTURED,
        refund_deadline=CAPTURED + timedelta(hours=72)))
    assert template == "billing.refund_completed" and "۱۴۰۵/۰۹/۰۷" in fa and "refunded" in en
    common = {k: v for k, v in COMMON.items()}
    template, fa, en = texts(billing.PaymentSucceededV1(
        **common, invoice_id=uuid.uuid4(), kind="new", business_name="کافه نارنج", business_type="trading",
        products=("accounting",), period_start=CAPTURED, period_end=CAPTURED + timedelta(days=365),
        vat_rials=13_500_000, gateway_reference="200001"))
    assert template == "billing.payment_succeeded" and "کافه نارنج" in fa and "۲۰۰۰۰۱" in fa and "200001" in en
