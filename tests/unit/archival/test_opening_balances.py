"""Arriving mid-year (AR-5): the template, and an upload checked row by row — all rows go into
the books in one transaction or none do. The sheet's rules alone (balances_sheet.py), then the
use case in memory on a business's books."""

from __future__ import annotations

import base64
import io
import uuid
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook

from services.archival.application import ArchivalApplication
from services.archival.balances_sheet import read_rows
from shared.kernel.errors import DomainError
from tests.support.archival import activated, books_rows, deliver, files_of, lapsed, memory_archival, seed_books

KNOWN = {"1101", "1102", "3101"}


def workbook_bytes(rows: list[tuple[Any, ...]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(("account code", "debit", "credit"))
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def upload(rows: list[tuple[Any, ...]]) -> str:
    return base64.b64encode(workbook_bytes(rows)).decode()


def problems_of(rows: list[tuple[Any, ...]], known: set[str] | None = KNOWN) -> set[tuple[int, str]]:
    with pytest.raises(DomainError) as refused:
        read_rows(workbook_bytes(rows), known)
    assert refused.value.code == "invalid_opening_balances"
    return {(p["row"], p["problem"]) for p in refused.value.details["problems"]}


# -- the sheet ------------------------------------------------------------------------------------

def test_persian_digits_separators_and_whole_floats_are_read_as_rials() -> None:
    rows = read_rows(workbook_bytes([("۱۱۰۱", "۱٬۵۰۰٬۰۰۰", None), (1102, "500,000", 0), ("3101", 0, 2_000_000.0)]),
                     KNOWN)
    assert rows == [("1101", 1_500_000, 0), ("1102", 500_000, 0), ("3101", 0, 2_000_000)]


def test_every_bad_row_is_named() -> None:
    assert problems_of([("9999", 100, 0), ("1101", -5, 0), ("1102", 10.5, 0), ("3101", 100, 100),
                        ("1101", "abc", 0)]) == {
        (2, "unknown_account"), (3, "negative_amount"), (4, "not_whole_rials"), (5, "both_sides"),
        (6, "duplicate_account"), (6, "not_a_number")}


def test_a_row_needs_an_account_and_an_amount() -> None:
    assert problems_of([(None, 100, 0), ("1101", 0, 0)]) == {(2, "missing_account_code"), (3, "no_amount")}


def test_debits_must_equal_credits() -> None:
    with pytest.raises(DomainError) as unbalanced:
        read_rows(workbook_bytes([("1101", 100, 0), ("3101", 0, 90)]), KNOWN)
    (problem,) = unbalanced.value.details["problems"]
    assert problem["problem"] == "not_balanced" and (problem["total_debit"], problem["total_credit"]) == (100, 90)
    assert problem["message"]["fa"] and problem["message"]["en"]


def test_an_empty_sheet_and_garbage_are_refused() -> None:
    assert problems_of([]) == {(0, "no_rows")}
    with pytest.raises(DomainError) as garbage:
        read_rows(b"not a workbook", KNOWN)
    assert garbage.value.code == "invalid_workbook"


def test_without_a_chart_of_accounts_any_code_is_taken() -> None:
    assert read_rows(workbook_bytes([("7777", 5, 0), ("8888", 0, 5)]), None) == [("7777", 5, 0), ("8888", 0, 5)]


# -- the use case ---------------------------------------------------------------------------------

@pytest.fixture
def app(tmp_path: Path) -> ArchivalApplication:
    return memory_archival(tmp_path)


@pytest.fixture
def business(app: ArchivalApplication, tmp_path: Path) -> tuple[uuid.UUID, uuid.UUID]:
    tenant, admin = uuid.uuid4(), uuid.uuid4()
    seed_books(files_of(tmp_path), tenant)
    deliver(app, activated(tenant, admin, app.clock.now()), app.clock.now())
    return tenant, admin


def test_the_template_and_an_import_of_balanced_rows_in_persian_digits(
        app: ArchivalApplication, tmp_path: Path, business: tuple[uuid.UUID, uuid.UUID]) -> None:
    tenant, admin = business
    template = load_workbook(io.BytesIO(base64.b64decode(app.opening_balances.template())))
    headers = next(template.active.iter_rows(values_only=True))  # type: ignore[union-attr]
    assert "کد حساب" in headers[0] and "debit" in headers[1] and "credit" in headers[2]
    rows = upload([("۱۱۰۱", "۱٬۵۰۰٬۰۰۰", None), (1102, 500000, 0), ("3101", 0, 2_000_000.0)])
    answer = app.opening_balances.import_workbook(tenant, str(admin), [], rows)
    assert answer == {"imported_rows": 3, "total_debit": 2_000_000, "total_credit": 2_000_000}
    imported = books_rows(files_of(tmp_path), tenant)["opening_balances"]
    assert [r[:3] for r in imported] == [("1101", 1_500_000, 0), ("1102", 500_000, 0), ("3101", 0, 2_000_000)]
    assert {r[4] for r in imported} == {str(admin)}
    with pytest.raises(DomainError) as twice:
        app.opening_balances.import_workbook(tenant, str(admin), [], rows)
    assert twice.value.code == "opening_balances_exist"


def test_a_refused_upload_imports_nothing(app: ArchivalApplication, tmp_path: Path,
                                          business: tuple[uuid.UUID, uuid.UUID]) -> None:
    tenant, admin = business
    with pytest.raises(DomainError) as refused:
        app.opening_balances.import_workbook(tenant, str(admin), [], upload([("9999", 100, 0), ("3101", 0, 100)]))
    assert refused.value.code == "invalid_opening_balances"
    assert all(p["message"]["fa"] and p["message"]["en"] for p in refused.value.details["problems"])
    assert "opening_balances" not in books_rows(files_of(tmp_path), tenant)
    with pytest.raises(DomainError) as garbage:
        app.opening_balances.import_workbook(tenant, str(admin), [], "%%% not base64")
    assert garbage.value.code == "invalid_workbook"


def test_only_the_business_s_people_import_and_only_into_live_books(
        app: ArchivalApplication, business: tuple[uuid.UUID, uuid.UUID]) -> None:
    tenant, admin = business
    rows = upload([("1101", 5, 0), ("3101", 0, 5)])
    with pytest.raises(DomainError) as outsider:
        app.opening_balances.import_workbook(tenant, str(uuid.uuid4()), [], rows)
    assert outsider.value.code == "forbidden"
    with pytest.raises(DomainError) as unknown:
        app.opening_balances.import_workbook(uuid.uuid4(), str(admin), ["support"], rows)
    assert unknown.value.code == "not_found"
    bookless = uuid.uuid4()
    deliver(app, lapsed(bookless, admin, app.clock.now()), app.clock.now())
    with pytest.raises(DomainError) as none:
        app.opening_balances.import_workbook(bookless, str(admin), [], rows)
    assert none.value.code == "no_books"
