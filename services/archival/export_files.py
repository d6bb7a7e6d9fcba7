"""Writing a business's books to an export file (AR-4): xlsx (one sheet per table, openpyxl's
write-only mode), csv (a zip of one UTF-8-with-BOM file per table, so Excel shows Persian
right) or json (one document). Rows stream from a consistent snapshot to disk; every table
of the books goes out, whatever provisioning put there."""

from __future__ import annotations

import base64
import csv
import io
import json
import re
import sqlite3
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from openpyxl import Workbook

# Persian names of the columns and tables the books are known to hold; others keep their name.
PERSIAN_HEADERS = {
    "code": "کد", "account_code": "کد حساب", "name": "نام", "title": "عنوان", "parent_code": "کد حساب مادر",
    "nature": "ماهیت", "kind": "نوع", "debit": "بدهکار", "credit": "بستانکار", "amount": "مبلغ",
    "amount_rials": "مبلغ (ریال)", "date": "تاریخ", "description": "شرح", "number": "شماره",
    "customer": "مشتری", "user_id": "شناسهٔ کاربر", "role": "نقش", "permissions": "مجوزها",
    "module": "ماژول", "key": "کلید", "value": "مقدار", "invoice_id": "شمارهٔ فاکتور",
    "paid_at": "تاریخ پرداخت", "quantity": "تعداد", "price": "قیمت", "status": "وضعیت",
    "created_at": "تاریخ ایجاد", "active": "فعال", "mobile": "موبایل", "total_rials": "جمع (ریال)",
}
SHEET_NAME = re.compile(r"[\[\]:*?/\\]")
Progress = Callable[[int], None]  # rows written so far


def header(column: str) -> str:
    persian = PERSIAN_HEADERS.get(column.lower())
    return f"{persian} ({column})" if persian else column


def table_rows(books: sqlite3.Connection, table: str) -> tuple[list[str], Iterator[tuple[Any, ...]]]:
    cursor = books.execute(f'SELECT * FROM "{table}"')  # names come from sqlite_master, not from users
    return [d[0] for d in cursor.description], iter(cursor)


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


def write_xlsx(books: sqlite3.Connection, tables: list[str], target: Path, progress: Progress) -> None:
    workbook = Workbook(write_only=True)
    done, used = 0, set[str]()
    for table in tables:
        title = SHEET_NAME.sub("_", table)[:31]
        while title.lower() in used:
            title = f"{title[:28]}_{len(used)}"
        used.add(title.lower())
        sheet = workbook.create_sheet(title=title)
        sheet.sheet_view.rightToLeft = True
        columns, rows = table_rows(books, table)
        sheet.append([spreadsheet_cell(header(c)) for c in columns])
        for row in rows:
            sheet.append([spreadsheet_cell(v) for v in row])
            done += 1
            progress(done)
    if not tables:
        workbook.create_sheet(title="empty")
    workbook.save(target)


def write_csv_zip(books: sqlite3.Connection, tables: list[str], target: Path, progress: Progress) -> None:
    done = 0
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for table in tables:
            columns, rows = table_rows(books, table)
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
        write_xlsx(books, tables, target, progress)
    elif fmt == "csv":
        write_csv_zip(books, tables, target, progress)
    else:
        write_json(books, tables, target, progress, about)


SUFFIX = {"xlsx": ".xlsx", "csv": ".zip", "json": ".json"}
MEDIA_TYPE = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
              "csv": "application/zip", "json": "application/json"}
