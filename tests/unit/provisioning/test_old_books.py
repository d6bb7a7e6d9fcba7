"""Books seeded before payroll 1405.2 (issue #18), as an accountant would treat them: the rows
in the books are the business's and are never changed unasked. Their yearly tables are upcast
on read — 1404's پایه سنوات seeded as 2,800,000 rials a month is read as the official 2,820,000
(94,000 a day) and the payslip says so, while a figure the business typed itself is used as
typed; their formulas are refused until the admin upgrades them, which keeps the old ones in
the books' history and records PayrollUpgraded once."""

from __future__ import annotations

import json
import sqlite3
import uuid
from typing import Any

import pytest

from services.provisioning import policies
from services.provisioning.application import ProvisioningApplication
from services.provisioning.catalogue import payroll_data
from services.provisioning.payroll_books import upcast_table
from shared.kernel.errors import DomainError
from shared.kernel.store import Cause
from tests.support.provisioning import MemoryBooks, provisioning_app
from tests.support.provisioning_orders import inbound, payment

# What version 1405.1 seeded (git show 422abd5^:services/provisioning/data/payroll.json).
OLD_1404 = {"min_daily_wage": 3463656, "housing_monthly": 9000000, "grocery_monthly": 22000000,
            "marriage_monthly": 5000000, "child_allowance_days": 3, "seniority_monthly": 2800000, "month_days": 30,
            "monthly_work_hours": 220, "overtime_factor": "1.4", "employee_insurance_rate": "0.07",
            "employer_insurance_rate": "0.20", "unemployment_insurance_rate": "0.03",
            "insurance_ceiling_multiple": 7, "insurance_tax_exempt_share": "2/7"}
OLD_FORMULAS = [
    ("base_pay", "earning", "daily_wage * days_worked"),
    ("housing_allowance", "earning", "housing_monthly * days_worked / month_days"),
    ("seniority_pay", "earning", "min(years_of_service, 1) * seniority_monthly * days_worked / month_days"),
    ("gross_pay", "total", "base_pay + housing_allowance + seniority_pay"),
    ("net_pay", "total", "gross_pay"),
]
WORKER = {"daily_wage": 10_000_000, "years_of_service": 3}


@pytest.fixture
def app() -> ProvisioningApplication:
    return provisioning_app()


def books_of(app: ProvisioningApplication) -> MemoryBooks:
    assert isinstance(app.books, MemoryBooks)
    return app.books


def seeded_by_1405_1(app: ProvisioningApplication) -> tuple[uuid.UUID, uuid.UUID]:
    """A business whose payroll was seeded by version 1405.1: its formulas and tables as they were."""
    admin = uuid.uuid4()
    paid = payment(products=("accounting", "payroll"), payer=admin)
    policies.handle(app, inbound(paid))
    with books_of(app).open(paid.tenant_id) as books:
        books.execute("DELETE FROM payroll_formulas")
        books.executemany("INSERT INTO payroll_formulas VALUES (?, ?, ?, ?, ?, 1, ?, '1405.1')",
                          [(code, i, code, code, kind, expression)
                           for i, (code, kind, expression) in enumerate(OLD_FORMULAS)])
        books.execute("DELETE FROM payroll_tables")
        for effective_from, jalali_from in (("2025-03-21", "1404/01/01"), ("2026-03-21", "1405/01/01")):
            books.execute("INSERT INTO payroll_tables VALUES (?, ?, 'official', 'مصوبهٔ شورای عالی کار', ?, ?)",
                          (effective_from, jalali_from, json.dumps(OLD_1404),
                           json.dumps([{"up_to": 240000000, "rate": "0"}, {"up_to": None, "rate": "0.10"}])))
    return paid.tenant_id, admin


def rows(books: sqlite3.Connection, sql: str) -> list[tuple[Any, ...]]:
    return list(books.execute(sql).fetchall())


def payroll_rows(books: sqlite3.Connection) -> list[tuple[Any, ...]]:
    return rows(books, "SELECT * FROM payroll_formulas ORDER BY code") + rows(books, "SELECT * FROM payroll_tables")


