"""The business's books in the browser (issue #18), against the real billing, provisioning,
tenancy, archival and gateway processes: the admin sees each branch with its detail (تفصیلی)
code; upgrades payroll formulas of an earlier version when asked; computes a payslip typed in
Persian digits (a provisional year marked «موقت» with why,
and per-field errors, the client's and the service's); uploads an opening-balances workbook,
sees each row's problem in Persian with nothing written, then imports a good one all at once
(and a second import is refused); and asks for a depreciation schedule by year with its
accounts, marked provisional."""

from __future__ import annotations

import contextlib
import io
import sqlite3
from pathlib import Path
from typing import Any

import pytest
import requests
from openpyxl import Workbook
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from services.archival.balances_sheet import AS_OF_LABEL, HEADERS, NOTE
from tests.browser.conftest import screenshot
from tests.browser.steps import (
    bearer,
    bought_through_the_api,
    check_page_is_accessible_on_a_phone,
    field,
    field_error,
    fill,
    find,
    heading,
    log_in,
    signed_up,
    submit,
    to_persian,
    waiter,
)
from tests.support.processes import wait_until

pytestmark = pytest.mark.browser
SLOW = 60
ADMIN = "09121239301"


def grouped(number: int) -> str:
    """As the portal writes rials in Persian: ۳۲۶٬۸۴۶٬۲۰۸."""
    return to_persian(f"{number:,}").replace(",", "٬")


@pytest.fixture(scope="module")
def business(shop: dict[str, Any]) -> dict[str, Any]:
    """A trading business with payroll and fixed assets, provisioned, with one branch whose
    detail is in its books, and known to archival."""
    url = shop["url"]
    signed_up(url, ADMIN)
    tenant = bought_through_the_api(url, ADMIN, "بازرگانی دفترداران", ["accounting", "payroll", "fixed_assets"],
                                    timeout=SLOW)
    auth = bearer(url, ADMIN)
    wait_until(lambda: requests.post(f"{url}/tenancy/businesses/{tenant}/organizations", headers=auth, timeout=10,
                                     json={"name": "شعبهٔ تبریز", "kind": "branch"}).status_code == 201,
               timeout=SLOW, interval=0.5, what="the branch added")

    def branch_detail() -> Any:
        view = requests.get(f"{url}/provisioning/tenants/{tenant}", headers=auth, timeout=10).json()
        return view.get("state") == "active" and all(b["detail_code"] for b in view["branches"]) \
            and len(view["branches"]) == 2 and view
    wait_until(branch_detail, timeout=SLOW, interval=0.5, what="the branch's detail in the books")
    wait_until(lambda: requests.get(f"{url}/archival/tenants/{tenant}", headers=auth, timeout=10).status_code == 200,
               timeout=SLOW, interval=0.5, what="archival to know the business")
    return {"url": url, "tenant": tenant, "books": shop["platform"].settings.var_dir / "tenants" / f"{tenant}.sqlite"}


def open_books_page(page: Any, business: dict[str, Any], link: str) -> None:
    url, tenant = business["url"], business["tenant"]
    log_in(page, url, ADMIN)
    find(page, f"[data-tenant='{tenant}'] [data-role=books] a[href$='/{link}']", SLOW).click()


