"""The deletion timeline's dates (AR-1): three calendar months after the lapse, reminders
30, 7 and 1 days before. Pure functions; no dateutil."""

from __future__ import annotations

import calendar
from datetime import UTC, datetime, timedelta

from shared.kernel.i18n import TEHRAN

GRACE_MONTHS = 3  # AR-1: deleted three months after the subscription lapses
REMINDER_DAYS = (30, 7, 1)  # days before deletion that the admin is told (NO-1)


def add_calendar_months(moment: datetime, months: int) -> datetime:
    """The same wall-clock time ``months`` calendar months later, in Tehran (where the
    customer reads the date); a day the target month lacks is clamped to its last day
    (30 November + 3 months = 28 or 29 February)."""
    local = moment.astimezone(TEHRAN)
    index = local.month - 1 + months
    year, month = local.year + index // 12, index % 12 + 1
    day = min(local.day, calendar.monthrange(year, month)[1])
    return local.replace(year=year, month=month, day=day).astimezone(UTC)


def deletion_due(lapsed_at: datetime) -> datetime:
    return add_calendar_months(lapsed_at, GRACE_MONTHS)


def reminder_at(deletion_due_at: datetime, days_before: int) -> datetime:
    return deletion_due_at - timedelta(days=days_before)
