"""NO-1: Persian digits in Persian text; dates in the Jalali calendar, read in Tehran time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import jdatetime
import pytest

from shared.kernel.i18n import TEHRAN, jalali_date, jalali_datetime, persian_digits

LATIN = "0123456789"
PERSIAN = "۰۱۲۳۴۵۶۷۸۹"


def test_persian_digits_translates_every_digit() -> None:
    assert persian_digits(LATIN) == PERSIAN
    assert persian_digits("کد شما 042913 است") == "کد شما ۰۴۲۹۱۳ است"


def test_persian_digits_leaves_everything_else_alone() -> None:
    assert persian_digits("") == ""
    assert persian_digits("abc-/:") == "abc-/:"
    assert persian_digits(PERSIAN) == PERSIAN
    assert persian_digits("٠١٢") == "٠١٢"


@pytest.mark.parametrize(
    ("moment", "en", "fa"),
    [
        (datetime(2026, 3, 21, 0, 0, tzinfo=TEHRAN), "1405/01/01", "۱۴۰۵/۰۱/۰۱"),  # Nowruz 1405
        (datetime(2026, 3, 20, 23, 59, tzinfo=TEHRAN), "1404/12/29", "۱۴۰۴/۱۲/۲۹"),  # last day of 1404
        (datetime(2026, 11, 28, 12, 0, tzinfo=TEHRAN), "1405/09/07", "۱۴۰۵/۰۹/۰۷"),
        (datetime(2025, 3, 21, 12, 0, tzinfo=TEHRAN), "1404/01/01", "۱۴۰۴/۰۱/۰۱"),
        (datetime(2024, 3, 20, 12, 0, tzinfo=TEHRAN), "1403/01/01", "۱۴۰۳/۰۱/۰۱"),
        (datetime(2025, 3, 20, 12, 0, tzinfo=TEHRAN), "1403/12/30", "۱۴۰۳/۱۲/۳۰"),  # 1403 is a leap year
        (datetime(2026, 9, 22, 12, 0, tzinfo=TEHRAN), "1405/06/31", "۱۴۰۵/۰۶/۳۱"),
        (datetime(2026, 9, 23, 12, 0, tzinfo=TEHRAN), "1405/07/01", "۱۴۰۵/۰۷/۰۱"),
    ],
)
def test_known_jalali_dates(moment: datetime, en: str, fa: str) -> None:
    assert jalali_date(moment, "en") == en
    assert jalali_date(moment, "fa") == fa
    assert jalali_date(moment) == fa  # Persian is the default


def test_agrees_with_jdatetime_over_a_year() -> None:
    start = datetime(2026, 1, 1, 12, 0, tzinfo=TEHRAN)
    for day in range(400):
        moment = start + timedelta(days=day)
        expected = jdatetime.date.fromgregorian(date=moment.date())
        assert jalali_date(moment, "en") == f"{expected.year:04d}/{expected.month:02d}/{expected.day:02d}"


def test_fa_uses_only_persian_digits_and_en_only_latin() -> None:
    moment = datetime(2026, 11, 28, 9, 5, tzinfo=UTC)
    fa, en = jalali_date(moment, "fa"), jalali_date(moment, "en")
    assert not any(ch in LATIN for ch in fa)
    assert all(ch in PERSIAN + "/" for ch in fa)
    assert all(ch in LATIN + "/" for ch in en)
    fa_time, en_time = jalali_datetime(moment, "fa"), jalali_datetime(moment, "en")
    assert not any(ch in LATIN for ch in fa_time)
    assert en_time == "1405/09/07 12:35"
    assert fa_time == persian_digits(en_time)


@pytest.mark.parametrize(
    ("utc", "en"),
    [
        (datetime(2026, 11, 27, 20, 29, tzinfo=UTC), "1405/09/06"),  # 23:59 in Tehran
        (datetime(2026, 11, 27, 20, 30, tzinfo=UTC), "1405/09/07"),  # 00:00 in Tehran
        (datetime(2026, 11, 27, 21, 0, tzinfo=UTC), "1405/09/07"),  # still 27 November in UTC
        (datetime(2026, 3, 20, 20, 30, tzinfo=UTC), "1405/01/01"),  # Nowruz begins before UTC midnight
        (datetime(2026, 3, 20, 20, 29, tzinfo=UTC), "1404/12/29"),
    ],
)
def test_dates_are_read_in_tehran_time(utc: datetime, en: str) -> None:
    assert jalali_date(utc, "en") == en


def test_tehran_is_utc_plus_three_thirty_all_year() -> None:
    # Iran stopped observing daylight saving in 2022.
    for month in (1, 4, 7, 10):
        assert datetime(2026, month, 1, tzinfo=TEHRAN).utcoffset() == timedelta(hours=3, minutes=30)
    assert jalali_datetime(datetime(2026, 7, 1, 0, 0, tzinfo=UTC), "en") == "1405/04/10 03:30"


def test_other_zones_are_converted_to_tehran() -> None:
    new_york = datetime(2026, 11, 27, 16, 0, tzinfo=ZoneInfo("America/New_York"))  # 21:00 UTC
    assert jalali_date(new_york, "en") == "1405/09/07"
    assert jalali_datetime(new_york, "en") == "1405/09/07 00:30"
