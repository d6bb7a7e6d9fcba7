"""Persian for people: Persian digits in Persian text, Jalali dates in Tehran time (NO-1)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import jdatetime

TEHRAN = ZoneInfo("Asia/Tehran")
_TO_PERSIAN = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")


def persian_digits(text: str) -> str:
    return text.translate(_TO_PERSIAN)


def jalali_date(moment: datetime, locale: str = "fa") -> str:
    """e.g. ۱۴۰۵/۰۹/۰۷ (fa) or 1405/09/07 (en): the Jalali calendar either way."""
    local = jdatetime.datetime.fromgregorian(datetime=moment.astimezone(TEHRAN))
    text = local.strftime("%Y/%m/%d")
    return persian_digits(text) if locale == "fa" else text


def jalali_datetime(moment: datetime, locale: str = "fa") -> str:
    local = jdatetime.datetime.fromgregorian(datetime=moment.astimezone(TEHRAN))
    text = local.strftime("%Y/%m/%d %H:%M")
    return persian_digits(text) if locale == "fa" else text


def when(moment: datetime | str | None, locale: str | None = None) -> dict[str, str] | None:
    """A moment as people and programs read it: ISO 8601 (UTC) and the Jalali date in
    ``locale``; without a locale, in both (``jalali`` in Persian digits, ``jalali_latin``)."""
    if moment is None:
        return None
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    if locale is None:
        return {"utc": moment.isoformat(), "jalali": jalali_date(moment, "fa"),
                "jalali_latin": jalali_date(moment, "en")}
    return {"utc": moment.isoformat(), "jalali": jalali_date(moment, locale)}
