"""Writing a business's books to an export file (AR-4): xlsx (one sheet per table, openpyxl's
write-only mode), csv (a zip of one UTF-8-with-BOM file per table, so Excel shows Persian
right) or json (one document). Rows stream from a consistent snapshot to disk; every table
of the books goes out, whatever provisioning put there.

For people (xlsx and csv, AR-4): sheets are named in Persian (a first sheet «راهنما» names each
sheet's table and row count, and the export's date in ISO and Jalali), column headers are
"Persian (column)", every date column is followed by its Jalali date (Tehran time), and every
account or detail code by its Persian name from the books' chart. json stays the books exactly
as held (with the Persian headers beside the column names), for programs."""

from __future__ import annotations

import base64
import csv
import io
import json
import re
import sqlite3
import zipfile
from collections.abc import Callable, Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import jdatetime
from openpyxl import Workbook

from shared.kernel.i18n import TEHRAN

# Persian names of the columns and tables the books are known to hold; others keep their name.
PERSIAN_HEADERS = {
    "code": "کد", "account_code": "کد حساب", "name": "نام", "title": "عنوان", "parent_code": "کد حساب مادر",
    "nature": "ماهیت", "kind": "نوع", "debit": "بدهکار", "credit": "بستانکار", "amount": "مبلغ",
    "amount_rials": "مبلغ (ریال)", "date": "تاریخ", "description": "شرح", "number": "شماره",
    "customer": "مشتری", "user_id": "شناسهٔ کاربر", "role": "نقش", "permissions": "مجوزها",
    "module": "ماژول", "key": "کلید", "value": "مقدار", "invoice_id": "شمارهٔ فاکتور",
    "paid_at": "تاریخ پرداخت", "quantity": "تعداد", "price": "قیمت", "status": "وضعیت",
    "created_at": "تاریخ ایجاد", "active": "فعال", "mobile": "موبایل", "total_rials": "جمع (ریال)",
    "name_fa": "نام فارسی", "name_en": "نام انگلیسی", "level": "سطح", "contra": "حساب کاهنده",
    "chart_version": "نسخهٔ سرفصل", "detail_code": "کد تفصیلی", "group_code": "کد گروه تفصیلی",
    "required": "الزامی", "source": "منبع", "as_of": "تاریخ مانده‌ها", "as_of_date": "تاریخ مانده‌ها (میلادی)",
    "imported_at": "زمان ورود", "imported_by": "واردکننده", "seated_at": "تاریخ عضویت", "active_until": "فعال تا",
    "source_id": "شناسهٔ منبع", "position": "ترتیب", "insurable": "مشمول بیمه", "expression": "فرمول",
    "version": "نسخه", "effective_from": "معتبر از", "jalali_from": "معتبر از (شمسی)", "constants": "ثابت‌ها",
    "tax_brackets": "پلکان مالیات", "method": "روش استهلاک", "rate_percent": "نرخ (درصد)",
    "useful_life_years": "عمر مفید (سال)", "accumulated_account_code": "کد حساب استهلاک انباشته",
    "expense_account_code": "کد حساب هزینهٔ استهلاک", "provisional": "موقت", "group": "گروه",
    "account_name": "نام حساب", "detail_name": "نام تفصیلی", "tenant_id": "شناسهٔ کسب‌وکار",
}
PERSIAN_TABLES = {
    "accounts": "سرفصل حساب‌ها", "detail_groups": "گروه‌های تفصیلی", "account_detail_groups": "تفصیلی‌های هر معین",
    "details": "حساب‌های تفصیلی", "opening_balances": "مانده‌های افتتاحیه", "modules": "ماژول‌ها",
    "settings": "تنظیمات", "payroll_formulas": "فرمول‌های حقوق", "payroll_tables": "جدول‌های حقوق و بیمه",
    "asset_categories": "طبقات دارایی ثابت", "members": "اعضا", "invoices": "فاکتورها", "users": "کاربران",
    "vouchers": "اسناد حسابداری", "voucher_lines": "اقلام اسناد", "employees": "کارکنان", "assets": "دارایی‌های ثابت",
}
GUIDE_TITLE = "راهنما"
# A column holding a date or a moment, by its name (created_at, date, effective_from, active_until …);
# its values get their Jalali date beside them when they read as ISO 8601 Gregorian dates.
DATE_COLUMN = re.compile(r"(?:^|_)(?:date|at|from|until|on)$")
ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::\d{2}(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?")
ACCOUNT_CODE = re.compile(r"(?:^|_)account_code$")
SHEET_NAME = re.compile(r"[\[\]:*?/\\]")
Progress = Callable[[int], None]  # rows written so far


def table_rows(books: sqlite3.Connection, table: str) -> tuple[list[str], Iterator[tuple[Any, ...]]]:
    cursor = books.execute(f'SELECT * FROM "{table}"')  # names come from sqlite_master, not from users
    return [d[0] for d in cursor.description], iter(cursor)


def sheet_titles(tables: list[str]) -> dict[str, str]:
    """Each table's sheet: its Persian name where known, else its own; unique, at most 31
    characters and none Excel forbids."""
    titles, used = {}, {GUIDE_TITLE}
    for table in tables:
        title = SHEET_NAME.sub("_", PERSIAN_TABLES.get(table, table))[:31]
        while title.lower() in used:
            title = f"{title[:28]}_{len(used)}"
        used.add(title.lower())
        titles[table] = title
    return titles


def jalali_of(value: Any) -> str | None:
    """The Jalali date (and Tehran time, for a moment) of an ISO 8601 Gregorian date, else None:
    2026-03-21 → 1405/01/01; 2026-03-21T08:30:00+00:00 → 1405/01/01 12:00."""
    if not isinstance(value, str) or not (found := ISO_DATE.fullmatch(value.strip())):
        return None
    try:
        if found.group(4) is None:
            day = date.fromisoformat(value.strip())
            return jdatetime.date.fromgregorian(date=day).strftime("%Y/%m/%d") if day.year >= 1900 else None
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.year < 1900:
        return None
    local = moment.astimezone(TEHRAN) if moment.tzinfo else moment
    return str(jdatetime.datetime.fromgregorian(datetime=local).strftime("%Y/%m/%d %H:%M"))


def _names(books: sqlite3.Connection, table: str) -> dict[str, str]:
    try:
        return {str(code): str(name) for code, name in books.execute(f'SELECT code, name_fa FROM "{table}"')}
    except sqlite3.Error:  # no such table, or one of another shape: codes go out without names
        return {}


def readable_rows(books: sqlite3.Connection, table: str, accounts: dict[str, str], details: dict[str, str]
                  ) -> tuple[list[str], Iterator[list[Any]]]:
    """The table's columns and rows for people: after each date column its Jalali date, after
    each account code (and detail code) the account's (detail's) Persian name."""
    columns, rows = table_rows(books, table)
    extra: list[tuple[int, str, Callable[[Any], Any]]] = []  # (after column i, new column, value of it)
    for index, column in enumerate(columns):
        name = column.lower()
        if DATE_COLUMN.search(name) and "jalali" not in name:
            extra.append((index, f"{column}_jalali", jalali_of))
        elif ACCOUNT_CODE.search(name) and accounts:
            extra.append((index, name.removesuffix("code") + "name", lambda v: accounts.get(str(v))))
        elif name == "detail_code" and details:
            extra.append((index, "detail_name", lambda v: details.get(str(v)) if v else None))
    if not extra:
        return columns, (list(row) for row in rows)
    wide: list[str] = []
    after: dict[int, list[tuple[str, Callable[[Any], Any]]]] = {}
    for index, column, value_of in extra:
        after.setdefault(index, []).append((column, value_of))
    for index, column in enumerate(columns):
        wide.append(column)
        wide.extend(c for c, _ in after.get(index, ()))

    def widened() -> Iterator[list[Any]]:
        for row in rows:
            out: list[Any] = []
            for index, value in enumerate(row):
                out.append(value)
                out.extend(value_of(value) for _, value_of in after.get(index, ()))
            yield out
    return wide, widened()


def header(column: str) -> str:
    lower = column.lower()
    if lower.endswith("_jalali") and lower[:-7] in PERSIAN_HEADERS:
        return f"{PERSIAN_HEADERS[lower[:-7]].replace(' (میلادی)', '')} – شمسی ({column})"
    if lower.endswith("_jalali"):
        return f"تاریخ شمسی ({column})"
    persian = PERSIAN_HEADERS.get(lower)
    if persian is None and lower.endswith("_account_name"):
        persian = "نام " + PERSIAN_HEADERS.get(lower.removesuffix("_name") + "_code", "حساب").removeprefix("کد ")
    return f"{persian} ({column})" if persian else column


def count_rows(books: sqlite3.Connection, tables: list[str]) -> int:
    return sum(books.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in tables)


def _cell(value: Any) -> Any:
    return base64.b64encode(value).decode() if isinstance(value, bytes) else value


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def spreadsheet_cell(value: Any) -> Any:
    """A cell a spreadsheet shows and never runs (OWASP's CSV-injection rule): text that a
    spreadsheet would read as a formula (=, +, -, @, tab, CR first) gets a leading apostrophe,
    unless it is plainly a number such as -1500."""
    value = _cell(value)
    if isinstance(value, str) and value.startswith(_FORMULA_START) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def _guide(books: sqlite3.Connection, tables: list[str], titles: dict[str, str],
           about: dict[str, Any]) -> list[list[Any]]:
    exported = about.get("exported_at")
    rows: list[list[Any]] = [["تاریخ خروجی (export date)", exported, jalali_of(exported) if exported else None],
                             [], ["برگه (sheet)", "جدول (table)", "تعداد ردیف (rows)"]]
    rows += [[titles[t], t, books.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0]] for t in tables]
    return rows


