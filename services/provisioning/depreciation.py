"""A fixed asset's depreciation schedule (PR-7) by the rules of the Article 149 table (the 1395
table, data/depreciation_1395.json) and its category (ماهیت اموال, data/asset_categories.json).
Pure: an asset in, a schedule out — by Jalali month and by Jalali fiscal year (فروردین–اسفند).

The rules, each with its source in the data file and docs/books-assets.md:
- start month: from the first of the month the asset is ready for use (آمادهٔ بهره‌برداری); ready
  on any day but the 1st, from the first of the next month;
- straight line (مستقیم): (cost − salvage) ÷ (years × 12) a month, the last month takes what is left;
- declining balance (نزولی): the yearly rate × the book value at the start of each fiscal year, a
  twelfth a month (so a first year that starts mid-year gets its months' share); when the book
  value at a year's start is below 5% of cost, the whole remainder goes in that year's first month;
- idle (بلااستفاده): in a run of at least 6 consecutive unused months, each month gets 30% of its
  charge; straight line thus runs 70% of the idle months longer.

Amounts are whole rials. The exact charges are summed as fractions and each month posts the
rounded cumulative total less what was posted before, so months add up to their year and years
to the whole without a rial lost."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from fractions import Fraction
from functools import cache
from itertools import pairwise
from typing import Any

import jdatetime

from services.provisioning.catalogue import DATA, asset_categories
from shared.kernel.errors import DomainError
from shared.kernel.i18n import persian_digits

METHODS = ("straight_line", "declining_balance", "none")
MAX_YEARS = 100  # a schedule never runs longer (a 1% declining balance would take centuries)
_DIGITS = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "01234567890123456789")
_DATE = re.compile(r"(\d{4})[/\-](\d{1,2})(?:[/\-](\d{1,2}))?")


@cache
def table() -> dict[str, Any]:
    """The 1395 table's rules and sources (data/depreciation_1395.json)."""
    data: dict[str, Any] = json.loads((DATA / "depreciation_1395.json").read_text(encoding="utf-8"))
    return data


