"""Notices for billing's events (BI-2, BI-3, BI-4, NO-1): what a payment did with the
customer's money, in Persian (Persian digits, Jalali dates) and English. The bank's tracking
number is told when it is one (digits only); a gateway's internal reference never is."""

from __future__ import annotations

from services.notifications.notices import Notice, NoticesOf
from services.notifications.templates import SupportLine
from shared.events.base import IntegrationEvent
from shared.events.billing import (
    EducationalLicenceGrantedV1,
    PaymentFailedV1,
    PaymentSucceededV1,
    RefundCompletedV1,
    RefundScheduledV1,
)
from shared.kernel.i18n import jalali_date, jalali_datetime, persian_digits


def rials(amount: int, locale: str) -> str:
    text = f"{amount:,}"
    return persian_digits(text.replace(",", "٬")) if locale == "fa" else text


def _tracking(reference: str | None, locale: str) -> str:
    """A bank's tracking number, as ' (ref 123456)'; nothing for any other kind of reference."""
    if not reference or not reference.isascii() or not reference.isdigit():
        return ""
    return f" (ref {reference})" if locale == "en" else f" (کد پیگیری {persian_digits(reference)})"


def _succeeded(event: PaymentSucceededV1, _support: SupportLine) -> list[Notice]:
    def text(locale: str) -> str:
        tracking = _tracking(event.gateway_reference, locale)
        if locale == "en":
            return (f"Payment of {rials(event.amount_rials, 'en')} rials for {event.business_name} succeeded"
                    f"{tracking}. Access is active until {jalali_date(event.period_end, 'en')}.")
        return (f"پرداخت {rials(event.amount_rials, 'fa')} ریال برای «{event.business_name}» موفق بود{tracking}. "
                f"دسترسی تا {jalali_date(event.period_end, 'fa')} فعال است.")
    return [Notice(event.payer_user_id, "billing.payment_succeeded", text)]


def _failed(event: PaymentFailedV1, _support: SupportLine) -> list[Notice]:
    def text(locale: str) -> str:
        amount = rials(event.amount_rials, locale)
        if event.money_taken:  # a RefundScheduled notice follows with the deadline and the support line
            if locale == "en":
                return (f"Your payment of {amount} rials could not be completed, but the money was taken. "
                        "It will be refunded automatically within 72 hours.")
            return (f"پرداخت {amount} ریال شما انجام نشد اما مبلغ کسر شده است؛ "
                    "این مبلغ ظرف ۷۲ ساعت خودکار به حساب شما بازمی‌گردد.")
        if locale == "en":
            return (f"Your payment of {amount} rials did not go through; no money was taken. "
                    "If your bank shows a charge it returns within 72 hours; otherwise ask your bank.")
        return (f"پرداخت {amount} ریال شما انجام نشد و مبلغی از حساب شما برداشت نشده است. "
                "اگر بانک کسر مبلغ نشان می‌دهد، ظرف ۷۲ ساعت برمی‌گردد؛ در غیر این صورت با بانک خود تماس بگیرید.")
    return [Notice(event.payer_user_id, "billing.payment_failed", text)]


def _refund_scheduled(event: RefundScheduledV1, support: SupportLine) -> list[Notice]:
    def text(locale: str) -> str:
        amount = rials(event.amount_rials, locale)
        if locale == "en":
            return (f"The {amount} rials taken by your failed payment will be refunded by "
                    f"{jalali_datetime(event.refund_deadline, 'en')} (Iran time). "
                    f"If it has not arrived by then, call support: {support.phone('en')}.")
        return (f"مبلغ {amount} ریال پرداخت ناموفق شما تا {jalali_datetime(event.refund_deadline, 'fa')} "
                "به حساب شما بازگردانده می‌شود. "
                f"اگر تا آن زمان نرسید، با پشتیبانی تماس بگیرید: {support.phone('fa')}")
    return [Notice(event.payer_user_id, "billing.refund_scheduled", text)]


def _refund_completed(event: RefundCompletedV1, _support: SupportLine) -> list[Notice]:
    # The gateway's refund reference (e.g. reverse-A000…) is for operators, not in the text.
    def text(locale: str) -> str:
        amount = rials(event.amount_rials, locale)
        if locale == "en":
            return f"{amount} rials were refunded to your card on {jalali_date(event.refunded_at, 'en')}."
        return (f"بازپرداخت انجام شد: مبلغ {amount} ریال در {jalali_date(event.refunded_at, 'fa')} "
                "به کارت شما بازگردانده شد.")
    return [Notice(event.payer_user_id, "billing.refund_completed", text)]


def _licence_granted(event: EducationalLicenceGrantedV1, _support: SupportLine) -> list[Notice]:
    def text(locale: str) -> str:
        if locale == "en":
            return (f"The educational licence of {event.institution_name} was approved; the educational edition "
                    f"is free until {jalali_date(event.period_end, 'en')}.")
        return (f"مجوز آموزشی «{event.institution_name}» تأیید شد؛ نسخهٔ آموزشی تا "
                f"{jalali_date(event.period_end, 'fa')} رایگان در اختیار شماست.")
    return [Notice(event.applicant_user_id, "billing.educational_licence_granted", text)]


NOTICES: dict[type[IntegrationEvent], NoticesOf] = {
    PaymentSucceededV1: _succeeded,
    PaymentFailedV1: _failed,
    RefundScheduledV1: _refund_scheduled,
    RefundCompletedV1: _refund_completed,
    EducationalLicenceGrantedV1: _licence_granted,
}