def write_xlsx(books: sqlite3.Connection, tables: list[str], target: Path, progress: Progress,
               about: dict[str, Any] | None = None) -> None:
    workbook = Workbook(write_only=True)
    done, titles = 0, sheet_titles(tables)
    accounts, details = _names(books, "accounts"), _names(books, "details")
    guide = workbook.create_sheet(title=GUIDE_TITLE)
    guide.sheet_view.rightToLeft = True
    for line in _guide(books, tables, titles, about or {}):
        guide.append([spreadsheet_cell(v) for v in line])
    for table in tables:
        sheet = workbook.create_sheet(title=titles[table])
        sheet.sheet_view.rightToLeft = True
        columns, rows = readable_rows(books, table, accounts, details)
        sheet.append([spreadsheet_cell(header(c)) for c in columns])
        for row in rows:
            sheet.append([spreadsheet_cell(v) for v in row])
            done += 1
            progress(done)
    workbook.save(target)


def write_csv_zip(books: sqlite3.Connection, tables: list[str], target: Path, progress: Progress) -> None:
    done = 0
    accounts, details = _names(books, "accounts"), _names(books, "details")
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for table in tables:
            columns, rows = readable_rows(books, table, accounts, details)
            with archive.open(f"{table}.csv", "w") as raw, io.TextIOWrapper(raw, encoding="utf-8-sig",
                                                                            newline="") as text:
                writer = csv.writer(text)
                writer.writerow([spreadsheet_cell(header(c)) for c in columns])
                for row in rows:
                    writer.writerow([spreadsheet_cell(v) for v in row])
                    done += 1
                    progress(done)


