"""Notices for archival's events (AR-1 … AR-4, NO-1): the coming deletion, its reminders, a
ready export, a completed restore. Persian digits and Jalali dates in Persian."""

from __future__ import annotations

from services.notifications.notices import Notice, NoticesOf
from services.notifications.templates import SupportLine
from shared.events.archival import ArchivalScheduledV1, DeletionReminderV1, ExportReadyV1, RestoreCompletedV1
from shared.events.base import IntegrationEvent
from shared.kernel.i18n import jalali_date, persian_digits


def _scheduled(event: ArchivalScheduledV1, _support: SupportLine) -> list[Notice]:
    def text(locale: str) -> str:
        if locale == "en":
            return (f"The data of {event.business_name} will be deleted on {jalali_date(event.deletion_due_at, 'en')}. "
                    "Until then you can take reports and exports free of charge, or renew to keep everything.")
        return (f"اطلاعات «{event.business_name}» در {jalali_date(event.deletion_due_at, 'fa')} حذف می‌شود. "
                "تا آن زمان گزارش‌ها و خروجی‌ها رایگان است؛ برای حفظ اطلاعات تمدید کنید.")
    return [Notice(event.admin_user_id, "archival.scheduled", text)]


def _reminder(event: DeletionReminderV1, _support: SupportLine) -> list[Notice]:
    def text(locale: str) -> str:
        if locale == "en":
            return (f"Reminder: the data of {event.business_name} will be deleted in {event.days_before} day(s), on "
                    f"{jalali_date(event.deletion_due_at, 'en')}. Take your reports and exports, or renew.")
        return (f"یادآوری: اطلاعات «{event.business_name}» {persian_digits(str(event.days_before))} روز دیگر، در "
                f"{jalali_date(event.deletion_due_at, 'fa')} حذف می‌شود. گزارش‌ها و خروجی‌ها را بگیرید یا تمدید کنید.")
    return [Notice(event.admin_user_id, f"archival.reminder_{event.days_before}", text)]


# A format's name as people say it: no Latin letters in a Persian text.
FORMAT_NAMES = {"xlsx": ("اکسل", "Excel"), "csv": ("سی‌اس‌وی", "CSV"), "json": ("جی‌سان", "JSON")}


def _export_ready(event: ExportReadyV1, _support: SupportLine) -> list[Notice]:
    format_fa, format_en = FORMAT_NAMES[event.format]

    def text(locale: str) -> str:
        if locale == "en":
            return (f"Your {format_en} export is ready to download until "
                    f"{jalali_date(event.available_until, 'en')}.")
        return (f"فایل خروجی {format_fa} شما آماده است و تا {jalali_date(event.available_until, 'fa')} "
                "قابل دریافت است.")
    return [Notice(event.requested_by_user_id, "archival.export_ready", text)]


def _restored(event: RestoreCompletedV1, _support: SupportLine) -> list[Notice]:
    def text(locale: str) -> str:
        if locale == "en":
            return (f"The data of {event.business_name} was restored from the backup of "
                    f"{jalali_date(event.backup_taken_at, 'en')}.")
        return (f"اطلاعات «{event.business_name}» از نسخهٔ پشتیبان {jalali_date(event.backup_taken_at, 'fa')} "
                "بازگردانده شد.")
    return [Notice(event.requested_by_user_id, "archival.restored", text)]


NOTICES: dict[type[IntegrationEvent], NoticesOf] = {
    ArchivalScheduledV1: _scheduled, DeletionReminderV1: _reminder, ExportReadyV1: _export_ready,
    RestoreCompletedV1: _restored,
}
