"""Notices for tenancy's events (TE-1 … TE-3, the subscription's end and return): Persian
with Persian digits and Jalali dates, English too (NO-1)."""

from __future__ import annotations

from services.notifications.notices import Notice, NoticesOf
from services.notifications.templates import SupportLine
from shared.events.base import IntegrationEvent
from shared.events.tenancy import (
    LimitsRaisedV1,
    MemberAddedV1,
    SubscriptionExtendedV1,
    TenantLapsedV1,
    TenantReactivatedV1,
)
from shared.kernel.i18n import jalali_date, persian_digits


def _lapsed(event: TenantLapsedV1, _support: SupportLine) -> list[Notice]:
    def text(locale: str) -> str:
        if locale == "en":
            return (f"The subscription of {event.business_name} ended on {jalali_date(event.lapsed_at, 'en')}. "
                    "Reports stay downloadable for three months; renew to keep working.")
        return (f"اشتراک «{event.business_name}» در {jalali_date(event.lapsed_at, 'fa')} به پایان رسید. "
                "گزارش‌ها تا سه ماه قابل دریافت است؛ برای ادامهٔ کار تمدید کنید.")
    return [Notice(event.admin_user_id, "tenancy.tenant_lapsed", text)]


def _member_added(event: MemberAddedV1, _support: SupportLine) -> list[Notice]:
    # The admin seated at activation hears of the payment instead; a change of rights is not news by SMS.
    if event.added_by_user_id is None or event.reason != "added":
        return []

    def text(locale: str) -> str:
        if locale == "en":
            return f"You were added to the business {event.business_name}. Log in to start working there."
        return f"شما به کسب‌وکار «{event.business_name}» افزوده شدید. برای شروع کار وارد حساب خود شوید."
    return [Notice(event.user_id, "tenancy.member_added", text)]


def _limits_raised(event: LimitsRaisedV1, _support: SupportLine) -> list[Notice]:
    if event.admin_user_id is None:
        return []
    name = event.business_name or ""

    def text(locale: str) -> str:
        numbers = (event.max_organizations, event.max_concurrent_users, event.max_members)
        if locale == "en":
            return (f"The limits of {name} were raised: {numbers[0]} organizations, {numbers[1]} concurrent "
                    f"users per organization, {numbers[2]} users.")
        fa = [persian_digits(str(n)) for n in numbers]
        return (f"سقف‌های «{name}» افزایش یافت: {fa[0]} سازمان، {fa[1]} کاربر هم‌زمان در هر سازمان، "
                f"{fa[2]} کاربر.")
    return [Notice(event.admin_user_id, "tenancy.limits_raised", text)]


def _extended(event: SubscriptionExtendedV1, _support: SupportLine) -> list[Notice]:
    if event.admin_user_id is None:
        return []

    def text(locale: str) -> str:
        if locale == "en":
            return (f"The subscription of {event.business_name} was renewed until "
                    f"{jalali_date(event.subscription_ends_at, 'en')}.")
        return f"اشتراک «{event.business_name}» تا {jalali_date(event.subscription_ends_at, 'fa')} تمدید شد."
    return [Notice(event.admin_user_id, "tenancy.subscription_extended", text)]


def _reactivated(event: TenantReactivatedV1, _support: SupportLine) -> list[Notice]:
    def text(locale: str) -> str:
        if locale == "en":
            return (f"{event.business_name} is active again until {jalali_date(event.subscription_ends_at, 'en')}; "
                    "its scheduled deletion is off.")
        return (f"«{event.business_name}» دوباره تا {jalali_date(event.subscription_ends_at, 'fa')} فعال شد "
                "و حذف داده‌های آن لغو شد.")
    return [Notice(event.admin_user_id, "tenancy.tenant_reactivated", text)]


NOTICES: dict[type[IntegrationEvent], NoticesOf] = {
    TenantLapsedV1: _lapsed, MemberAddedV1: _member_added, LimitsRaisedV1: _limits_raised,
    SubscriptionExtendedV1: _extended, TenantReactivatedV1: _reactivated,
}
