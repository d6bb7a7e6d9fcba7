"""The opening-balances workbook (AR-5), pure: the template, and an upload read and checked row
by row against the business's chart as its books hold it (shared.tenant_books: the posting
accounts — معین — with the detail groups each takes, and the floating detail ledgers).

Rules, each answered with the row, the column and a message in Persian and English:
- the as-of date (تاریخ مانده‌ها) is a Jalali date (Persian or Latin digits, / or -), not in
  the future;
- an account code is a posting account (معین) of the business's chart; a group (گروه) or a
  ledger (کل) is refused, since its balance is the sum of its معین and would count twice;
- an account that takes a detail group (e.g. حساب‌های دریافتنی → اشخاص) names one detail of
  that group; one that takes none names none; a detail is active;
- amounts are whole non-negative rials (Persian digits and separators welcome), one side a row;
- an (account, detail) pair appears once; total debits equal total credits.
A balance against the account's nature (a credit in صندوق) is a warning, not a refusal: an
overdrawn bank account is real.

The sheet's layout is found by its header row (the first of the first 15 rows that names the
account code, debit and credit columns), so the older three-column template still reads; the
as-of date is on a row above it whose first cell names it."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import jdatetime
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font

from shared.kernel.errors import DomainError
from shared.kernel.i18n import persian_digits
from shared.kernel.mobile import to_latin_digits
from shared.tenant_books import DetailAccount, PostingAccount

SHEET_TITLE = "مانده‌های افتتاحیه"
AS_OF_LABEL = "تاریخ مانده‌ها (شمسی) / as-of date (Jalali)"
NOTE = ("ردیف‌های نمونهٔ زیر را پیش از پر کردن پاک کنید؛ فقط حساب‌های معین پذیرفته می‌شود. / "
        "Delete the example rows below before filling in; only posting (معین) accounts are accepted.")
HEADERS = ("کد حساب معین / account code", "کد تفصیلی / detail code", "بدهکار (ریال) / debit (rials)",
           "بستانکار (ریال) / credit (rials)", "نام حساب (فقط برای خواندن) / account name (not read)")
# Posting accounts (معین) in every seeded chart (services/provisioning/data/charts/*.json),
# neither requiring a detail: 10101 صندوق (ریالی) and 50101 سرمایه (ثبت‌شده); they balance.
EXAMPLE_ROWS = (("10101", None, 1_000_000_000, None, "صندوق"),
                ("50101", None, None, 1_000_000_000, "سرمایه"))
MAX_ROWS = 20_000
HEADER_SEARCH_ROWS = 15
LEVEL_NAMES = {"group": ("گروه", "group"), "ledger": ("کل", "ledger")}

PROBLEMS: dict[str, tuple[str, str]] = {
    "missing_as_of": ("تاریخ مانده‌ها (شمسی) را بنویسید، مانند ۱۴۰۵/۰۱/۰۱.",
                      "Give the as-of date (Jalali), e.g. 1405/01/01."),
    "invalid_as_of": ("تاریخ مانده‌ها یک تاریخ شمسی درست نیست؛ مانند ۱۴۰۵/۰۱/۰۱ بنویسید.",
                      "The as-of date is not a valid Jalali date; write it like 1405/01/01."),
    "as_of_in_future": ("تاریخ مانده‌ها نمی‌تواند بعد از امروز باشد.", "The as-of date cannot be after today."),
    "no_header_row": ("ردیف عنوان ستون‌ها (کد حساب، بدهکار، بستانکار) پیدا نشد؛ از الگو استفاده کنید.",
                      "The header row (account code, debit, credit) was not found; use the template."),
    "missing_account_code": ("کد حساب خالی است.", "The account code is empty."),
    "unknown_account": ("این کد حساب در سرفصل حساب‌های شما نیست.", "No account of your chart has this code."),
    "not_posting_account": ("این کد یک حساب {level_fa} است؛ مانده فقط برای حساب معین پذیرفته می‌شود "
                            "(مانده‌های {level_fa} جمع معین‌های آن است و دوبار شمرده می‌شود).",
                            "This code is a {level_en} account; balances go to posting (معین) accounts "
                            "only (a {level_en}'s balance is the sum of its accounts and would count twice)."),
    "detail_required": ("این حساب تفصیلی می‌خواهد ({groups_fa})؛ کد تفصیلی را بنویسید.",
                        "This account takes a detail ({groups_en}); give the detail code."),
    "unknown_detail": ("این کد تفصیلی در دفاتر شما نیست.", "No detail of your books has this code."),
    "detail_not_of_account": ("این تفصیلی از گروه «{group_fa}» است و این حساب آن را نمی‌پذیرد ({groups_fa}).",
                              "This detail is of the group “{group_en}”, which this account does not take "
                              "({groups_en})."),
    "detail_not_taken": ("این حساب تفصیلی نمی‌پذیرد؛ ستون تفصیلی را خالی بگذارید.",
                         "This account takes no detail; leave the detail column empty."),
    "detail_inactive": ("این تفصیلی غیرفعال است.", "This detail is inactive."),
    "not_a_number": ("مبلغ باید عدد باشد.", "The amount must be a number."),
    "not_whole_rials": ("مبلغ باید ریال کامل و بدون اعشار باشد.", "The amount must be whole rials, no decimals."),
    "negative_amount": ("مبلغ نمی‌تواند منفی باشد.", "The amount cannot be negative."),
    "no_amount": ("ردیف نه بدهکار دارد نه بستانکار.", "The row has neither a debit nor a credit."),
    "both_sides": ("یک ردیف نمی‌تواند هم بدهکار و هم بستانکار باشد.", "A row cannot have both a debit and a credit."),
    "duplicate_account": ("این حساب (با همین تفصیلی) در ردیف {first_row_fa} هم آمده است.",
                          "This account (with this detail) is also on row {first_row}."),
    "not_balanced": ("جمع بدهکار ({total_debit_fa} ریال) با جمع بستانکار ({total_credit_fa} ریال) برابر نیست.",
                     "Total debits ({total_debit:,} rials) do not equal total credits ({total_credit:,} rials)."),
    "no_rows": ("فایل هیچ ردیفی ندارد.", "The file has no rows."),
    "too_many_rows": ("تعداد ردیف‌ها بیش از حد مجاز (۲۰٬۰۰۰) است.", "The file has too many rows (20,000 at most)."),
    "no_chart": ("سرفصل حساب‌های این کسب‌وکار هنوز ساخته نشده است.", "This business has no chart of accounts yet."),
}
WARNINGS: dict[str, tuple[str, str]] = {
    "against_nature": ("ماندهٔ {side_fa} در حسابی با ماهیت {nature_fa}؛ اگر درست است (مثلاً بانک با اضافه‌برداشت) "
                       "اشکالی ندارد.",
                       "A {side} balance in an account of {nature} nature; fine if true (an overdrawn bank)."),
}
_SIDE_FA = {"debit": "بدهکار", "credit": "بستانکار"}


def _grouped(number: int) -> str:
    return persian_digits(f"{number:,}").replace(",", "٬")


def _message(table: dict[str, tuple[str, str]], code: str, values: dict[str, Any]) -> dict[str, str]:
    fa, en = table[code]
    return {"fa": fa.format(**values), "en": en.format(**values)}


def problem(row: int, column: str, code: str, **extra: Any) -> dict[str, Any]:
    """One refusal: its row (0 = the whole sheet), its column, its code and message (fa, en)."""
    values = dict(extra)
    for key in ("total_debit", "total_credit"):
        if key in values:
            values[f"{key}_fa"] = _grouped(values[key])
    if "first_row" in values:
        values["first_row_fa"] = persian_digits(str(values["first_row"]))
    shown = {k: v for k, v in extra.items() if not k.startswith(("level_", "groups_", "group_"))}
    return {"row": row, "column": column, "problem": code, "message": _message(PROBLEMS, code, values), **shown}


@dataclass(frozen=True)
class Chart:
    """What an upload is checked against, read from the business's books: the posting
    accounts (معین), the other levels' codes (group / ledger → refused with their level), the
    detail ledgers, and each detail group's names."""

    posting: Mapping[str, PostingAccount]
    other_levels: Mapping[str, str] = field(default_factory=dict)  # code → "group" | "ledger"
    details: Mapping[str, DetailAccount] = field(default_factory=dict)
    group_names: Mapping[str, tuple[str, str]] = field(default_factory=dict)  # group code → (fa, en)