def test_branches_and_a_payslip_with_persian_digits_provisional_years_and_errors_by_field(
        page: Any, business: dict[str, Any]) -> None:
    url, tenant = business["url"], business["tenant"]
    log_in(page, url, ADMIN)
    branches = find(page, f"[data-tenant='{tenant}'] [data-role=branches]", SLOW)
    items = [item.text for item in branches.find_elements(By.TAG_NAME, "li")]
    assert items == [f"دفتر مرکزی — تفصیلی {to_persian('500001')}",
                     f"شعبهٔ تبریز (شعبه) — تفصیلی {to_persian('500002')}"]
    find(page, f"[data-tenant='{tenant}'] [data-role=books] a[href$='/payslip']").click()
    heading(page, "پیش‌نمایش فیش حقوقی")

    # Refused before sending: a wage that is not a whole number, named by its field.
    fill(page, "daily_wage", "۱۰٬۰۰۰٫۵")
    submit(page, of="daily_wage")
    assert "عدد صحیح" in field_error(page, "daily_wage").text
    assert field(page, "daily_wage").get_attribute("aria-invalid") == "true"

    # Books seeded before payroll 1405.2 (as if): the formulas are refused until the admin upgrades them.
    with contextlib.closing(sqlite3.connect(business["books"], timeout=30)) as books, books:
        books.execute("UPDATE payroll_formulas SET version = '1405.1'")

    # The worker of tests/unit/provisioning/test_payroll.py, typed in Persian digits: اردیبهشت ۱۴۰۴.
    fill(page, "year", "۱۴۰۴")
    Select(field(page, "month")).select_by_value("2")
    for name, value in (("daily_wage", "۱۰٬۰۰۰٬۰۰۰"), ("years_of_service", "۳"), ("children", "۲"),
                        ("overtime_hours", "۲۲"), ("loan_installment_amount", "۱۵۰۰۰۰۰۰"),
                        ("advance_amount", "20,000,000")):
        fill(page, name, value)
    Select(field(page, "married")).select_by_value("1")
    submit(page, of="daily_wage")
    assert "نسخهٔ پیشین" in find(page, "[data-form=payslip] .form-error", SLOW).text
    find(page, "[data-role=upgrade-payroll]").click()  # upgraded, then computed again
    result = find(page, "[data-role=payslip] h2", SLOW)
    assert result.text == "فیش حقوقی اردیبهشت ۱۴۰۴"
    net = find(page, "[data-role=payslip-lines] [data-total=net_pay]").text
    assert grouped(326_846_208) in net and "خالص پرداختی" in net
    assert grouped(9_000_000) in find(page, "[data-line=housing_allowance]").text
    assert not page.find_elements(By.CSS_SELECTOR, "[data-role=payslip] [data-role=provisional]")

    # A year whose official figures are not out yet says so, and why.
    fill(page, "year", "۱۴۰۵")
    Select(field(page, "month")).select_by_value("9")
    submit(page, of="daily_wage")
    waiter(page, SLOW).until(lambda d: "آذر ۱۴۰۵" in d.find_element(By.CSS_SELECTOR, "[data-role=payslip] h2").text)
    assert find(page, "[data-role=payslip] h2 [data-role=provisional]").text == "موقت"
    warning = find(page, "[data-role=payslip] .note.warning").text
    assert "ارقام این سال موقت است" in warning and "۱۴۰۴" in warning
    check_page_is_accessible_on_a_phone(page)
    screenshot(page, "23-payslip-provisional-fa")

    # The service's own refusal lands by its field: night work is for non-shift workers (art. 58).
    Select(field(page, "shift")).select_by_value("three")
    fill(page, "night_hours", "۱۰")
    submit(page, of="daily_wage")
    assert "مادهٔ ۵۸" in field_error(page, "night_hours", SLOW).text
    assert page.find_element(By.CSS_SELECTOR, "[data-role=payslip]").text == ""  # no stale payslip beside the error

    # In English, left to right.
    find(page, "#lang").click()
    heading(page, "Payslip preview", SLOW)
    fill(page, "year", "1405")
    Select(field(page, "month")).select_by_value("9")
    fill(page, "daily_wage", "4000000")
    submit(page, of="daily_wage")
    assert find(page, "[data-role=payslip] h2", SLOW).text == "Payslip for 1405/09 provisional"
    assert "Net pay" in find(page, "[data-total=net_pay]").text
    assert "provisional" in find(page, "[data-role=payslip] .note.warning").text
    assert page.execute_script("return document.documentElement.dir") == "ltr"
    check_page_is_accessible_on_a_phone(page)
    screenshot(page, "24-payslip-provisional-en")
    find(page, "#lang").click()


def workbook(tmp_path: Path, name: str, rows: list[tuple[Any, ...]], as_of: str = "۱۴۰۵/۰۱/۰۱") -> str:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append([AS_OF_LABEL, as_of])
    sheet.append([NOTE])
    sheet.append(list(HEADERS))
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    path = tmp_path / name
    path.write_bytes(out.getvalue())
    return str(path)


