"""Notices for provisioning's events (PR-1 … PR-5): the business is ready."""

from __future__ import annotations

from services.notifications.notices import NoticeTemplate, Templates
from services.notifications.render import named, number, optional
from shared.events.provisioning import TenantProvisionedV1

CHART_NAMES = {
    "service": {"fa": "خدماتی", "en": "service"},
    "manufacturing": {"fa": "تولیدی", "en": "manufacturing"},
    "trading": {"fa": "بازرگانی", "en": "trading"},
    "educational": {"fa": "آموزشی", "en": "educational"},
}

NOTICES: Templates = {
    TenantProvisionedV1: (NoticeTemplate(
        "provisioning.tenant_provisioned", to="admin_user_id",
        formats={"chart": named(CHART_NAMES),
                 "accounts": optional({"fa": " با {} حساب", "en": " ({} accounts)"}),
                 # The seats besides the admin's own.
                 "others": lambda seats, locale: number(seats - 1, locale)},
        fa="کسب‌وکار «{business_name}» آماده است: کدینگ حساب‌های {chart_of_accounts:chart}"
           "{chart_account_count:accounts}، شما و {seats:others} کاربر دیگر، پشتیبانی تا {support_until}. "
           "برای هماهنگی آموزش اولیهٔ رایگان با شما تماس می‌گیریم.",
        en="Your business {business_name} is ready: the {chart_of_accounts:chart} chart of accounts"
           "{chart_account_count:accounts}, you and {seats:others} more users, support until {support_until}. "
           "We will call to arrange your free initial training."),),
}
