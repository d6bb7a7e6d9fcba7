"""Exports that cannot run (issue #13, item 7; OWASP CSV injection): every cell a spreadsheet
would read as a formula is written as text, numbers stay numbers. And exports a Persian reader
reads (AR-4): sheets and columns named in Persian, Jalali dates beside ISO ones, account names
beside account codes."""

from __future__ import annotations

import csv
import io
import sqlite3
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook

from services.archival.export_files import jalali_of, sheet_titles, spreadsheet_cell, write_csv_zip, write_xlsx

HOSTILE = ["=HYPERLINK(\"http://evil.example\",\"click\")", "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)",
           "\t=1", "\r=1"]


@pytest.mark.parametrize("text", HOSTILE)
def test_formula_text_gets_an_apostrophe(text: str) -> None:
    assert spreadsheet_cell(text) == "'" + text


@pytest.mark.parametrize("value", ["-1500", "+98", "-0.5", "1e3", -1500, 12.5, None, "حساب = دارایی", "a=b"])
def test_numbers_and_ordinary_text_are_unchanged(value: object) -> None:
    assert spreadsheet_cell(value) == value


def _books(tmp_path: Path) -> sqlite3.Connection:
    books = sqlite3.connect(tmp_path / "books.sqlite")
    books.execute("CREATE TABLE accounts (code TEXT, name_fa TEXT, amount INTEGER)")
    rows = [(str(i), text, -1500) for i, text in enumerate(HOSTILE)]
    books.executemany("INSERT INTO accounts VALUES (?, ?, ?)", rows)
    return books


def test_the_csv_export_holds_no_formula(tmp_path: Path) -> None:
    target = tmp_path / "books.zip"
    write_csv_zip(_books(tmp_path), ["accounts"], target, lambda done: None)
    with zipfile.ZipFile(target) as archive:
        rows = list(csv.reader(io.StringIO(archive.read("accounts.csv").decode("utf-8-sig"))))
    assert [row[1] for row in rows[1:]] == ["'" + text for text in HOSTILE]
    assert {row[2] for row in rows[1:]} == {"-1500"}


def test_the_xlsx_export_holds_no_formula(tmp_path: Path) -> None:
    target = tmp_path / "books.xlsx"
    write_xlsx(_books(tmp_path), ["accounts"], target, lambda done: None)
    sheet = load_workbook(target)["سرفصل حساب‌ها"]
    cells = [row for row in sheet.iter_rows(min_row=2, values_only=False)]
    assert all(cell.data_type != "f" for row in cells for cell in row)
    # XML keeps a CR as LF; what matters is that each cell is text starting with an apostrophe
    assert [row[1].value for row in cells] == ["'" + text.replace("\r", "\n") for text in HOSTILE]
    assert {row[2].value for row in cells} == {-1500}


# -- for a Persian reader (AR-4) ------------------------------------------------------------------

@pytest.mark.parametrize(("iso", "jalali"), [
    ("2026-03-21", "1405/01/01"),  # Nowruz 1405
    ("2026-09-23", "1405/07/01"),  # 1405/01/01 + 6 months of 31 days = 186 days later
    ("2026-09-23T08:30:00+00:00", "1405/07/01 12:00"),  # Tehran is UTC+03:30 (no daylight saving since 1401)
    ("2026-03-20T21:00:00+00:00", "1405/01/01 00:30"),  # still 20 March in UTC, already Nowruz in Tehran
    ("1405-01-01", None),  # a Jalali date written with dashes is not taken for a Gregorian one
    ("1405/01/01", None), ("not a date", None), (20260321, None)])
def test_jalali_beside_iso(iso: object, jalali: str | None) -> None:
    assert jalali_of(iso) == jalali