@dataclass(frozen=True)
class Line:
    row: int
    account_code: str
    detail_code: str  # "" when the account takes none
    debit: int
    credit: int


@dataclass
class Reading:
    """An upload read and checked: the lines, the as-of date, and what is wrong (nothing when
    ``problems`` is empty) or worth a look (``warnings``)."""

    lines: list[Line]
    as_of: jdatetime.date | None
    problems: list[dict[str, Any]]
    warnings: list[dict[str, Any]]

    @property
    def total_debit(self) -> int:
        return sum(line.debit for line in self.lines)

    @property
    def total_credit(self) -> int:
        return sum(line.credit for line in self.lines)


# -- the template -------------------------------------------------------------------------------

def template_bytes(as_of_example: str = "1405/01/01") -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = SHEET_TITLE
    sheet.sheet_view.rightToLeft = True
    sheet.append([AS_OF_LABEL, as_of_example])
    sheet.append([NOTE])
    sheet.append(HEADERS)
    for cell in sheet[3]:
        cell.font = Font(bold=True)
    for row in EXAMPLE_ROWS:
        sheet.append(list(row))
    for column, width in zip("ABCDE", (26, 18, 24, 24, 40), strict=True):
        sheet.column_dimensions[column].width = width
    sheet["B1"].number_format = "@"  # text, so Excel does not read 1405/01/01 as a date
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# -- reading an upload --------------------------------------------------------------------------

