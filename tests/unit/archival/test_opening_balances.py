"""Arriving mid-year (AR-5): the template, an upload previewed row by row against the business's own
chart (posting accounts — معین — and floating detail ledgers, as provisioning seeds them), and the
import — all rows in one transaction or none. The sheet's rules alone (balances_sheet.py) on a
trading chart seeded by provisioning, then the use case in memory on a business's books."""

from __future__ import annotations

import base64
import io
import sqlite3
import uuid
from collections.abc import Iterator
from datetime import UTC, timedelta
from pathlib import Path
from typing import Any

import jdatetime
import pytest
from openpyxl import Workbook, load_workbook

from services.archival.application import ArchivalApplication
from services.archival.balances_sheet import EXAMPLE_ROWS, HEADERS, Chart, Reading, read_sheet
from services.archival.opening_balances import chart_of
from services.provisioning.books import create_schema, seed_chart
from services.provisioning.catalogue import BUSINESS_TYPES
from shared.kernel.errors import DomainError
from shared.tenant_books import TenantBooks, posting_accounts
from tests.support.archival import activated, books_rows, deliver, files_of, lapsed, memory_archival

TODAY = jdatetime.date(1405, 7, 15)  # a business arriving in the middle of the fiscal year
# Details a trading business defined before importing (codes: the group's number and 5 digits).
DETAILS = [("100001", "persons", "بازرگانی نور", "Noor Trading"),
           ("100002", "persons", "آقای رضا احمدی", "Reza Ahmadi"),
           ("200001", "banks", "بانک ملت – جاری ۱۲۳۴", "Bank Mellat current 1234")]


def seed_trading(books: sqlite3.Connection) -> None:
    create_schema(books)
    seed_chart(books, "trading")
    books.executemany("INSERT INTO details (code, group_code, name_fa, name_en, source) VALUES (?, ?, ?, ?, ?)",
                      [(*d, f"test:{d[0]}") for d in DETAILS])
    books.execute("INSERT INTO details (code, group_code, name_fa, name_en, source, active) "
                  "VALUES ('100003', 'persons', 'مشتری قدیمی', 'An old customer', 'test:100003', 0)")


@pytest.fixture(scope="module")
def chart() -> Iterator[Chart]:
    books = sqlite3.connect(":memory:")
    seed_trading(books)
    yield chart_of(books)
    books.close()


