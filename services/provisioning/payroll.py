"""Payroll's formulas as data (PR-6): each formula is an arithmetic expression over the
employee's inputs, the month's facts, the constants of the table in force and the formulas
before it, evaluated exactly (fractions) and rounded to whole rials, half up, one formula at a
time — the way a payslip shows each line; a later line uses the rounded figure of an earlier
one. Only + - * /, min, max and tax(…) are allowed: no Python.

The month's facts come from the Jalali calendar (not from the formulas): ``month_days`` (31
in months 1–6, 30 in 7–11, 29 or 30 in Esfand), ``year_days`` (365 or 366), ``days_paid``
(the month's days less absence and unpaid leave: paid leave counts as worked) and
``shift_factor`` (Labour Law art. 56: 10%, 15% or 22.5% by the shifts worked). Fixed
allowances (housing, groceries, marriage, children) are monthly amounts: a full 31-day month
pays them once, not ×31/30; the wage and the seniority base are daily, so it pays 31 days."""

from __future__ import annotations

import ast
from datetime import date
from fractions import Fraction
from typing import Any

import jdatetime

from services.provisioning.catalogue import payroll_data

Number = Fraction
SHIFTS = {"none": None, "morning_evening": "shift_morning_evening", "three": "shift_three",
          "with_night": "shift_with_night"}
# What an employee record and a month may say, with its default. Amounts in rials.
RECORD_FIELDS: dict[str, int] = {
    "daily_wage": 0, "years_of_service": 0, "married": 0, "children": 0, "absent_days": 0, "unpaid_leave_days": 0,
    "overtime_hours": 0, "night_hours": 0, "friday_days": 0, "holiday_hours": 0, "loan_installment_amount": 0,
    "advance_amount": 0, "other_deductions_amount": 0, "pay_eydi": 0}


class PayrollInputError(ValueError):
    """An employee record or month that cannot make a payslip: ``code`` says why (in the
    gateway's error table), ``field`` which input."""

    def __init__(self, code: str, field: str) -> None:
        super().__init__(f"{code}: {field}")
        self.code, self.field = code, field


def month_facts(year: int, month: int) -> tuple[date, int, int]:
    """The Gregorian date of the Jalali month's first day, its length and the year's length."""
    if not 1 <= month <= 12 or not 1300 <= year <= 1500:
        raise PayrollInputError("invalid_payroll_month", "month" if 1300 <= year <= 1500 else "year")
    first = jdatetime.date(year, month, 1)
    month_days = 31 if month <= 6 else 30 if month <= 11 else (30 if first.isleap() else 29)
    return first.togregorian(), month_days, 366 if first.isleap() else 365


def table_in_force(on: date, data: dict[str, Any] | None = None) -> dict[str, Any]:
    """The latest table whose effective date is on or before ``on``."""
    tables = sorted((data or payroll_data())["tables"], key=lambda t: t["effective_from"])
    in_force: list[dict[str, Any]] = [t for t in tables if date.fromisoformat(t["effective_from"]) <= on]
    if not in_force:
        raise ValueError(f"no payroll table in force on {on}")
    return in_force[-1]


def progressive_tax(taxable: Fraction, brackets: list[dict[str, Any]]) -> Fraction:
    tax, lower = Fraction(0), Fraction(0)
    for bracket in brackets:
        upper = Fraction(bracket["up_to"]) if bracket["up_to"] is not None else None
        portion = (min(taxable, upper) if upper is not None else taxable) - lower
        if portion > 0:
            tax += portion * Fraction(bracket["rate"])
        if upper is None or taxable <= upper:
            break
        lower = upper
    return tax


def round_rials(value: Fraction) -> int:
    """To the nearest rial, halves away from zero (half up for the positive figures of a payslip)."""
    return int(value + Fraction(1, 2)) if value >= 0 else -int(-value + Fraction(1, 2))


