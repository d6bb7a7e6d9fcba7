"""Depreciation schedules (PR-7) by the rules of the Article 149 table (the 1395 table), each
worked by hand in rials in the comment above its asserts."""

from __future__ import annotations

import pytest

from services.provisioning.depreciation import (
    Asset,
    IdlePeriod,
    Month,
    asset_from_request,
    category,
    first_month,
    jalali_date,
    jalali_month,
    schedule,
    table,
    to_view,
)
from shared.kernel.errors import DomainError


def test_the_start_month_is_the_month_of_readiness_only_when_ready_on_its_first_day() -> None:
    # «خلال ماه» is any day but the 1st: ready on 1 Mehr → Mehr counts; on 2 or 30 Mehr → from 1 Aban.
    assert first_month(jalali_date("1403/07/01")) == Month(1403, 7)
    assert first_month(jalali_date("1403/07/02")) == Month(1403, 8)
    assert first_month(jalali_date("۱۴۰۳/۰۷/۳۰")) == Month(1403, 8)
    assert first_month(jalali_date("1403/12/15")) == Month(1404, 1)  # Esfand → the next year's Farvardin
    assert table()["rules"]["start_month"]["first_day_counts"] is True


def test_a_concrete_building_straight_line_over_25_years() -> None:
    # 3,000,000,000 rials, ready 1403/01/01 (Farvardin counts), 25 years straight line:
    # a month 3,000,000,000 / (25 × 12 = 300) = 10,000,000; a year 120,000,000.
    # End of 1403: accumulated 120,000,000, book value 2,880,000,000; end of 1404: 240,000,000 /
    # 2,760,000,000. The 300th and last month is Esfand 1427 (1403 + 24 = 1427), book value 0.
    building = Asset(3_000_000_000, category("buildings_concrete_steel"), jalali_date("1403/01/01"))
    result = schedule(building)
    y1403, y1404 = result.years[:2]
    assert (y1403.months, y1403.depreciation, y1403.accumulated, y1403.closing_book_value) == (
        12, 120_000_000, 120_000_000, 2_880_000_000)
    assert (y1404.opening_book_value, y1404.depreciation, y1404.accumulated, y1404.closing_book_value) == (
        2_880_000_000, 120_000_000, 240_000_000, 2_760_000_000)
    assert all(row.depreciation == 10_000_000 for row in result.months)
    assert len(result.months) == 300 and result.last_month == Month(1427, 12)
    assert result.years[-1].closing_book_value == 0 and len(result.years) == 25


def test_a_computer_that_comes_into_use_mid_year() -> None:
    # 360,000,000 rials, 3 years straight line: 10,000,000 a month for 36 months.
    # Ready 15 Mehr 1403 → from 1 Aban: 1403 has Aban..Esfand = 5 months = 50,000,000 (book value
    # 310,000,000); 1404 and 1405 twelve months each (170,000,000 then 290,000,000 accumulated);
    # 1406 the last 7 months, Farvardin..Mehr = 70,000,000 → 360,000,000, book value 0. 5+12+12+7 = 36.
    computer = Asset(360_000_000, category("computers"), jalali_date("۱۴۰۳/۰۷/۱۵"))
    result = schedule(computer)
    assert result.first_month == Month(1403, 8) and result.last_month == Month(1406, 7)
    assert [(y.year, y.months, y.depreciation, y.accumulated, y.closing_book_value) for y in result.years] == [
        (1403, 5, 50_000_000, 50_000_000, 310_000_000),
        (1404, 12, 120_000_000, 170_000_000, 190_000_000),
        (1405, 12, 120_000_000, 290_000_000, 70_000_000),
        (1406, 7, 70_000_000, 360_000_000, 0)]
    # Ready on 1 Mehr instead: Mehr counts, 1403 has 6 months = 60,000,000.
    on_the_first = schedule(Asset(360_000_000, category("computers"), jalali_date("1403/07/01")))
    assert on_the_first.years[0].months == 6 and on_the_first.years[0].depreciation == 60_000_000


def test_other_buildings_declining_balance_on_each_years_opening_book_value() -> None:
    # 1,200,000,000 rials, «سایر ساختمان‌ها» 7% declining, ready 1403/01/01:
    # 1403: 1,200,000,000 × 7% = 84,000,000 → book value 1,116,000,000
    # 1404: 1,116,000,000 × 7% = 78,120,000 (6,510,000 a month) → 1,037,880,000
    # 1405: 1,037,880,000 × 7% = 72,651,600 → 965,228,400
    building = Asset(1_200_000_000, category("buildings_other"), jalali_date("1403/01/01"))
    result = schedule(building, through_year=1405)
    assert [(y.year, y.depreciation, y.closing_book_value) for y in result.years] == [
        (1403, 84_000_000, 1_116_000_000), (1404, 78_120_000, 1_037_880_000), (1405, 72_651_600, 965_228_400)]
    assert {row.depreciation for row in result.months if row.month.year == 1404} == {6_510_000}