def test_opening_balances_show_each_rows_problem_before_anything_is_written_then_import_all_at_once(
        page: Any, business: dict[str, Any], tmp_path: Path) -> None:
    url, tenant = business["url"], business["tenant"]
    open_books_page(page, business, "opening-balances")
    heading(page, "مانده‌های افتتاحیه")

    submit(page, of="as_of")
    assert "فایل را انتخاب کنید" in field_error(page, "file").text

    # A ledger (کل) code and an unknown account: each by its row.
    bad = workbook(tmp_path, "bad.xlsx", [("101", None, 5_000_000, None), ("10101", None, 1_000_000_000, None),
                                          ("99999", None, None, 10), ("50101", None, None, 999_000_000)])
    field(page, "file").send_keys(bad)
    submit(page, of="as_of")
    problems = find(page, "[data-role=problems]", SLOW)
    by_row = {item.get_attribute("data-row"): item.text for item in problems.find_elements(By.TAG_NAME, "li")}
    assert "حساب معین" in by_row["4"] and by_row["4"].startswith(f"ردیف {to_persian('4')} (کد حساب)")
    assert "در سرفصل حساب‌های شما نیست" in by_row["6"]
    assert "چیزی ثبت نشده است" in find(page, "[data-role=opening-preview] .note.error").text
    assert not page.find_elements(By.CSS_SELECTOR, "[data-role=import]")  # nothing to confirm
    assert "bad" in find(page, "[data-role=opening-rows] tr[data-row='4']").get_attribute("class")
    check_page_is_accessible_on_a_phone(page)
    screenshot(page, "25-opening-balances-errors-fa")

    # Rows each fine, sides that do not balance: the whole file's problem.
    unbalanced = workbook(tmp_path, "unbalanced.xlsx", [("10101", None, 1_000_000_000, None),
                                                        ("50101", None, None, 999_000_000)])
    field(page, "file").send_keys(unbalanced)
    submit(page, of="as_of")
    waiter(page, SLOW).until(lambda d: "برابر نیست" in d.find_element(By.CSS_SELECTOR, "[data-role=problems]").text)
    assert find(page, "[data-role=problems] li[data-row='0']").text.startswith("کل فایل: ")

    # The template's own balanced rows, the date typed in Persian digits: previewed, then imported.
    good = workbook(tmp_path, "good.xlsx", [("10101", None, 1_000_000_000, None), ("50101", None, None, 1_000_000_000)],
                    as_of="")
    field(page, "file").send_keys(good)
    fill(page, "as_of", "۱۴۰۵/۰۱/۰۱")
    submit(page, of="as_of")
    ready = find(page, "[data-role=opening-preview] .note.success", SLOW).text
    assert f"{to_persian('2')} ردیف" in ready and "۱۴۰۵/۰۱/۰۱" in ready
    totals = find(page, "[data-role=opening-rows] tfoot").text
    assert totals.count(grouped(1_000_000_000)) == 2
    find(page, "[data-role=import]").click()
    done = find(page, "[data-role=import-status] .note.success", SLOW).text
    assert done == f"{to_persian('2')} ردیف با تاریخ ۱۴۰۵/۰۱/۰۱ ثبت شد."
    assert not page.find_elements(By.CSS_SELECTOR, "[data-role=import]")
    screenshot(page, "26-opening-balances-imported-fa")

    # Once imported, a preview says so and offers no second import.
    submit(page, of="as_of")
    assert "پیش‌تر ثبت شده" in find(page, "[data-role=opening-preview] .note.warning", SLOW).text
    assert not page.find_elements(By.CSS_SELECTOR, "[data-role=import]")
    again = requests.post(f"{url}/archival/tenants/{tenant}/opening-balances", headers=bearer(url, ADMIN),
                          data=Path(good).read_bytes(), params={"as_of": "1405/01/01"}, timeout=30)
    assert again.status_code == 409 and again.json()["error"] == "opening_balances_exist"


def test_a_depreciation_schedule_by_year_with_its_accounts_marked_provisional(
        page: Any, business: dict[str, Any]) -> None:
    open_books_page(page, business, "depreciation")
    heading(page, "جدول استهلاک دارایی")
    Select(field(page, "category")).select_by_value("computers")

    fill(page, "cost", "۲۴۰ میلیون")
    fill(page, "in_service", "۱۴۰۴/۱۲/۳۰")  # 1404 is not a leap year
    submit(page, of="cost")
    assert "عدد صحیح" in field_error(page, "cost").text
    fill(page, "cost", "۲۴۰٬۰۰۰٬۰۰۰")
    submit(page, of="cost")
    assert "تاریخ شمسی معتبر نیست" in field_error(page, "in_service", SLOW).text

    # A laptop ready on ۱۴۰۴/۰۳/۱۵: from تیر (the next month), 3 years straight line.
    fill(page, "in_service", "۱۴۰۴/۰۳/۱۵")
    submit(page, of="cost")
    assert "رایانهٔ شخصی" in find(page, "[data-role=schedule] h2", SLOW).text
    assert find(page, "[data-role=schedule] h2 [data-role=provisional]").text == "موقت"
    years = {row.get_attribute("data-year"): row.text for row in
             find(page, "[data-role=schedule-years]").find_elements(By.CSS_SELECTOR, "tbody tr")}
    assert list(years) == ["1404", "1405", "1406", "1407"]
    assert grouped(60_000_000) in years["1404"] and grouped(80_000_000) in years["1405"]
    assert years["1407"].split()[-2] == to_persian("0")  # book value 0 at the end (a «*» follows)
    accounts = find(page, "[data-role=schedule] [data-role=accounts]").text
    assert to_persian("20107") in accounts and to_persian("20206") in accounts and to_persian("80111") in accounts
    assert "منابع ثانوی" in find(page, "[data-role=schedule] .note.warning").text
    check_page_is_accessible_on_a_phone(page)
    screenshot(page, "27-depreciation-fa")
