"""The deletion timeline's dates (AR-1): three calendar months after the lapse in Tehran's wall
time, clamped to the month's end; reminders 30, 7 and 1 days before."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.archival.calendar import add_calendar_months, deletion_due, reminder_at

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


def test_a_reminder_is_whole_days_before_the_deletion() -> None:
    due = datetime(2026, 6, 10, 8, 30, tzinfo=UTC)
    assert reminder_at(due, 7) == due - timedelta(days=7)
