"""Archival's pure parts: calendar months, the reminder rule, notices' texts (AR-1, NO-1)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from services.archival.calendar import add_calendar_months, deletion_due
from services.archival.domain import Business
from services.notifications.notices import notices_for
from shared.events.archival import DeletionReminderV1, ExportReadyV1
from shared.kernel.subject_keys import Personal

TEHRAN_NOON = 8, 30  # 12:00 in Tehran (UTC+3:30) is 08:30 UTC


@pytest.mark.parametrize(("lapse", "due"), [
    (datetime(2026, 3, 10, *TEHRAN_NOON, tzinfo=UTC), datetime(2026, 6, 10, *TEHRAN_NOON, tzinfo=UTC)),
    (datetime(2026, 11, 30, *TEHRAN_NOON, tzinfo=UTC), datetime(2027, 2, 28, *TEHRAN_NOON, tzinfo=UTC)),
    (datetime(2027, 11, 30, *TEHRAN_NOON, tzinfo=UTC), datetime(2028, 2, 29, *TEHRAN_NOON, tzinfo=UTC)),  # leap
    (datetime(2026, 10, 15, *TEHRAN_NOON, tzinfo=UTC), datetime(2027, 1, 15, *TEHRAN_NOON, tzinfo=UTC)),
    # 22:00 UTC on 31 May is 1 June in Tehran: three months later is 1 September there
    (datetime(2026, 5, 31, 22, 0, tzinfo=UTC), datetime(2026, 8, 31, 22, 0, tzinfo=UTC)),
])
def test_three_calendar_months_clamped_to_the_month_s_end(lapse: datetime, due: datetime) -> None:
    assert deletion_due(lapse) == due


def test_months_cross_years_both_ways() -> None:
    moment = datetime(2026, 1, 31, 8, 30, tzinfo=UTC)
    assert add_calendar_months(moment, 13) == datetime(2027, 2, 28, 8, 30, tzinfo=UTC)
    assert add_calendar_months(moment, 0) == moment


def scheduled_business(lapse: datetime) -> Business:
    business = Business(uuid.uuid4())
    business.lapse(Personal("business:x", "فروشگاه"), uuid.uuid4(), lapse)
    return business


def test_each_reminder_once_and_a_jump_tells_only_the_nearest() -> None:
    lapse = datetime(2026, 3, 10, 8, 30, tzinfo=UTC)
    business = scheduled_business(lapse)
    due = deletion_due(lapse)
    assert business.reminders_due(due - timedelta(days=31)) == []
    business.remind(due - timedelta(days=30))
    assert business.reminders_due(due - timedelta(days=29)) == []
    business.remind(due - timedelta(hours=12))  # the clock jumped past the 7- and 1-day marks
    reminded = [e for e in business.collect_events() if isinstance(e, Business.DeletionReminderDue)]  # type: ignore[attr-defined]
    assert [(e.days_before, e.overtaken) for e in reminded] == [(30, []), (1, [7])]
    assert business.reminders_due(due - timedelta(hours=1)) == [] and business.purge_due(due)


def test_the_reminder_sms_has_persian_digits_and_a_jalali_date() -> None:
    reminder = DeletionReminderV1(tenant_id=uuid.uuid4(), business_name="فروشگاه آفتاب", admin_user_id=uuid.uuid4(),
                                  days_before=7, deletion_due_at=datetime(2026, 6, 10, 8, 30, tzinfo=UTC))
    (notice,) = notices_for(reminder)
    assert notice.user_id == reminder.admin_user_id and notice.template == "archival.reminder_7"
    assert "۷ روز" in notice.text("fa") and "۱۴۰۵/۰۳/۲۰" in notice.text("fa")
    assert "in 7 day(s)" in notice.text("en") and "1405/03/20" in notice.text("en")
    ready = ExportReadyV1(export_id=uuid.uuid4(), tenant_id=uuid.uuid4(), requested_by_user_id=uuid.uuid4(),
                          format="xlsx", size_bytes=10, sha256="0" * 64,
                          available_until=datetime(2026, 6, 10, 8, 30, tzinfo=UTC))
    assert notices_for(ready)[0].user_id == ready.requested_by_user_id