def workbook_bytes(rows: list[tuple[Any, ...]], as_of: object = "۱۴۰۵/۰۷/۰۱",
                   headers: tuple[str, ...] = HEADERS[:4]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    if as_of is not None:
        sheet.append(("تاریخ مانده‌ها", as_of))
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def read(rows: list[tuple[Any, ...]], chart: Chart, **kwargs: Any) -> Reading:
    return read_sheet(workbook_bytes(rows, **kwargs), chart, today=TODAY)


def problems_of(reading: Reading) -> list[tuple[int, str, str]]:
    return [(p["row"], p["column"], p["problem"]) for p in reading.problems]


# -- the sheet ------------------------------------------------------------------------------------

def test_a_hand_worked_mid_year_import_of_a_trading_business(chart: Chart) -> None:
    """Balances at 1405/07/01 (Persian digits, separators as typed in Excel):
        10101 صندوق ریالی                       85,000,000 Dr
        10104 بانک – حساب جاری / 200001 ملت    415,000,000 Dr
        10301 دریافتنی تجاری / 100001 نور      300,000,000 Dr
        30101 پرداختنی تجاری / 100002 احمدی                    200,000,000 Cr
        50101 سرمایهٔ ثبت‌شده                                   600,000,000 Cr
    Dr 85 + 415 + 300 = 800 million; Cr 200 + 600 = 800 million: balanced."""
    reading = read([("۱۰۱۰۱", None, "۸۵٬۰۰۰٬۰۰۰", None), (10104, "۲۰۰۰۰۱", 415_000_000, 0),
                    ("10301", 100001, "300,000,000", None), ("30101", "100002", None, 200_000_000.0),
                    ("50101", None, None, "600000000")], chart)
    assert reading.problems == [] and reading.warnings == []
    assert reading.as_of == jdatetime.date(1405, 7, 1)
    assert [(x.row, x.account_code, x.detail_code, x.debit, x.credit) for x in reading.lines] == [
        (3, "10101", "", 85_000_000, 0), (4, "10104", "200001", 415_000_000, 0),
        (5, "10301", "100001", 300_000_000, 0), (6, "30101", "100002", 0, 200_000_000),
        (7, "50101", "", 0, 600_000_000)]
    assert reading.total_debit == reading.total_credit == 800_000_000


def test_an_import_with_errors_names_each_row_and_why(chart: Chart) -> None:
    """Row numbers are the sheet's (row 1 the date, row 2 the headers):
        3: 1      — a group (گروه): refused, its balance is its accounts' sum
        4: 101    — a ledger (کل): refused likewise
        5: 1101   — the old template's code: in no chart
        6: 10104 without a detail — a bank account needs its bank (بانک‌ها)
        7: 10301 with 200001 — a bank detail on a customers' account (اشخاص)
        8: 10101 with 100001 — cash takes no detail
        9: 10301 with 999999 — no such detail
       10: 10301 with 100003 — an inactive detail
       11: 10102 with −5 and 12: 10501 with 10.5 rials
       13: 50101 on both sides, 14: 30101/100002 with neither
       15: 10101 again — its first row is 8 (the row is refused too, but keeps its first place)."""
    reading = read([(1, None, 100, None), ("101", None, 100, None), ("1101", None, 100, None),
                    ("10104", None, 100, None), ("10301", "200001", 100, None), ("10101", "100001", 100, None),
                    ("10301", "999999", 100, None), ("10301", "100003", 100, None), ("10102", None, -5, None),
                    ("10501", None, 10.5, None), ("50101", None, 100, 100), ("30101", "100002", 0, 0),
                    ("10101", None, None, 100)], chart)
    assert problems_of(reading) == [
        (3, "account_code", "not_posting_account"), (4, "account_code", "not_posting_account"),
        (5, "account_code", "unknown_account"), (6, "detail_code", "detail_required"),
        (7, "detail_code", "detail_not_of_account"), (8, "detail_code", "detail_not_taken"),
        (9, "detail_code", "unknown_detail"), (10, "detail_code", "detail_inactive"),
        (11, "debit", "negative_amount"), (12, "debit", "not_whole_rials"), (13, "", "both_sides"),
        (14, "", "no_amount")]
    by_row = {p["row"]: p for p in reading.problems}
    assert by_row[3]["level"] == "group" and "گروه" in by_row[3]["message"]["fa"]
    assert "group" in by_row[3]["message"]["en"] and "twice" in by_row[3]["message"]["en"]
    assert by_row[4]["level"] == "ledger" and "کل" in by_row[4]["message"]["fa"]
    assert by_row[6]["message"]["fa"] == "این حساب تفصیلی می‌خواهد (بانک‌ها)؛ کد تفصیلی را بنویسید."
    assert by_row[7]["message"]["fa"] == "این تفصیلی از گروه «بانک‌ها» است و این حساب آن را نمی‌پذیرد (اشخاص)."
    assert all(p["message"]["fa"] and p["message"]["en"] for p in reading.problems)
    # Cash (debit nature) with no detail on row 15 is a new pair (10101, ""): row 8 was (10101, 100001).
    assert reading.warnings[0]["row"] == 15 and reading.warnings[0]["warning"] == "against_nature"


def test_the_same_account_and_detail_twice_is_refused_but_two_details_of_one_account_are_not(chart: Chart) -> None:
    """Two customers in 10301 are two balances; customer 100001 twice would count twice.
    Dr 100 + 50 + 100 = 250 = Cr 250, so only the repetition is wrong."""
    reading = read([("10301", "100001", 100, None), ("10301", "100002", 50, None),
                    ("10301", "100001", 100, None), ("50101", None, None, 250)], chart)
    assert problems_of(reading) == [(5, "account_code", "duplicate_account")]
    assert reading.problems[0]["first_row"] == 3
    assert reading.problems[0]["message"]["fa"] == "این حساب (با همین تفصیلی) در ردیف ۳ هم آمده است."


def test_debits_must_equal_credits_and_the_totals_are_said_in_persian(chart: Chart) -> None:
    """Dr 1,500,000 (صندوق) vs Cr 1,400,000 (سرمایه): 100,000 rials apart."""
    reading = read([("10101", None, "1,500,000", None), ("50101", None, None, 1_400_000)], chart)
    (problem,) = reading.problems
    assert (problem["row"], problem["problem"]) == (0, "not_balanced")
    assert (problem["total_debit"], problem["total_credit"]) == (1_500_000, 1_400_000)
    assert "۱٬۵۰۰٬۰۰۰" in problem["message"]["fa"] and "۱٬۴۰۰٬۰۰۰" in problem["message"]["fa"]
    assert "1,500,000" in problem["message"]["en"]


@pytest.mark.parametrize(("as_of", "code"), [(None, "missing_as_of"), ("1405/13/01", "invalid_as_of"),
                                             ("1403/12/30", None),  # 1403 is a leap year: اسفند has 30 days
                                             ("1404/12/30", "invalid_as_of"), ("next week", "invalid_as_of"),
                                             ("۱۴۰۵/۰۷/۱۶", "as_of_in_future"), ("1405-07-15", None)])
def test_the_as_of_date_is_a_jalali_date_not_after_today(chart: Chart, as_of: object, code: str | None) -> None:
    reading = read([("10101", None, 5, None), ("50101", None, None, 5)], chart, as_of=as_of)
    assert [p["problem"] for p in reading.problems] == ([code] if code else [])
    if code:
        assert reading.problems[0]["column"] == "as_of" and reading.problems[0]["message"]["fa"]


def test_a_date_given_with_the_upload_wins_over_the_sheet_s(chart: Chart) -> None:
    reading = read_sheet(workbook_bytes([("10101", None, 5, None), ("50101", None, None, 5)], as_of=None),
                         chart, today=TODAY, as_of="1405/06/31")
    assert reading.problems == [] and reading.as_of == jdatetime.date(1405, 6, 31)


def test_the_first_release_s_three_column_sheet_still_reads(chart: Chart) -> None:
    reading = read([("10101", 5, 0), ("50101", 0, 5)], chart, headers=("account code", "debit", "credit"))
    assert reading.problems == [] and [(x.account_code, x.detail_code) for x in reading.lines] == [
        ("10101", ""), ("50101", "")]


def test_an_empty_sheet_a_sheet_without_headers_garbage_and_books_without_a_chart(chart: Chart) -> None:
    assert problems_of(read([], chart)) == [(0, "", "no_rows")]
    assert problems_of(read([("10101", 5)], chart, headers=("x", "y"))) == [(0, "", "no_header_row")]
    assert problems_of(read([("10101", None, 5, None)], Chart(posting={}))) == [(0, "account_code", "no_chart")]
    with pytest.raises(DomainError) as garbage:
        read_sheet(b"not a workbook", chart, today=TODAY)
    assert garbage.value.code == "invalid_workbook"


@pytest.mark.parametrize("business_type", BUSINESS_TYPES)
def test_the_template_s_example_rows_are_posting_accounts_of_every_seeded_chart(business_type: str) -> None:
    books = sqlite3.connect(":memory:")
    create_schema(books)
    seed_chart(books, business_type)
    accounts = posting_accounts(books)
    for code, detail, *_ in EXAMPLE_ROWS:
        assert code in accounts and not accounts[code].detail_groups and detail is None, (business_type, code)
    assert sum(r[2] or 0 for r in EXAMPLE_ROWS) == sum(r[3] or 0 for r in EXAMPLE_ROWS)


# -- the use case ---------------------------------------------------------------------------------

@pytest.fixture
def app(tmp_path: Path) -> ArchivalApplication:
    app = memory_archival(tmp_path)
    # 1405/07/15 at noon in Tehran (08:30 UTC), so TODAY in the sheet tests is the app's today too.
    noon = jdatetime.datetime(1405, 7, 15, 12, 0).togregorian()
    moment = noon.replace(tzinfo=UTC) - timedelta(hours=3, minutes=30)
    app.clock.set_offset(int((moment - app.clock.now()).total_seconds()))
    return app


@pytest.fixture
def business(app: ArchivalApplication, tmp_path: Path) -> tuple[uuid.UUID, uuid.UUID]:
    tenant, admin = uuid.uuid4(), uuid.uuid4()
    with TenantBooks(files_of(tmp_path)).open(tenant, create=True) as books:
        seed_trading(books)
    deliver(app, activated(tenant, admin, app.clock.now()), app.clock.now())
    return tenant, admin


def upload(rows: list[tuple[Any, ...]], **kwargs: Any) -> str:
    return base64.b64encode(workbook_bytes(rows, **kwargs)).decode()


BALANCED = [("۱۰۱۰۱", None, "۸۵٬۰۰۰٬۰۰۰", None), ("10104", "200001", 415_000_000, None),
            ("50101", None, None, 500_000_000)]  # Dr 85 + 415 = Cr 500 million


def test_the_template_has_real_codes_a_jalali_date_and_imports_as_it_is(
        app: ArchivalApplication, tmp_path: Path, business: tuple[uuid.UUID, uuid.UUID]) -> None:
    tenant, admin = business
    content = base64.b64decode(app.opening_balances.template())
    sheet = load_workbook(io.BytesIO(content)).worksheets[0]
    assert sheet.title == "مانده‌های افتتاحیه" and sheet.sheet_view.rightToLeft
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:2] == ("تاریخ مانده‌ها (شمسی) / as-of date (Jalali)", "1405/01/01")  # this Jalali year
    assert "کد حساب معین" in rows[2][0] and "تفصیلی" in rows[2][1]
    assert [r[0] for r in rows[3:]] == ["10101", "50101"]
    preview = app.opening_balances.preview(tenant, str(admin), [], base64.b64encode(content).decode())
    assert preview["importable"] and [r["account_name"] for r in preview["rows"]] == ["صندوق ریالی", "سرمایهٔ ثبت‌شده"]