def _opening_books(tmp_path: Path) -> sqlite3.Connection:
    books = sqlite3.connect(tmp_path / "opening.sqlite")
    books.execute("CREATE TABLE accounts (code TEXT, level TEXT, name_fa TEXT, name_en TEXT)")
    books.executemany("INSERT INTO accounts VALUES (?, ?, ?, ?)", [
        ("10104", "subsidiary", "بانک – حساب جاری", "Bank – current accounts"),
        ("50101", "subsidiary", "سرمایهٔ ثبت‌شده", "Registered capital")])
    books.execute("CREATE TABLE details (code TEXT, group_code TEXT, name_fa TEXT)")
    books.execute("INSERT INTO details VALUES ('200001', 'banks', 'بانک ملت – جاری ۱۲۳۴')")
    books.execute("CREATE TABLE opening_balances (account_code TEXT, detail_code TEXT, debit INTEGER, "
                  "credit INTEGER, as_of TEXT, as_of_date TEXT, imported_at TEXT, imported_by TEXT)")
    books.executemany("INSERT INTO opening_balances VALUES (?, ?, ?, ?, '1405/07/01', '2026-09-23', "
                      "'2026-10-07T08:30:00+00:00', 'u1')",
                      [("10104", "200001", 500_000_000, 0), ("50101", "", 0, 500_000_000)])
    books.commit()
    return books


def test_an_xlsx_export_in_persian_with_jalali_dates_and_account_names(tmp_path: Path) -> None:
    """Opening balances imported on 2026-10-07 at 12:00 Tehran time (1405/07/15), as of 2026-09-23
    (1405/07/01): the sheet «مانده‌های افتتاحیه» holds each account code with its Persian name,
    each date with its Jalali date beside it, under Persian headers."""
    target = tmp_path / "books.xlsx"
    tables = ["accounts", "details", "opening_balances"]
    write_xlsx(_opening_books(tmp_path), tables, target, lambda done: None,
               {"exported_at": "2026-10-08T06:00:00+00:00"})
    workbook = load_workbook(target)
    assert workbook.sheetnames == ["راهنما", "سرفصل حساب‌ها", "حساب‌های تفصیلی", "مانده‌های افتتاحیه"]
    assert sheet_titles(tables)["opening_balances"] == "مانده‌های افتتاحیه"
    guide = list(workbook["راهنما"].iter_rows(values_only=True))
    assert guide[0] == ("تاریخ خروجی (export date)", "2026-10-08T06:00:00+00:00", "1405/07/16 09:30")
    assert ("مانده‌های افتتاحیه", "opening_balances", 2) in guide
    sheet = workbook["مانده‌های افتتاحیه"]
    assert sheet.sheet_view.rightToLeft
    headers, *rows = list(sheet.iter_rows(values_only=True))
    assert headers == ("کد حساب (account_code)", "نام حساب (account_name)", "کد تفصیلی (detail_code)",
                       "نام تفصیلی (detail_name)", "بدهکار (debit)", "بستانکار (credit)", "تاریخ مانده‌ها (as_of)",
                       "تاریخ مانده‌ها (میلادی) (as_of_date)", "تاریخ مانده‌ها – شمسی (as_of_date_jalali)",
                       "زمان ورود (imported_at)", "زمان ورود – شمسی (imported_at_jalali)", "واردکننده (imported_by)")
    assert rows[0] == ("10104", "بانک – حساب جاری", "200001", "بانک ملت – جاری ۱۲۳۴", 500_000_000, 0, "1405/07/01",
                       "2026-09-23", "1405/07/01", "2026-10-07T08:30:00+00:00", "1405/07/15 12:00", "u1")
    assert rows[1][:4] == ("50101", "سرمایهٔ ثبت‌شده", None, None)  # "" in the books: no detail


def test_a_csv_export_has_the_same_persian_columns(tmp_path: Path) -> None:
    target = tmp_path / "books.zip"
    write_csv_zip(_opening_books(tmp_path), ["opening_balances"], target, lambda done: None)
    with zipfile.ZipFile(target) as archive:
        rows = list(csv.reader(io.StringIO(archive.read("opening_balances.csv").decode("utf-8-sig"))))
    assert rows[0][:2] == ["کد حساب (account_code)", "نام حساب (account_name)"]
    assert rows[1][:4] == ["10104", "بانک – حساب جاری", "200001", "بانک ملت – جاری ۱۲۳۴"]
    assert rows[1][8] == "1405/07/01" and rows[1][10] == "1405/07/15 12:00"
