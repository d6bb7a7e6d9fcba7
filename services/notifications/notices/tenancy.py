"""Notices for tenancy's events (TE-1 … TE-3, the subscription's end and return): Persian
with Persian digits and Jalali dates, English too (NO-1)."""

from __future__ import annotations

from services.notifications.notices import NoticeTemplate, Templates
from shared.events.tenancy import (
    LimitsRaisedV1,
    MemberAddedV1,
    SubscriptionExtendedV1,
    TenantLapsedV1,
    TenantReactivatedV1,
)

NOTICES: Templates = {
    TenantLapsedV1: (NoticeTemplate(
        "tenancy.tenant_lapsed", to="admin_user_id",
        fa="اشتراک «{business_name}» در {lapsed_at} به پایان رسید. "
           "گزارش‌ها تا سه ماه قابل دریافت است؛ برای ادامهٔ کار تمدید کنید.",
        en="The subscription of {business_name} ended on {lapsed_at}. "
           "Reports stay downloadable for three months; renew to keep working."),),
    # The admin seated at activation hears of the payment instead (no added_by); a change of
    # rights is not news by SMS.
    MemberAddedV1: (NoticeTemplate(
        "tenancy.member_added", to="user_id", requires=("added_by_user_id",), matches={"reason": "added"},
        fa="شما به کسب‌وکار «{business_name}» افزوده شدید. برای شروع کار وارد حساب خود شوید.",
        en="You were added to the business {business_name}. Log in to start working there."),),
    LimitsRaisedV1: (NoticeTemplate(
        "tenancy.limits_raised", to="admin_user_id",
        fa="سقف‌های «{business_name}» افزایش یافت: {max_organizations} سازمان، "
           "{max_concurrent_users} کاربر هم‌زمان در هر سازمان، {max_members} کاربر.",
        en="The limits of {business_name} were raised: {max_organizations} organizations, "
           "{max_concurrent_users} concurrent users per organization, {max_members} users."),),
    SubscriptionExtendedV1: (NoticeTemplate(
        "tenancy.subscription_extended", to="admin_user_id",
        fa="اشتراک «{business_name}» تا {subscription_ends_at} تمدید شد.",
        en="The subscription of {business_name} was renewed until {subscription_ends_at}."),),
    TenantReactivatedV1: (NoticeTemplate(
        "tenancy.tenant_reactivated", to="admin_user_id",
        fa="«{business_name}» دوباره تا {subscription_ends_at} فعال شد و حذف اطلاعات آن لغو شد.",
        en="{business_name} is active again until {subscription_ends_at}; its scheduled deletion is off."),),
}
