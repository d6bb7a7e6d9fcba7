"""What archival's events make notifications say (NO-1, AR-4): the reminder SMS in Persian
digits with a Jalali date, and ExportReady to the one who asked."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from services.notifications.notices import notices_for
from shared.events.archival import DeletionReminderV1, ExportReadyV1


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