def test_a_vehicle_on_a_declining_balance_that_starts_mid_year() -> None:
    # The 1395 table (as far as we could confirm) puts cars on 6 years straight line; a business
    # that keeps its books at 25% declining (the pre-1395 table's rate) gets this schedule, marked
    # as not the table's. 1,200,000,000 rials, ready 10 Tir 1403 → from 1 Mordad: 8 months in 1403.
    # 1403: 1,200,000,000 × 25% × 8/12 = 200,000,000 (25,000,000 a month) → 1,000,000,000
    # 1404: 1,000,000,000 × 25% = 250,000,000 → 750,000,000
    # 1405:   750,000,000 × 25% = 187,500,000 → 562,500,000
    # 1406:   562,500,000 × 25% = 140,625,000 → 421,875,000
    car = asset_from_request("۱٬۲۰۰٬۰۰۰٬۰۰۰", "passenger_vehicles", "1403/04/10", method="declining_balance",
                             rate_percent="25")
    assert car.cost == 1_200_000_000 and not car.table_policy
    result = schedule(car, through_year=1406)
    assert result.first_month == Month(1403, 5)
    assert [(y.year, y.months, y.depreciation, y.accumulated, y.closing_book_value) for y in result.years] == [
        (1403, 8, 200_000_000, 200_000_000, 1_000_000_000),
        (1404, 12, 250_000_000, 450_000_000, 750_000_000),
        (1405, 12, 187_500_000, 637_500_000, 562_500_000),
        (1406, 12, 140_625_000, 778_125_000, 421_875_000)]
    assert to_view(result)["table_policy"] is False
    # The table's own figure for the same car: 6 years straight line, 1,200,000,000 / 72 a month.
    table_car = schedule(asset_from_request(1_200_000_000, "passenger_vehicles", "1403/04/10"))
    assert len(table_car.months) == 72 and table_car.years[0].depreciation == round(1_200_000_000 * 8 / 72)


def test_an_idle_period_of_six_months_charges_30_percent_and_lengthens_the_life() -> None:
    # Machinery 1,200,000,000 rials, 10 years straight line (10,000,000 a month), ready 1403/01/01,
    # unused Farvardin..Shahrivar 1404 (6 months, so it counts):
    # 1404: 6 × 30% × 10,000,000 = 18,000,000 + 6 × 10,000,000 = 60,000,000 → 78,000,000
    # The 70% not charged (6 × 7,000,000 = 42,000,000) comes at the end: 4.2 months more. After
    # 1404, 1,200,000,000 − 198,000,000 = 1,002,000,000 is left = 100 months of 10,000,000 (1405/01
    # ..1413/04) and 2,000,000 in Mordad 1413, instead of ending in Esfand 1412.
    machine = Asset(1_200_000_000, category("machinery"), jalali_date("1403/01/01"),
                    idle=(IdlePeriod(jalali_month("1404/01"), jalali_month("۱۴۰۴/۰۶")),))
    result = schedule(machine)
    y1404 = result.years[1]
    assert (y1404.depreciation, y1404.idle_months, y1404.accumulated, y1404.closing_book_value) == (
        78_000_000, 6, 198_000_000, 1_002_000_000)
    assert [r.depreciation for r in result.months if r.month.year == 1404] == [3_000_000] * 6 + [10_000_000] * 6
    assert result.last_month == Month(1413, 5) and result.months[-1].depreciation == 2_000_000
    assert result.months[-1].book_value == 0


def test_a_shorter_idle_period_does_not_count() -> None:
    # Unused 5 months only (Farvardin..Mordad 1404): below the 6-month threshold, full charge:
    # 1404 = 12 × 10,000,000 = 120,000,000, and the life ends in Esfand 1412 as planned.
    machine = Asset(1_200_000_000, category("machinery"), jalali_date("1403/01/01"),
                    idle=(IdlePeriod(Month(1404, 1), Month(1404, 5)),))
    result = schedule(machine)
    assert result.years[1].depreciation == 120_000_000 and result.years[1].idle_months == 0
    assert result.last_month == Month(1412, 12)


def test_an_idle_declining_balance_charges_30_percent_of_the_rate() -> None:
    # «سایر ساختمان‌ها» 7%, 1,200,000,000, ready 1403/01/01, unused Mehr..Esfand 1403 (6 months):
    # a month 1,200,000,000 × 7% / 12 = 7,000,000; idle months 30% = 2,100,000.
    # 1403: 6 × 7,000,000 + 6 × 2,100,000 = 42,000,000 + 12,600,000 = 54,600,000 → 1,145,400,000
    # 1404: 1,145,400,000 × 7% = 80,178,000
    building = Asset(1_200_000_000, category("buildings_other"), jalali_date("1403/01/01"),
                     idle=(IdlePeriod(Month(1403, 7), Month(1403, 12)),))
    result = schedule(building, through_year=1404)
    assert [(y.depreciation, y.closing_book_value) for y in result.years] == [
        (54_600_000, 1_145_400_000), (80_178_000, 1_065_222_000)]