_DATE = re.compile(r"(\d{4})\s*[/\-.]\s*(\d{1,2})\s*[/\-.]\s*(\d{1,2})")


def parse_as_of(value: object) -> jdatetime.date:
    """A Jalali date as people type it (۱۴۰۵/۰۱/۰۱, 1405/1/1, 1405-01-01), or a date cell
    Excel made of it (a Gregorian date, converted); ValueError if it is neither."""
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        if value.year < 1900:
            raise ValueError("not a date")
        return jdatetime.date.fromgregorian(date=value)
    if not isinstance(value, str) or len(value) > 30:
        raise ValueError("not a date")
    found = _DATE.fullmatch(to_latin_digits(value).strip())
    if found is None:
        raise ValueError("not a date")
    year, month, day = (int(g) for g in found.groups())
    if not 1300 <= year <= 1600:
        raise ValueError("not a Jalali year")
    return jdatetime.date(year, month, day)  # ValueError for 1405/12/30 (not a leap year) and such


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return to_latin_digits(str(value)).strip()


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _columns(cells: tuple[Any, ...]) -> dict[str, int] | None:
    """Which column holds what, if this row is the header row."""
    found: dict[str, int] = {}
    for index, cell in enumerate(cells):
        text = _text(cell).lower()
        if not text:
            continue
        if "تفصیل" in text or "detail" in text:
            found.setdefault("detail", index)
        elif "بدهکار" in text or "debit" in text:
            found.setdefault("debit", index)
        elif "بستانکار" in text or "credit" in text:
            found.setdefault("credit", index)
        elif "کد حساب" in text or "account code" in text or text in ("کد", "code", "account"):
            found.setdefault("account", index)
    return found if {"account", "debit", "credit"} <= found.keys() else None


def _is_as_of_label(cell: Any) -> bool:
    text = _text(cell).lower()
    return "تاریخ" in text or "as-of" in text or "as of" in text


def _amount(value: Any, row: int, column: str, problems: list[dict[str, Any]]) -> int:
    if _blank(value):
        return 0
    if isinstance(value, bool):
        problems.append(problem(row, column, "not_a_number"))
        return 0
    if isinstance(value, float):
        if not value.is_integer():
            problems.append(problem(row, column, "not_whole_rials"))
            return 0
        value = int(value)
    if isinstance(value, str):
        text = to_latin_digits(value).strip()
        for separator in (",", "٬", "،", " ", "\u200c", "\u00a0"):
            text = text.replace(separator, "")
        if "." in text or "/" in text or "٫" in text:
            problems.append(problem(row, column, "not_whole_rials"))
            return 0
        try:
            value = int(text)
        except ValueError:
            problems.append(problem(row, column, "not_a_number"))
            return 0
    if not isinstance(value, int):
        problems.append(problem(row, column, "not_a_number"))
        return 0
    if value < 0:
        problems.append(problem(row, column, "negative_amount"))
        return 0
    return value


def _groups_text(chart: Chart, groups: tuple[str, ...]) -> dict[str, str]:
    names = [chart.group_names.get(g, (g, g)) for g in groups]
    return {"groups_fa": "، ".join(n[0] for n in names), "groups_en": ", ".join(n[1] for n in names)}


def _check_account(chart: Chart, number: int, code: str, detail: str, problems: list[dict[str, Any]]) -> None:
    account = chart.posting.get(code)
    if account is None:
        level = chart.other_levels.get(code)
        if level in LEVEL_NAMES:
            fa, en = LEVEL_NAMES[level]
            problems.append(problem(number, "account_code", "not_posting_account", account_code=code, level=level,
                                    level_fa=fa, level_en=en))
        else:
            problems.append(problem(number, "account_code", "unknown_account", account_code=code))
        return
    takes = (*account.detail_groups, *account.optional_detail_groups)
    if not detail:
        if account.detail_groups:
            problems.append(problem(number, "detail_code", "detail_required", account_code=code,
                                    detail_groups=list(account.detail_groups),
                                    **_groups_text(chart, account.detail_groups)))
        return
    if not takes:
        problems.append(problem(number, "detail_code", "detail_not_taken", account_code=code, detail_code=detail))
        return
    found = chart.details.get(detail)
    if found is None:
        problems.append(problem(number, "detail_code", "unknown_detail", detail_code=detail))
    elif found.group not in takes:
        group_fa, group_en = chart.group_names.get(found.group, (found.group, found.group))
        problems.append(problem(number, "detail_code", "detail_not_of_account", detail_code=detail,
                                detail_group=found.group, detail_groups=list(takes), group_fa=group_fa,
                                group_en=group_en, **_groups_text(chart, takes)))
    elif not found.active:
        problems.append(problem(number, "detail_code", "detail_inactive", detail_code=detail))