@dataclass(frozen=True)
class Month:
    """A Jalali month, e.g. Month(1403, 8) = آبان ۱۴۰۳."""

    year: int
    month: int

    @property
    def index(self) -> int:
        return self.year * 12 + self.month - 1

    @classmethod
    def at(cls, index: int) -> Month:
        return cls(index // 12, index % 12 + 1)

    def text(self, locale: str = "en") -> str:
        text = f"{self.year:04d}/{self.month:02d}"
        return persian_digits(text) if locale == "fa" else text


@dataclass(frozen=True)
class JalaliDate:
    year: int
    month: int
    day: int

    def text(self, locale: str = "en") -> str:
        text = f"{self.year:04d}/{self.month:02d}/{self.day:02d}"
        return persian_digits(text) if locale == "fa" else text


def _parts(text: object, what: str, day_required: bool) -> tuple[int, int, int | None]:
    if not isinstance(text, str) or len(text) > 20:
        raise DomainError("invalid_jalali_date", field=what, expected="1403/07/15")
    found = _DATE.fullmatch(text.strip().translate(_DIGITS))
    if not found or (day_required and found.group(3) is None):
        raise DomainError("invalid_jalali_date", field=what, expected="1403/07/15" if day_required else "1403/07")
    year, month = int(found.group(1)), int(found.group(2))
    day = int(found.group(3)) if found.group(3) is not None else None
    try:  # the calendar's own month lengths (اسفند has 30 days only in a leap year)
        jdatetime.date(year, month, day or 1)
    except ValueError:
        raise DomainError("invalid_jalali_date", field=what,
                          expected="1403/07/15" if day_required else "1403/07") from None
    if not 1200 <= year <= 1700:
        raise DomainError("invalid_jalali_date", field=what, expected="1403/07/15" if day_required else "1403/07")
    return year, month, day


def jalali_date(text: object, what: str = "in_service") -> JalaliDate:
    """A Jalali date as people type it: ۱۴۰۳/۰۷/۱۵, 1403/7/15 or 1403-07-15."""
    year, month, day = _parts(text, what, day_required=True)
    assert day is not None
    return JalaliDate(year, month, day)


def jalali_month(text: object, what: str = "idle") -> Month:
    """A Jalali month as people type it: ۱۴۰۳/۰۷ or 1403/7 (a day, if given, is ignored)."""
    year, month, _ = _parts(text, what, day_required=False)
    return Month(year, month)


def first_month(in_service: JalaliDate) -> Month:
    """The first month depreciated: this one when the asset was ready for use on its first day,
    otherwise the next (the start-month rule)."""
    month = Month(in_service.year, in_service.month)
    return month if in_service.day == 1 else Month.at(month.index + 1)


@dataclass(frozen=True)
class Category:
    code: str
    fa: str
    en: str
    method: str
    rate_percent: Fraction | None  # declining balance, a year
    useful_life_years: int | None  # straight line
    account: str | None = None  # the cost account (بهای تمام‌شده)
    accumulated_account: str | None = None  # استهلاک انباشته
    expense_account: str | None = None  # هزینهٔ استهلاک
    provisional: bool = False
    provisional_why: str | None = None

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise DomainError("unknown_depreciation_method", method=self.method)
        if self.method == "declining_balance" and not (self.rate_percent and 0 < self.rate_percent <= 100):
            raise DomainError("declining_balance_needs_a_rate")
        if self.method == "straight_line" and not (self.useful_life_years and 0 < self.useful_life_years <= 100):
            raise DomainError("straight_line_needs_years")

    def overridden(self, method: str, rate_percent: Fraction | int | None = None,
                   useful_life_years: int | None = None) -> Category:
        """The category with the business's own book policy in place of the table's (the
        schedule then says so: it is no longer the tax figure)."""
        return Category(self.code, self.fa, self.en, method,
                        Fraction(rate_percent) if rate_percent is not None else None, useful_life_years,
                        self.account, self.accumulated_account, self.expense_account, self.provisional,
                        self.provisional_why)


def category(code: str, business_type: str | None = None) -> Category:
    """The seeded category ``code``, with its expense account for ``business_type``'s chart
    (a factory's machinery is charged to production overhead, not to administration)."""
    for entry in asset_categories():
        if entry["code"] == code:
            expense = entry.get("expense_account")
            if business_type:
                expense = entry.get("expense_account_by_chart", {}).get(business_type, expense)
            rate = entry.get("rate_percent")
            return Category(entry["code"], entry["fa"], entry["en"], entry["method"],
                            Fraction(rate) if rate is not None else None, entry.get("useful_life_years"),
                            entry.get("account"), entry.get("accumulated_account"), expense,
                            bool(entry.get("provisional")), entry.get("provisional_why"))
    raise DomainError("unknown_asset_category", category=code)


@dataclass(frozen=True)
class IdlePeriod:
    """Months the asset stood unused (بلااستفاده), first and last included."""

    first: Month
    last: Month

    @property
    def months(self) -> int:
        return self.last.index - self.first.index + 1


@dataclass(frozen=True)
class Asset:
    cost: int  # rials
    category: Category
    in_service: JalaliDate  # ready for use (آمادهٔ بهره‌برداری)
    idle: tuple[IdlePeriod, ...] = ()
    salvage: int = 0  # rials; nil for tax (the table's rule)
    table_policy: bool = True  # False when the business overrode the table's method or rate

    def __post_init__(self) -> None:
        if not 0 < self.cost <= 10**18:
            raise DomainError("asset_cost_must_be_positive")
        if not 0 <= self.salvage < self.cost:
            raise DomainError("salvage_must_be_below_cost")
        for period in self.idle:
            if period.last.index < period.first.index:
                raise DomainError("idle_period_ends_before_it_starts", first=period.first.text(),
                                  last=period.last.text())
        ordered = sorted(self.idle, key=lambda p: p.first.index)
        for earlier, later in pairwise(ordered):
            if later.first.index <= earlier.last.index:
                raise DomainError("idle_periods_overlap", first=later.first.text())


@dataclass(frozen=True)
class MonthRow:
    month: Month
    depreciation: int
    accumulated: int
    book_value: int
    idle: bool  # charged at the idle rate (30%)
    note: str | None = None  # "remainder" when the declining balance's remainder went at once


@dataclass(frozen=True)
class YearRow:
    year: int
    months: int  # months depreciated in the year
    idle_months: int
    opening_book_value: int
    depreciation: int
    accumulated: int
    closing_book_value: int


@dataclass(frozen=True)
class Schedule:
    asset: Asset
    first_month: Month | None
    months: tuple[MonthRow, ...]
    years: tuple[YearRow, ...]

    @property
    def last_month(self) -> Month | None:
        return self.months[-1].month if self.months else None


def _rounded(amount: Fraction) -> int:
    """Half up, in rials (amounts are never negative here)."""
    return int(amount + Fraction(1, 2)) if amount >= 0 else -int(-amount + Fraction(1, 2))


def _idle_months(asset: Asset) -> set[int]:
    """The months charged at the idle rate: those of runs long enough to count (rules.idle)."""
    rule = table()["rules"]["idle"]
    return {index for period in asset.idle if period.months >= int(rule["min_months"])
            for index in range(period.first.index, period.last.index + 1)}


def schedule(asset: Asset, through_year: int | None = None) -> Schedule:
    """The asset's depreciation month by month until it is fully depreciated (down to its
    salvage), or until the end of Jalali ``through_year``, and the same summed by fiscal year."""
    rules = table()["rules"]
    category = asset.category
    if category.method == "none":
        return Schedule(asset, None, (), ())
    start = first_month(asset.in_service)
    idle = _idle_months(asset)
    idle_factor = Fraction(int(rules["idle"]["factor_percent"]), 100)
    remainder_floor = Fraction(int(rules["declining_remainder"]["percent_of_cost"]), 100) * asset.cost
    depreciable = Fraction(asset.cost - asset.salvage)
    end = start.index + 12 * MAX_YEARS
    if through_year is not None:
        end = min(end, Month(through_year, 12).index + 1)
    rows: list[MonthRow] = []
    exact = Fraction(0)  # accumulated, unrounded
    posted = 0  # accumulated, as posted (rials)
    monthly = Fraction(0)
    index = start.index
    while index < end and exact < depreciable:
        note = None
        if category.method == "straight_line":
            assert category.useful_life_years is not None
            monthly = depreciable / (category.useful_life_years * 12)
            charge = monthly * (idle_factor if index in idle else 1)
        else:
            assert category.rate_percent is not None
            if index == start.index or index % 12 == 0:  # the fiscal year's base: its opening book value
                opening = asset.cost - posted
                if index != start.index and opening < remainder_floor:
                    charge, note = depreciable - exact, "remainder"
                else:
                    monthly = Fraction(opening) * category.rate_percent / 100 / 12
            if note is None:
                charge = monthly * (idle_factor if index in idle else 1)
        charge = min(charge, depreciable - exact)
        exact += charge
        amount = _rounded(exact) - posted
        posted += amount
        rows.append(MonthRow(Month.at(index), amount, posted, asset.cost - posted,
                             index in idle and note is None, note))
        index += 1
    return Schedule(asset, start, tuple(rows), _years(asset.cost, rows))


def _years(cost: int, rows: list[MonthRow]) -> tuple[YearRow, ...]:
    years: list[YearRow] = []
    for row in rows:
        if not years or years[-1].year != row.month.year:
            opening = row.accumulated - row.depreciation
            years.append(YearRow(row.month.year, 0, 0, cost - opening, 0, opening, cost - opening))
        year = years[-1]
        years[-1] = YearRow(year.year, year.months + 1, year.idle_months + int(row.idle), year.opening_book_value,
                            year.depreciation + row.depreciation, row.accumulated, row.book_value)
    return tuple(years)


def to_view(result: Schedule, locale: str | None = None) -> dict[str, Any]:
    """The schedule as the API shows it: Jalali months in Latin and Persian digits, rials, the
    category's accounts, and whether its figures are provisional and why."""
    asset, category = result.asset, result.asset.category
    rules = table()["rules"]

    def month(m: Month) -> dict[str, str]:
        return {"jalali": m.text("fa"), "jalali_latin": m.text("en")}

    return {
        "category": {"code": category.code, "fa": category.fa, "en": category.en, "method": category.method,
                     "rate_percent": (str(category.rate_percent) if category.rate_percent is not None else None),
                     "useful_life_years": category.useful_life_years,
                     "accounts": {"cost": category.account, "accumulated": category.accumulated_account,
                                  "expense": category.expense_account}},
        "table_policy": asset.table_policy,
        "provisional": category.provisional or any(
            rules[r]["provisional"] for r in ("start_month", "idle", "declining_remainder")),
        "provisional_why": {"category": category.provisional_why,
                            **{name: rules[name]["why"] for name in ("start_month", "idle", "declining_remainder",
                                                                     "salvage") if rules[name]["provisional"]}},
        "rules": {name: {"fa": rules[name]["fa"], "en": rules[name]["en"]} for name in rules},
        "table": {"fa": table()["title"]["fa"], "en": table()["title"]["en"],
                  "circular": "۲۰۰/۹۵/۷۸ مورخ ۱۳۹۵/۱۱/۰۴", "version": table()["version"]},
        "cost": asset.cost,
        "salvage": asset.salvage,
        "in_service": {"jalali": asset.in_service.text("fa"), "jalali_latin": asset.in_service.text("en")},
        "first_month": month(result.first_month) if result.first_month else None,
        "last_month": month(result.last_month) if result.last_month else None,
        "idle": [{"first": month(p.first), "last": month(p.last), "months": p.months,
                  "reduced": p.months >= int(rules["idle"]["min_months"])} for p in asset.idle],
        "years": [{"year": y.year, "year_fa": persian_digits(str(y.year)), "months": y.months,
                   "idle_months": y.idle_months, "opening_book_value": y.opening_book_value,
                   "depreciation": y.depreciation, "accumulated": y.accumulated,
                   "closing_book_value": y.closing_book_value} for y in result.years],
        "months": [{"month": month(r.month), "depreciation": r.depreciation, "accumulated": r.accumulated,
                    "book_value": r.book_value, "idle": r.idle, "note": r.note} for r in result.months],
    }


def asset_from_request(cost: object, category_code: str, in_service: object, *, business_type: str | None = None,
                       idle: tuple[tuple[object, object], ...] = (), salvage: object = 0,
                       method: str | None = None, rate_percent: object = None,
                       useful_life_years: object = None) -> Asset:
    """An asset from what a person typed (Persian or Latin digits, rials; separators allowed),
    with the business's own method and rate when it overrides the table's."""
    chosen = category(category_code, business_type)
    overridden = method is not None or rate_percent is not None or useful_life_years is not None
    if overridden:
        chosen = chosen.overridden(method or chosen.method,
                                   _number(rate_percent, "rate_percent", fraction=True)
                                   if rate_percent is not None else None,
                                   int(_number(useful_life_years, "useful_life_years"))
                                   if useful_life_years is not None else None)
    return Asset(int(_number(cost, "cost")), chosen, jalali_date(in_service),
                 tuple(IdlePeriod(jalali_month(first, "idle.first"), jalali_month(last, "idle.last"))
                       for first, last in idle),
                 int(_number(salvage, "salvage")), table_policy=not overridden)


def _number(value: object, what: str, fraction: bool = False) -> Fraction:
    """12,000,000 / ۱۲٬۰۰۰٬۰۰۰ / 7.5 → a number; anything else is refused, naming the field."""
    if isinstance(value, bool):
        raise DomainError("invalid_number", field=what)
    if isinstance(value, int):
        return Fraction(value)
    if isinstance(value, str) and len(value) <= 40:
        text = re.sub(r"[\s,\u066c\u060c_]", "", value.translate(_DIGITS)).replace("\u066b", ".")
        pattern = r"\d+(\.\d+)?" if fraction else r"\d+"
        if re.fullmatch(pattern, text):
            return Fraction(text)
    raise DomainError("invalid_number", field=what)
