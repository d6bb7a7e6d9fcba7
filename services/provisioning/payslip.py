"""A payslip preview (PR-6) from the tenant's own books: the formulas and yearly tables that
provisioning seeded there (and the tenant may since have changed), evaluated for one employee
record and one Jalali month by services/provisioning/payroll.py. Nothing is written; a table
marked provisional says so, in Persian and English, beside its figures. Books seeded before
1405.2: their tables are upcast on read (each correction listed with the payslip), their
formulas must be upgraded first (services/provisioning/payroll_books.py)."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from services.provisioning.catalogue import payroll_data
from services.provisioning.payroll import compute, month_facts, month_names, table_in_force
from services.provisioning.payroll_books import formulas_version, upcast_table
from shared.kernel.i18n import persian_digits

MONTHS_FA = ("فروردین", "اردیبهشت", "خرداد", "تیر", "مرداد", "شهریور", "مهر", "آبان", "آذر", "دی", "بهمن", "اسفند")
ROUNDING = {"fa": "هر سطر جداگانه با کسر دقیق حساب و به نزدیک‌ترین ریال گرد می‌شود (نیم ریال به بالا)؛ "
                  "سطرهای بعدی با رقم گردشدهٔ سطرهای پیشین حساب می‌شوند.",
            "en": "Each line is computed exactly and rounded to the nearest rial, halves up; later lines use "
                  "the rounded figures of earlier ones."}


class OutdatedFormulas(LookupError):
    """The books' formulas are of an earlier version: the admin upgrades them first."""


def books_payroll(books: sqlite3.Connection) -> dict[str, Any]:
    """The formulas (in their order) and tables in the tenant's books, the tables upcast to
    the current shape (each with the corrections made reading it)."""
    current = payroll_data()
    formulas = [{"code": code, "fa": fa, "en": en, "kind": kind, "expression": expression}
                for code, fa, en, kind, expression in books.execute(
                    "SELECT code, name_fa, name_en, kind, expression FROM payroll_formulas ORDER BY position")]
    tables = []
    for effective_from, jalali_from, status, source, constants, brackets in books.execute(
            "SELECT effective_from, jalali_from, status, source, constants, tax_brackets FROM payroll_tables"):
        about = json.loads(source) if source.startswith("{") else {"summary": source}  # books seeded before 1405.2
        stored = {"effective_from": effective_from, "jalali_from": jalali_from, "status": status,
                  "provisional": status == "provisional", "source": about.get("summary", ""),
                  "provisional_why": about.get("provisional_why"), "sources": about.get("figures", {}),
                  "constants": json.loads(constants), "tax_brackets": json.loads(brackets)}
        table, corrections = upcast_table(stored, current)
        tables.append({**table, "corrections": corrections})
    return {"formulas": formulas, "tables": tables, "formulas_version": formulas_version(books)}


def preview(books: sqlite3.Connection, record: dict[str, Any], year: int, month: int,
            locale: str = "fa") -> dict[str, Any]:
    data = books_payroll(books)
    if not data["formulas"] or not data["tables"]:
        raise LookupError("payroll_not_seeded")
    if data["formulas_version"] != payroll_data()["version"]:
        raise OutdatedFormulas(str(data["formulas_version"]))
    on, month_days, year_days = month_facts(year, month)
    try:
        table = table_in_force(on, data)
    except ValueError:
        raise LookupError("payroll_table_missing") from None
    figures = compute(data["formulas"], table, month_names(record, year, month, table))
    label = f"{MONTHS_FA[month - 1]} {year}"
    return {
        "year": year, "month": month, "month_days": month_days, "year_days": year_days,
        "days_paid": month_days - record.get("absent_days", 0) - record.get("unpaid_leave_days", 0),
        "month_label": persian_digits(label) if locale == "fa" else f"{year}/{month:02d}",
        "table": {"jalali_from": table["jalali_from"], "effective_from": table["effective_from"],
                  "status": table["status"], "provisional": table["provisional"],
                  "provisional_why": table["provisional_why"], "source": table["source"],
                  "corrections": table["corrections"]},
        "provisional": table["provisional"],
        "lines": [{"code": f["code"], "fa": f["fa"], "en": f["en"], "kind": f["kind"], "amount": figures[f["code"]]}
                  for f in data["formulas"]],
        "gross_pay": figures.get("gross_pay"), "total_deductions": figures.get("total_deductions"),
        "net_pay": figures.get("net_pay"),
        "employer_cost": sum(figures[f["code"]] for f in data["formulas"] if f["kind"] == "employer_cost"),
        "currency": "IRR", "rounding": ROUNDING,
    }