def test_a_declining_balance_below_5_percent_of_cost_goes_at_once() -> None:
    # 1,000,000 rials at 50% from 1400/01/01: 1400 500,000 (BV 500,000), 1401 250,000 (250,000),
    # 1402 125,000 (125,000), 1403 62,500 (62,500), 1404 31,250 (31,250). At the start of 1405
    # 31,250 < 5% × 1,000,000 = 50,000, so all 31,250 goes in Farvardin 1405. (1404 started at
    # 62,500 ≥ 50,000, so it ran normally.)
    asset = Asset(1_000_000, category("computers").overridden("declining_balance", 50), jalali_date("1400/01/01"))
    result = schedule(asset)
    assert [(y.year, y.depreciation, y.closing_book_value) for y in result.years] == [
        (1400, 500_000, 500_000), (1401, 250_000, 250_000), (1402, 125_000, 125_000),
        (1403, 62_500, 62_500), (1404, 31_250, 31_250), (1405, 31_250, 0)]
    assert result.months[-1].note == "remainder" and result.last_month == Month(1405, 1)


def test_salvage_stays_on_the_books() -> None:
    # 370,000,000 rials with a salvage of 10,000,000, 3 years: (370,000,000 − 10,000,000) / 36 =
    # 10,000,000 a month; after 36 months the book value is the salvage, 10,000,000.
    asset = Asset(370_000_000, category("computers"), jalali_date("1403/01/01"), salvage=10_000_000)
    result = schedule(asset)
    assert len(result.months) == 36 and result.months[-1].book_value == 10_000_000
    assert result.years[-1].accumulated == 360_000_000


def test_rials_are_never_lost_to_rounding() -> None:
    # 100,000,000 / 36 = 2,777,777.78 a month: months post 2,777,778, 2,777,778, 2,777,777, … so
    # that each posts the rounded running total: year 1 = round(33,333,333.33) = 33,333,333,
    # year 2 = 66,666,667 − 33,333,333 = 33,333,334, year 3 = 33,333,333; together 100,000,000.
    result = schedule(Asset(100_000_000, category("computers"), jalali_date("1403/01/01")))
    assert [r.depreciation for r in result.months[:3]] == [2_777_778, 2_777_778, 2_777_777]
    assert [y.depreciation for y in result.years] == [33_333_333, 33_333_334, 33_333_333]
    assert sum(r.depreciation for r in result.months) == 100_000_000


def test_land_is_not_depreciated() -> None:
    result = schedule(Asset(5_000_000_000, category("land"), jalali_date("1403/01/01")))
    assert result.months == () and result.years == () and result.first_month is None


def test_the_view_shows_jalali_months_the_accounts_and_what_is_provisional() -> None:
    view = to_view(schedule(asset_from_request("360000000", "computers", "1403/07/15", business_type="service")))
    assert view["first_month"] == {"jalali": "۱۴۰۳/۰۸", "jalali_latin": "1403/08"}
    assert view["category"]["accounts"] == {"cost": "20107", "accumulated": "20206", "expense": "80111"}
    assert view["provisional"] is True and view["provisional_why"]["category"]
    assert view["years"][0] == {"year": 1403, "year_fa": "۱۴۰۳", "months": 5, "idle_months": 0,
                                "opening_book_value": 360_000_000, "depreciation": 50_000_000,
                                "accumulated": 50_000_000, "closing_book_value": 310_000_000}
    assert "۲۰۰/۹۵/۷۸" in view["table"]["circular"]
    factory = to_view(schedule(asset_from_request(1_000_000, "machinery", "1403/01/01",
                                                  business_type="manufacturing")))
    assert factory["category"]["accounts"]["expense"] == "70303"  # production overhead, not administration


@pytest.mark.parametrize("kwargs", [
    {"cost": "0"}, {"cost": "-5"}, {"cost": "12x"}, {"in_service": "1403/13/01"}, {"in_service": "1403/07/32"},
    {"in_service": "1404/12/30"},  # 1404 is not a leap year: Esfand has 29 days
    {"category_code": "spaceships"}, {"salvage": "999999999999"},
    {"idle": (("1404/06", "1404/01"),)}, {"idle": (("1404/01", "1404/06"), ("1404/03", "1404/09"))},
])
def test_bad_input_is_refused_with_a_reason(kwargs: dict[str, object]) -> None:
    request: dict[str, object] = {"cost": "1000000", "category_code": "computers", "in_service": "1403/01/01", **kwargs}
    with pytest.raises(DomainError):
        asset_from_request(request.pop("cost"), str(request.pop("category_code")), request.pop("in_service"),
                           **request)  # type: ignore[arg-type]