def write_json(books: sqlite3.Connection, tables: list[str], target: Path, progress: Progress,
               about: dict[str, Any]) -> None:
    done = 0
    with open(target, "w", encoding="utf-8") as out:
        out.write('{"export": ' + json.dumps(about, ensure_ascii=False) + ', "tables": {')
        for t_index, table in enumerate(tables):
            columns, rows = table_rows(books, table)
            out.write(("," if t_index else "") + json.dumps(table) + ': {"columns": '
                      + json.dumps(columns, ensure_ascii=False) + ', "headers": '
                      + json.dumps([header(c) for c in columns], ensure_ascii=False) + ', "rows": [')
            for r_index, row in enumerate(rows):
                out.write(("," if r_index else "") + json.dumps([_cell(v) for v in row], ensure_ascii=False))
                done += 1
                progress(done)
            out.write("]}")
        out.write("}}")


def write_export(fmt: str, books: sqlite3.Connection, tables: list[str], target: Path, progress: Progress,
                 about: dict[str, Any]) -> None:
    if fmt == "xlsx":
        write_xlsx(books, tables, target, progress, about)
    elif fmt == "csv":
        write_csv_zip(books, tables, target, progress)
    else:
        write_json(books, tables, target, progress, about)


SUFFIX = {"xlsx": ".xlsx", "csv": ".zip", "json": ".json"}
MEDIA_TYPE = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
              "csv": "application/zip", "json": "application/json"}