def test_the_wrongly_seeded_seniority_base_is_read_as_the_official_figure_and_says_so() -> None:
    table = {"jalali_from": "1404/01/01", "constants": dict(OLD_1404)}
    read, corrections = upcast_table(table)
    assert read["constants"]["seniority_daily"] == 94_000
    assert read["constants"]["seniority_monthly"] == "2820000"
    [seniority] = [c for c in corrections if c["constant"] == "seniority_daily"]
    assert seniority["stored"] == {"seniority_monthly": 2_800_000} and seniority["used"] == 94_000
    assert "۲٬۸۲۰٬۰۰۰" in seniority["why"]["fa"] and "unchanged" in seniority["why"]["en"]
    assert "۹۴٬۰۰۰" in seniority["source"]  # the data file's source for 1404's figure
    # What 1405.2 added (night work, shifts, eydi…) is read from the same year's table, and listed.
    filled = {c["constant"] for c in corrections if c["stored"] is None}
    assert {"night_factor", "eydi_days", "insurance_ceiling_monthly"} <= filled
    assert table["constants"]["seniority_monthly"] == 2_800_000  # what was given is not touched


def test_a_figure_the_business_typed_itself_is_used_as_typed() -> None:
    own = {"jalali_from": "1404/01/01", "constants": {**OLD_1404, "seniority_monthly": 2_900_000}}
    read, corrections = upcast_table(own)
    assert read["constants"]["seniority_daily"] == "290000/3"  # 2,900,000 ÷ 30, exact
    assert not [c for c in corrections if c["constant"].startswith("seniority")]
    earlier = {"jalali_from": "1403/01/01", "constants": {**OLD_1404, "seniority_monthly": 2_800_000}}
    assert not [c for c in upcast_table(earlier)[1] if c["constant"] == "seniority_daily"]  # the error began in 1404


def test_old_formulas_are_refused_until_the_admin_upgrades_them_and_nothing_is_changed_meanwhile(
        app: ProvisioningApplication) -> None:
    tenant, admin = seeded_by_1405_1(app)
    with books_of(app).open(tenant) as books:
        before = payroll_rows(books)
    with pytest.raises(DomainError) as refused:
        app.payslip_preview(tenant, admin, [], WORKER, 1404, 2)
    assert refused.value.code == "payroll_formulas_outdated" and refused.value.details == {"version": "1405.1"}
    with books_of(app).open(tenant) as books:
        after = payroll_rows(books)
    assert after == before


def test_the_upgrade_keeps_the_old_formulas_records_it_once_and_the_payslip_shows_the_correction(
        app: ProvisioningApplication) -> None:
    tenant, admin = seeded_by_1405_1(app)
    with pytest.raises(DomainError, match="forbidden"):
        app.upgrade_payroll(tenant, uuid.uuid4(), ["customer"], Cause.new_request("test"))
    done = app.upgrade_payroll(tenant, admin, [], Cause.new_request("test"))
    assert done["upgraded"] is True
    assert (done["from_version"], done["to_version"]) == ("1405.1", payroll_data()["version"])
    assert "eydi" in done["added"] and "seniority_pay" in done["changed"]
    with books_of(app).open(tenant) as books:
        kept = rows(books, "SELECT code, expression, version FROM payroll_formulas_history ORDER BY position")
        tables = rows(books, "SELECT constants FROM payroll_tables WHERE jalali_from = '1404/01/01'")
    assert kept == [(code, expression, "1405.1") for code, _, expression in OLD_FORMULAS]
    assert json.loads(tables[0][0])["seniority_monthly"] == 2_800_000  # the table's row is as it was
    [upgrade] = app.records.find(tenant).payroll_upgrades
    assert upgrade["from_version"] == "1405.1" and upgrade["upgraded_by"] == str(admin)

    again = app.upgrade_payroll(tenant, admin, [], Cause.new_request("test"))
    assert again == {"upgraded": False, "version": payroll_data()["version"]}
    assert len(app.records.find(tenant).payroll_upgrades) == 1

    # اردیبهشت ۱۴۰۴ has 31 days: the seniority base is 94,000 × 31, not 2,800,000 × 31/30.
    slip = app.payslip_preview(tenant, admin, [], WORKER, 1404, 2)
    lines = {line["code"]: line["amount"] for line in slip["lines"]}
    assert lines["seniority_pay"] == 94_000 * 31 and lines["housing_allowance"] == 9_000_000
    [seniority] = [c for c in slip["table"]["corrections"] if c["constant"] == "seniority_daily"]
    assert seniority["stored"] == {"seniority_monthly": 2_800_000} and seniority["used"] == 94_000


def test_books_seeded_now_need_no_upgrade_and_carry_no_corrections(app: ProvisioningApplication) -> None:
    admin = uuid.uuid4()
    paid = payment(products=("accounting", "payroll"), payer=admin)
    policies.handle(app, inbound(paid))
    assert app.upgrade_payroll(paid.tenant_id, admin, [], Cause.new_request("test"))["upgraded"] is False
    assert app.payslip_preview(paid.tenant_id, admin, [], WORKER, 1404, 2)["table"]["corrections"] == []
    assert app.records.find(paid.tenant_id).payroll_upgrades == []