def month_names(record: dict[str, Any], year: int, month: int, table: dict[str, Any]) -> dict[str, Fraction]:
    """The names a formula may use besides the constants: the record's inputs (defaults for
    what it omits) and the month's facts."""
    unknown = sorted(set(record) - set(RECORD_FIELDS) - {"shift", "days_in_year"})
    if unknown:
        raise PayrollInputError("invalid_payroll_input", unknown[0])
    _, month_days, year_days = month_facts(year, month)
    names: dict[str, Fraction] = {}
    for field, default in RECORD_FIELDS.items():
        value = record.get(field, default)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise PayrollInputError("invalid_payroll_input", field)
        names[field] = Fraction(value)
    if names["married"] > 1 or names["pay_eydi"] > 1:
        raise PayrollInputError("invalid_payroll_input", "married" if names["married"] > 1 else "pay_eydi")
    if names["daily_wage"] <= 0:
        raise PayrollInputError("invalid_payroll_input", "daily_wage")
    days_paid = month_days - names["absent_days"] - names["unpaid_leave_days"]
    if days_paid < 0:
        raise PayrollInputError("invalid_payroll_input", "absent_days")
    shift = record.get("shift", "none")
    if shift not in SHIFTS:
        raise PayrollInputError("invalid_payroll_input", "shift")
    if shift != "none" and names["night_hours"]:
        raise PayrollInputError("night_hours_for_shift_worker", "night_hours")  # art. 58: non-shift workers only
    shift_constant = SHIFTS[shift]
    days_in_year = record.get("days_in_year", year_days)
    if not isinstance(days_in_year, int) or isinstance(days_in_year, bool) or not 0 <= days_in_year <= year_days:
        raise PayrollInputError("invalid_payroll_input", "days_in_year")
    names.update(month_days=Fraction(month_days), year_days=Fraction(year_days), days_paid=Fraction(days_paid),
                 days_in_year=Fraction(days_in_year),
                 shift_factor=Fraction(str(table["constants"][shift_constant])) if shift_constant else Fraction(0))
    return names


def compute(formulas: list[dict[str, Any]], table: dict[str, Any], inputs: dict[str, Fraction]) -> dict[str, int]:
    """Every formula's figure in rials, in order; constants first, then the inputs over them."""
    names: dict[str, Fraction] = {k: Fraction(str(v)) for k, v in table["constants"].items()}
    names.update(inputs)
    lines: dict[str, int] = {}
    for formula in formulas:
        value = round_rials(evaluate(formula["expression"], names, table["tax_brackets"]))
        lines[formula["code"]] = value
        names[formula["code"]] = Fraction(value)
    return lines


def payslip(record: dict[str, Any], year: int, month: int, data: dict[str, Any] | None = None) -> dict[str, int]:
    """The payslip of Jalali ``year``/``month`` with the shipped formulas and tables."""
    data = data or payroll_data()
    on, _, _ = month_facts(year, month)
    table = table_in_force(on, data)
    return compute(data["formulas"], table, month_names(record, year, month, table))


def evaluate(expression: str, names: dict[str, Fraction], brackets: list[dict[str, Any]]) -> Fraction:
    return _eval(ast.parse(expression, mode="eval").body, names, brackets)


def _eval(node: ast.AST, names: dict[str, Fraction], brackets: list[dict[str, Any]]) -> Fraction:
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float) and not isinstance(node.value, bool):
        return Fraction(str(node.value))
    if isinstance(node, ast.Name):
        if node.id not in names:
            raise ValueError(f"unknown name {node.id!r} in a payroll formula")
        return names[node.id]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return -_eval(node.operand, names, brackets)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Sub | ast.Mult | ast.Div):
        left, right = _eval(node.left, names, brackets), _eval(node.right, names, brackets)
        if isinstance(node.op, ast.Add):
            return left + right
        if isinstance(node.op, ast.Sub):
            return left - right
        if isinstance(node.op, ast.Mult):
            return left * right
        return left / right
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not node.keywords:
        args = [_eval(arg, names, brackets) for arg in node.args]
        if node.func.id == "min" and args:
            return min(args)
        if node.func.id == "max" and args:
            return max(args)
        if node.func.id == "tax" and len(args) == 1:
            return progressive_tax(args[0], brackets)
    raise ValueError(f"not allowed in a payroll formula: {ast.dump(node)[:80]}")
