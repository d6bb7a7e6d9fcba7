"""Notices for provisioning's events (PR-1 … PR-5): the business is ready."""

from __future__ import annotations

from services.notifications.notices import Notice, NoticesOf
from services.notifications.templates import SupportLine
from shared.events.base import IntegrationEvent
from shared.events.provisioning import TenantProvisionedV1
from shared.kernel.i18n import jalali_date, persian_digits

CHART_NAMES = {
    "service": ("خدماتی", "service"),
    "manufacturing": ("تولیدی", "manufacturing"),
    "trading": ("بازرگانی", "trading"),
    "educational": ("آموزشی", "educational"),
}


def _provisioned(event: TenantProvisionedV1, _support: SupportLine) -> list[Notice]:
    chart_fa, chart_en = CHART_NAMES[event.chart_of_accounts]
    accounts = event.chart_account_count

    def text(locale: str) -> str:
        if locale == "en":
            chart = f"the {chart_en} chart of accounts" + (f" ({accounts} accounts)" if accounts else "")
            return (f"Your business {event.business_name} is ready: {chart}, you and {event.seats - 1} more users, "
                    f"support until {jalali_date(event.support_until, 'en')}. "
                    "We will call to arrange your free initial training.")
        chart = f"کدینگ حساب‌های {chart_fa}" + (f" با {persian_digits(str(accounts))} حساب" if accounts else "")
        return (f"کسب‌وکار «{event.business_name}» آماده است: {chart}، شما و "
                f"{persian_digits(str(event.seats - 1))} کاربر دیگر، "
                f"پشتیبانی تا {jalali_date(event.support_until, 'fa')}. "
                "برای هماهنگی آموزش اولیهٔ رایگان با شما تماس می‌گیریم.")
    return [Notice(event.admin_user_id, "provisioning.tenant_provisioned", text)]


NOTICES: dict[type[IntegrationEvent], NoticesOf] = {TenantProvisionedV1: _provisioned}