def test_a_preview_shows_names_and_problems_and_writes_nothing_then_the_import_writes_all(
        app: ArchivalApplication, tmp_path: Path, business: tuple[uuid.UUID, uuid.UUID]) -> None:
    tenant, admin = business
    before = books_rows(files_of(tmp_path), tenant)
    wrong = app.opening_balances.preview(tenant, str(admin), [], upload([*BALANCED, ("103", None, 5, None)]))
    assert not wrong["importable"] and [(p["row"], p["problem"]) for p in wrong["problems"]] == [
        (6, "not_posting_account")]
    good = app.opening_balances.preview(tenant, str(admin), [], upload(BALANCED))
    assert good["importable"] and good["problems"] == [] and not good["already_imported"]
    assert good["as_of"] == {"jalali": "۱۴۰۵/۰۷/۰۱", "jalali_latin": "1405/07/01", "iso": "2026-09-23"}
    assert good["rows"][1] == {"row": 4, "account_code": "10104", "account_name": "بانک – حساب جاری",
                               "account_name_en": "Bank – current accounts", "detail_code": "200001",
                               "detail_name": "بانک ملت – جاری ۱۲۳۴", "debit": 415_000_000, "credit": 0}
    assert (good["total_debit"], good["total_credit"]) == (500_000_000, 500_000_000)
    assert books_rows(files_of(tmp_path), tenant) == before  # a preview writes nothing

    answer = app.opening_balances.import_workbook(tenant, str(admin), [], upload(BALANCED))
    assert (answer["imported_rows"], answer["total_debit"], answer["total_credit"]) == (3, 500_000_000, 500_000_000)
    assert answer["as_of"]["jalali_latin"] == "1405/07/01"
    imported = books_rows(files_of(tmp_path), tenant)["opening_balances"]
    assert [r[:6] for r in imported] == [("10101", "", 85_000_000, 0, "1405/07/01", "2026-09-23"),
                                         ("10104", "200001", 415_000_000, 0, "1405/07/01", "2026-09-23"),
                                         ("50101", "", 0, 500_000_000, "1405/07/01", "2026-09-23")]
    assert {r[7] for r in imported} == {str(admin)}
    assert app.opening_balances.preview(tenant, str(admin), [], upload(BALANCED))["already_imported"]
    with pytest.raises(DomainError) as twice:
        app.opening_balances.import_workbook(tenant, str(admin), [], upload(BALANCED))
    assert twice.value.code == "opening_balances_exist"