def read_sheet(content: bytes, chart: Chart, *, today: jdatetime.date, as_of: object = None) -> Reading:
    """The upload read and every rule checked; never raises for a problem of a row (they are
    in ``problems``), only DomainError("invalid_workbook") for a file that is no workbook.
    ``as_of``, when given (a form field), is the as-of date; else the sheet's."""
    try:
        sheet = load_workbook(io.BytesIO(content), read_only=True, data_only=True).worksheets[0]
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, IndexError, TypeError):
        raise DomainError("invalid_workbook") from None
    problems: list[dict[str, Any]] = []
    warnings: list[dict[str, Any]] = []
    lines: list[Line] = []
    rows = sheet.iter_rows(values_only=True)
    columns: dict[str, int] | None = None
    sheet_as_of: tuple[int, Any] | None = None
    number = 0
    for number, cells in enumerate(rows, start=1):
        columns = _columns(cells)
        if columns is not None:
            break
        if cells and _is_as_of_label(cells[0]) and sheet_as_of is None:
            sheet_as_of = (number, next((c for c in cells[1:] if not _blank(c)), None))
        if number >= HEADER_SEARCH_ROWS:
            break
    given = as_of if not _blank(as_of) else (sheet_as_of[1] if sheet_as_of else None)
    as_of_row = 0 if not _blank(as_of) else (sheet_as_of[0] if sheet_as_of else 0)
    parsed_as_of: jdatetime.date | None = None
    if _blank(given):
        problems.append(problem(as_of_row, "as_of", "missing_as_of"))
    else:
        try:
            parsed_as_of = parse_as_of(given)
        except ValueError:
            problems.append(problem(as_of_row, "as_of", "invalid_as_of", as_of=_text(given)[:30]))
        else:
            if parsed_as_of > today:
                problems.append(problem(as_of_row, "as_of", "as_of_in_future", as_of=parsed_as_of.strftime("%Y/%m/%d")))
    if columns is None:
        problems.append(problem(0, "", "no_header_row"))
        return Reading([], parsed_as_of, problems, warnings)
    if not chart.posting:
        problems.append(problem(0, "account_code", "no_chart"))
        return Reading([], parsed_as_of, problems, warnings)
    seen: dict[tuple[str, str], int] = {}
    row_problems_before = len(problems)
    for number, cells in enumerate(rows, start=number + 1):  # noqa: B020 - the data rows follow the header
        def cell(name: str, cells: tuple[Any, ...] = cells) -> Any:
            index = columns.get(name)
            return cells[index] if index is not None and index < len(cells) else None

        if all(_blank(cell(name)) for name in ("account", "detail", "debit", "credit")):
            continue
        if len(lines) >= MAX_ROWS:
            problems.append(problem(number, "", "too_many_rows"))
            break
        code, detail = _text(cell("account")), _text(cell("detail"))
        before = len(problems)
        if not code:
            problems.append(problem(number, "account_code", "missing_account_code"))
        else:
            _check_account(chart, number, code, detail, problems)
            if len(problems) == before and (code, detail) in seen:
                problems.append(problem(number, "account_code", "duplicate_account", account_code=code,
                                        first_row=seen[(code, detail)]))
        debit = _amount(cell("debit"), number, "debit", problems)
        credit = _amount(cell("credit"), number, "credit", problems)
        if len(problems) == before:
            if debit and credit:
                problems.append(problem(number, "", "both_sides"))
            elif not debit and not credit:
                problems.append(problem(number, "", "no_amount"))
        if code:
            seen.setdefault((code, detail), number)
        account = chart.posting.get(code)
        if len(problems) == before and account is not None and account.nature in _SIDE_FA:
            side = "debit" if debit else "credit"
            if side != account.nature:
                warnings.append({"row": number, "column": side, "warning": "against_nature", "account_code": code,
                                 "message": _message(WARNINGS, "against_nature", {
                                     "side": side, "side_fa": _SIDE_FA[side], "nature": account.nature,
                                     "nature_fa": _SIDE_FA[account.nature]})})
        lines.append(Line(number, code, detail, debit, credit))
    if not lines and len(problems) == row_problems_before:
        problems.append(problem(0, "", "no_rows"))
    reading = Reading(lines, parsed_as_of, problems, warnings)
    if not any(p["row"] > 0 and p["column"] != "as_of" for p in problems) and lines \
            and reading.total_debit != reading.total_credit:
        problems.append(problem(0, "", "not_balanced", total_debit=reading.total_debit,
                                total_credit=reading.total_credit))
    return reading
