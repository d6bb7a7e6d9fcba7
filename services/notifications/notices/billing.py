"""Notices for billing's events (BI-2, BI-3, BI-4, NO-1): what a payment did with the
customer's money, in Persian (Persian digits, Jalali dates) and English. The bank's tracking
number is told when it is one (digits only); a gateway's internal reference never is, nor a
refund's reference (e.g. reverse-A000…: for operators, not for the text)."""

from __future__ import annotations

from services.notifications.notices import NoticeTemplate, Templates
from services.notifications.render import optional
from shared.events.billing import (
    EducationalLicenceGrantedV1,
    PaymentFailedV1,
    PaymentSucceededV1,
    RefundCompletedV1,
    RefundScheduledV1,
)


def _bank_tracking_number(reference: str | None) -> bool:
    return reference is not None and reference.isascii() and reference.isdigit()


TRACKING = optional({"fa": " (کد پیگیری {})", "en": " (ref {})"}, shown=_bank_tracking_number)

NOTICES: Templates = {
    PaymentSucceededV1: (NoticeTemplate(
        "billing.payment_succeeded", to="payer_user_id", formats={"tracking": TRACKING},
        fa="پرداخت {amount_rials:rials} ریال برای «{business_name}» موفق بود{gateway_reference:tracking}. "
           "دسترسی تا {period_end} فعال است.",
        en="Payment of {amount_rials:rials} rials for {business_name} succeeded{gateway_reference:tracking}. "
           "Access is active until {period_end}."),),
    PaymentFailedV1: (
        # Money taken: a RefundScheduled notice follows with the deadline and the support line.
        NoticeTemplate(
            "billing.payment_failed", to="payer_user_id", matches={"money_taken": True},
            fa="پرداخت {amount_rials:rials} ریال شما انجام نشد اما مبلغ کسر شده است؛ "
               "این مبلغ ظرف ۷۲ ساعت خودکار به حساب شما بازمی‌گردد.",
            en="Your payment of {amount_rials:rials} rials could not be completed, but the money was taken. "
               "It will be refunded automatically within 72 hours."),
        NoticeTemplate(
            "billing.payment_failed", to="payer_user_id", matches={"money_taken": False},
            fa="پرداخت {amount_rials:rials} ریال شما انجام نشد و مبلغی از حساب شما برداشت نشده است. "
               "اگر بانک کسر مبلغ نشان می‌دهد، ظرف ۷۲ ساعت برمی‌گردد؛ در غیر این صورت با بانک خود تماس بگیرید.",
            en="Your payment of {amount_rials:rials} rials did not go through; no money was taken. "
               "If your bank shows a charge it returns within 72 hours; otherwise ask your bank."),
    ),
    RefundScheduledV1: (NoticeTemplate(
        "billing.refund_scheduled", to="payer_user_id",
        fa="مبلغ {amount_rials:rials} ریال پرداخت ناموفق شما تا {refund_deadline:datetime} "
           "به حساب شما بازگردانده می‌شود. "
           "اگر تا آن زمان نرسید، با پشتیبانی تماس بگیرید: {support}",
        en="The {amount_rials:rials} rials taken by your failed payment will be refunded by "
           "{refund_deadline:datetime} (Iran time). "
           "If it has not arrived by then, call support: {support}."),),
    RefundCompletedV1: (NoticeTemplate(
        "billing.refund_completed", to="payer_user_id",
        fa="بازپرداخت انجام شد: مبلغ {amount_rials:rials} ریال در {refunded_at} به کارت شما بازگردانده شد.",
        en="{amount_rials:rials} rials were refunded to your card on {refunded_at}."),),
    EducationalLicenceGrantedV1: (NoticeTemplate(
        "billing.educational_licence_granted", to="applicant_user_id",
        fa="مجوز آموزشی «{institution_name}» تأیید شد؛ نسخهٔ آموزشی تا {period_end} رایگان در اختیار شماست.",
        en="The educational licence of {institution_name} was approved; the educational edition "
           "is free until {period_end}."),),
}