def test_a_refused_upload_imports_nothing(app: ArchivalApplication, tmp_path: Path,
                                          business: tuple[uuid.UUID, uuid.UUID]) -> None:
    tenant, admin = business
    with pytest.raises(DomainError) as refused:  # all rows right but the ledger 101: none go in
        app.opening_balances.import_workbook(tenant, str(admin), [], upload([*BALANCED, ("101", None, 5, None),
                                                                              ("50101", None, None, 5)]))
    assert refused.value.code == "invalid_opening_balances"
    assert [(p["row"], p["problem"]) for p in refused.value.details["problems"]] == [
        (6, "not_posting_account"), (7, "duplicate_account")]
    assert "opening_balances" not in books_rows(files_of(tmp_path), tenant)
    with pytest.raises(DomainError) as garbage:
        app.opening_balances.import_workbook(tenant, str(admin), [], "%%% not base64")
    assert garbage.value.code == "invalid_workbook"


def test_only_the_business_s_people_import_and_only_into_live_books(
        app: ArchivalApplication, business: tuple[uuid.UUID, uuid.UUID]) -> None:
    tenant, admin = business
    rows = upload(BALANCED)
    for use in (app.opening_balances.import_workbook, app.opening_balances.preview):
        with pytest.raises(DomainError) as outsider:
            use(tenant, str(uuid.uuid4()), [], rows)
        assert outsider.value.code == "forbidden"
        with pytest.raises(DomainError) as unknown:
            use(uuid.uuid4(), str(admin), ["support"], rows)
        assert unknown.value.code == "not_found"
    bookless = uuid.uuid4()
    deliver(app, lapsed(bookless, admin, app.clock.now()), app.clock.now())
    with pytest.raises(DomainError) as none:
        app.opening_balances.import_workbook(bookless, str(admin), [], rows)
    assert none.value.code == "no_books"
