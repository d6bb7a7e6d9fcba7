"""Notices for archival's events (AR-1 … AR-4, NO-1): the coming deletion, its reminders, a
ready export, a completed restore. Persian digits and Jalali dates in Persian."""

from __future__ import annotations

from services.notifications.notices import NoticeTemplate, Templates
from services.notifications.render import named
from shared.events.archival import ArchivalScheduledV1, DeletionReminderV1, ExportReadyV1, RestoreCompletedV1

# A format's name as people say it: no Latin letters in a Persian text.
FORMAT_NAMES = {"xlsx": {"fa": "اکسل", "en": "Excel"}, "csv": {"fa": "سی‌اس‌وی", "en": "CSV"},
                "json": {"fa": "جی‌سان", "en": "JSON"}}

NOTICES: Templates = {
    ArchivalScheduledV1: (NoticeTemplate(
        "archival.scheduled", to="admin_user_id",
        fa="اطلاعات «{business_name}» در {deletion_due_at} حذف می‌شود. "
           "تا آن زمان گزارش‌ها و خروجی‌ها رایگان است؛ برای حفظ اطلاعات تمدید کنید.",
        en="The data of {business_name} will be deleted on {deletion_due_at}. "
           "Until then you can take reports and exports free of charge, or renew to keep everything."),),
    DeletionReminderV1: (NoticeTemplate(
        "archival.reminder_{days_before}", to="admin_user_id",
        fa="یادآوری: اطلاعات «{business_name}» {days_before} روز دیگر، در {deletion_due_at} حذف می‌شود. "
           "گزارش‌ها و خروجی‌ها را بگیرید یا تمدید کنید.",
        en="Reminder: the data of {business_name} will be deleted in {days_before} day(s), on "
           "{deletion_due_at}. Take your reports and exports, or renew."),),
    ExportReadyV1: (NoticeTemplate(
        "archival.export_ready", to="requested_by_user_id", formats={"format": named(FORMAT_NAMES)},
        fa="فایل خروجی {format:format} شما آماده است و تا {available_until} قابل دریافت است.",
        en="Your {format:format} export is ready to download until {available_until}."),),
    RestoreCompletedV1: (NoticeTemplate(
        "archival.restored", to="requested_by_user_id",
        fa="اطلاعات «{business_name}» از نسخهٔ پشتیبان {backup_taken_at} بازگردانده شد.",
        en="The data of {business_name} was restored from the backup of {backup_taken_at}."),),
}
