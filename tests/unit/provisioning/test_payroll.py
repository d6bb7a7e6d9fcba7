"""Payroll's common formulas as data (PR-6): a worked payslip, effective dates, the tax table,
and formulas that cannot run code."""

from __future__ import annotations

from datetime import date
from fractions import Fraction

import pytest

from services.provisioning.catalogue import payroll_data
from services.provisioning.payroll import evaluate, payslip, progressive_tax, table_in_force

EMPLOYEE = {"daily_wage": 12_000_000, "days_worked": 30, "children": 2, "married": 1, "years_of_service": 3,
            "overtime_hours": 10}


def test_a_worked_payslip_for_1404() -> None:
    # Figures worked by hand (rials): overtime 10 h × (360,000,000 / 220) × 1.4; insurance on
    # everything but the child allowance; 2/7 of the employee's insurance off the taxable pay;
    # tax 10% of 60M + 15% of 80M + 20% of 54,056,845.
    slip = payslip(EMPLOYEE, date(2025, 6, 1))
    assert slip == {
        "base_pay": 360_000_000, "housing_allowance": 9_000_000, "grocery_allowance": 22_000_000,
        "marriage_allowance": 5_000_000, "child_allowance": 20_781_936, "seniority_pay": 2_800_000,
        "overtime_pay": 22_909_091, "gross_pay": 442_491_027, "insurable_pay": 421_709_091,
        "employee_insurance": 29_519_636, "employer_insurance": 84_341_818, "unemployment_insurance": 12_651_273,
        "taxable_pay": 434_056_845, "income_tax": 28_811_369, "net_pay": 384_160_022,
    }
    assert slip["employer_insurance"] + slip["unemployment_insurance"] == round(slip["insurable_pay"] * 0.23)


def test_a_minimum_wage_earner_pays_no_income_tax_and_part_time_is_prorated() -> None:
    slip = payslip({"daily_wage": 3_463_656, "days_worked": 15, "children": 0, "married": 0,
                    "years_of_service": 0, "overtime_hours": 0}, date(2025, 6, 1))
    assert slip["base_pay"] == 51_954_840 and slip["housing_allowance"] == 4_500_000
    assert slip["seniority_pay"] == 0 and slip["income_tax"] == 0
    assert slip["net_pay"] == slip["gross_pay"] - slip["employee_insurance"]


def test_the_table_in_force_follows_its_effective_date() -> None:
    assert table_in_force(date(2026, 3, 20))["jalali_from"] == "1404/01/01"
    assert table_in_force(date(2026, 3, 21))["jalali_from"] == "1405/01/01"
    in_1405 = payslip(EMPLOYEE, date(2026, 4, 1))
    assert in_1405["income_tax"] < payslip(EMPLOYEE, date(2025, 6, 1))["income_tax"]  # a higher exemption
    with pytest.raises(ValueError):
        table_in_force(date(2020, 1, 1))


def test_the_tax_brackets_are_progressive() -> None:
    brackets = table_in_force(date(2025, 6, 1))["tax_brackets"]
    assert progressive_tax(Fraction(240_000_000), brackets) == 0
    assert progressive_tax(Fraction(300_000_000), brackets) == 6_000_000
    assert progressive_tax(Fraction(1_000_000_000), brackets) == (
        6_000_000 + 12_000_000 + 24_000_000 + Fraction(166_666_667 * 25, 100) + Fraction(333_333_333 * 30, 100))


def test_every_formula_and_table_is_data_with_an_effective_date() -> None:
    data = payroll_data()
    codes = [f["code"] for f in data["formulas"]]
    assert {"base_pay", "housing_allowance", "grocery_allowance", "child_allowance", "seniority_pay", "overtime_pay",
            "employee_insurance", "employer_insurance", "unemployment_insurance", "income_tax"} <= set(codes)
    assert len(codes) == len(set(codes))
    for table in data["tables"]:
        date.fromisoformat(table["effective_from"])
        assert table["tax_brackets"][-1]["up_to"] is None


@pytest.mark.parametrize("expression", ["__import__('os')", "daily_wage.real", "[1][0]", "open('x')", "2 ** 9"])
def test_a_formula_cannot_run_code(expression: str) -> None:
    with pytest.raises(ValueError):
        evaluate(expression, {"daily_wage": Fraction(1)}, [])
