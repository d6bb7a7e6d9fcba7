"""Exports that cannot run (issue #13, item 7; OWASP CSV injection): every cell a spreadsheet
would read as a formula is written as text, numbers stay numbers."""

from __future__ import annotations

import csv
import io
import sqlite3
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook

from services.archival.export_files import spreadsheet_cell, write_csv_zip, write_xlsx

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
    sheet = load_workbook(target)["accounts"]
    cells = [row for row in sheet.iter_rows(min_row=2, values_only=False)]
    assert all(cell.data_type != "f" for row in cells for cell in row)
    # XML keeps a CR as LF; what matters is that each cell is text starting with an apostrophe
    assert [row[1].value for row in cells] == ["'" + text.replace("\r", "\n") for text in HOSTILE]
    assert {row[2].value for row in cells} == {-1500}
