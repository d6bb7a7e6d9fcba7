"""Payroll's formulas as data (PR-6), each rule with a payslip worked by hand. Figures in
rials; each line is rounded to whole rials (half up) and later lines use the rounded figure.
1404's figures: minimum daily wage 3,463,656; پایه سنوات 94,000 a day (2,820,000 a month);
housing 9,000,000, groceries 22,000,000, marriage 5,000,000 a month; child allowance 3 days'
minimum wage a month (10,390,968); insurance ceiling 727,367,760 a 30-day month (24,245,592 a
day); tax: 0 to 240M, 10% to 300M, 15% to 380M, 20% to 500M, 25% to 666,666,667, 30% above."""

from __future__ import annotations

import json
from datetime import date
from fractions import Fraction

import pytest

from services.provisioning.catalogue import payroll_data
from services.provisioning.payroll import (
    PayrollInputError,
    evaluate,
    month_facts,
    payslip,
    progressive_tax,
    table_in_force,
)

# A worker in Ordibehesht 1404 (31 days): daily wage 10,000,000, three years with this employer
# (this year's پایه سنوات 94,000 a day), married, two children, 22 hours' overtime, a loan
# instalment of 15,000,000 and an advance of 20,000,000; no absence.
WORKER = {"daily_wage": 10_000_000, "years_of_service": 3, "married": 1, "children": 2, "overtime_hours": 22,
          "loan_installment_amount": 15_000_000, "advance_amount": 20_000_000}


def test_a_payslip_worked_by_hand_for_a_31_day_month_of_1404() -> None:
    slip = payslip(WORKER, 1404, 2)
    # Daily wage by days: 31 days are paid.
    assert slip["daily_base"] == 10_094_000                    # 10,000,000 + 94,000
    assert slip["base_pay"] == 310_000_000                     # 10,000,000 × 31
    assert slip["seniority_pay"] == 2_914_000                  # 94,000 × 31
    # Fixed allowances are monthly: once, not × 31/30.
    assert slip["housing_allowance"] == 9_000_000
    assert slip["grocery_allowance"] == 22_000_000
    assert slip["marriage_allowance"] == 5_000_000
    assert slip["child_allowance"] == 20_781_936               # 2 × 3 × 3,463,656
    # Overtime (art. 59): hourly = 10,094,000 ÷ 7⅓ h; 22 h × 1.4 = 3 × 10,094,000 × 1.4.
    assert slip["overtime_pay"] == 42_394_800
    # Gross: 310,000,000 + 2,914,000 + 9,000,000 + 22,000,000 + 5,000,000 + 20,781,936 + 42,394,800
    assert slip["gross_pay"] == 412_090_736
    # Insurable: everything but the child allowance = 391,308,800 (ceiling 24,245,592 × 31 not reached).
    assert slip["insurable_pay"] == 391_308_800
    assert slip["employee_insurance"] == 27_391_616            # 7%
    assert slip["employer_insurance"] == 78_261_760            # 20%
    assert slip["unemployment_insurance"] == 11_739_264        # 3%
    # Taxable: gross − 2/7 × 27,391,616 (= 7,826,176) = 404,264,560.
    assert slip["taxable_pay"] == 404_264_560
    # Tax: 10% × 60M + 15% × 80M + 20% × 24,264,560 = 6,000,000 + 12,000,000 + 4,852,912.
    assert slip["income_tax"] == 22_852_912
    assert slip["loan_installment"] == 15_000_000 and slip["advance"] == 20_000_000
    # Deductions: 27,391,616 + 22,852,912 + 15,000,000 + 20,000,000; net = gross − deductions.
    assert slip["total_deductions"] == 85_244_528
    assert slip["net_pay"] == 326_846_208
    # Accruals (employer's provisions, not paid this month), per day paid over a 365-day year:
    # عیدی: min(60 × 10,094,000, 90 × 3,463,656 = 311,729,040) × 31/365 = 26,475,617.1
    assert slip["eydi_accrual"] == 26_475_617
    # سنوات (art. 24): 30 × 10,094,000 × 31/365 = 25,718,958.9
    assert slip["sanavat_accrual"] == 25_718_959


def test_absence_and_unpaid_leave_are_deducted_by_days_and_night_work_is_35_percent() -> None:
    # Mehr 1404 (30 days), daily wage 4,000,000, 3 days absent + 2 unpaid leave: 25 days paid;
    # 20 night hours (art. 58, a non-shift worker).
    slip = payslip({"daily_wage": 4_000_000, "absent_days": 3, "unpaid_leave_days": 2, "night_hours": 20}, 1404, 7)
    assert slip["base_pay"] == 100_000_000                     # 4,000,000 × 25
    assert slip["housing_allowance"] == 7_500_000              # 9,000,000 × 25/30
    assert slip["grocery_allowance"] == 18_333_333             # 22,000,000 × 25/30 = 18,333,333.3
    # Night: 20 h × 4,000,000 ÷ 7⅓ × 0.35 = 20 × 545,454.5… × 0.35 = 3,818,181.8
    assert slip["night_pay"] == 3_818_182
    assert slip["gross_pay"] == 129_651_515                    # 100,000,000 + 7,500,000 + 18,333,333 + 3,818,182
    assert slip["employee_insurance"] == 9_075_606             # 7% of 129,651,515 = 9,075,606.05
    assert slip["income_tax"] == 0                             # under 240M
    assert slip["net_pay"] == 120_575_909


def test_shift_friday_and_holiday_work_in_1405() -> None:
    # Azar 1405 (30 days), daily wage 4,000,000, rotating shifts with nights (art. 56: 22.5%),
    # two Fridays worked with another rest day (art. 62 n.1: 40% of the day's wage),
    # 11 hours on an official holiday (overtime rate, 1.4).
    slip = payslip({"daily_wage": 4_000_000, "shift": "with_night", "friday_days": 2, "holiday_hours": 11}, 1405, 9)
    assert slip["shift_pay"] == 27_000_000                     # 0.225 × 4,000,000 × 30
    assert slip["friday_pay"] == 3_200_000                     # 2 × 4,000,000 × 0.4
    assert slip["holiday_pay"] == 8_400_000                    # 11 × 4,000,000 ÷ 7⅓ × 1.4 = 1.5 × 4,000,000 × 1.4
    assert slip["gross_pay"] == 189_600_000                    # 120M + 9M + 22M + 27M + 3.2M + 8.4M
    with pytest.raises(PayrollInputError) as refused:          # art. 58: night premium only for non-shift work
        payslip({"daily_wage": 4_000_000, "shift": "three", "night_hours": 5}, 1405, 9)
    assert refused.value.code == "night_hours_for_shift_worker"


def test_eydi_is_capped_at_90_days_minimum_wage_and_only_its_excess_over_the_exemption_is_taxed() -> None:
    # Esfand 1404 (29 days: 1404 is not a leap year), daily wage 30,000,000, a full year worked.
    slip = payslip({"daily_wage": 30_000_000, "pay_eydi": 1}, 1404, 12)
    assert month_facts(1404, 12)[1:] == (29, 365)
    # 60 × 30,000,000 = 1,800,000,000 > 90 × 3,463,656 = 311,729,040: the cap.
    assert slip["eydi"] == 311_729_040
    # Taxed above 1/12 of the year's exemption: 311,729,040 − 240,000,000.
    assert slip["eydi_taxable"] == 71_729_040
    # Insurance ceiling for 29 days: 727,367,760 ÷ 30 × 29 = 703,122,168 < 870M + 9M + 22M; no eydi in it.
    assert slip["insurable_pay"] == 703_122_168
    assert slip["employee_insurance"] == 49_218_552            # 7% = 49,218,551.76
    # Taxable: 1,212,729,040 − 311,729,040 + 71,729,040 − 2/7 × 49,218,552 (14,062,443.4) = 958,666,596.6
    assert slip["taxable_pay"] == 958_666_597
    # Tax: 6,000,000 + 12,000,000 + 24,000,000 + 25% × 166,666,667 (41,666,666.75)
    #      + 30% × 291,999,930 (87,599,979) = 171,266,645.75
    assert slip["income_tax"] == 171_266_646
    # A minimum-wage earner gets 60 days (207,819,360), pro rata for 200 days worked of 365.
    small = payslip({"daily_wage": 3_463_656, "pay_eydi": 1, "days_in_year": 200}, 1404, 12)
    assert small["eydi"] == 113_873_622                        # 207,819,360 × 200/365 = 113,873,621.9
    assert small["eydi_taxable"] == 0


def test_the_insurance_ceiling_is_per_day_of_the_month() -> None:
    # 31 days at 40,000,000 a day in Farvardin 1404: ceiling 727,367,760 ÷ 30 × 31 = 751,613,352.
    assert payslip({"daily_wage": 40_000_000}, 1404, 1)["insurable_pay"] == 751_613_352
    assert payslip({"daily_wage": 40_000_000}, 1404, 7)["insurable_pay"] == 727_367_760  # 30 days


def test_1403_uses_its_own_figures() -> None:
    # Mehr 1403 (30 days), minimum wage 2,388,728 a day: 71,661,840 + housing 9,000,000 + groceries 14,000,000.
    slip = payslip({"daily_wage": 2_388_728, "children": 1, "years_of_service": 1}, 1403, 7)
    assert slip["base_pay"] == 71_661_840
    assert slip["seniority_pay"] == 2_100_000                  # 70,000 × 30
    assert slip["grocery_allowance"] == 14_000_000
    assert slip["child_allowance"] == 7_166_184                # 3 × 2,388,728
    assert month_facts(1403, 12)[1:] == (30, 366)              # 1403 is a leap year: Esfand has 30 days


def test_the_1404_seniority_base_is_the_official_figure() -> None:
    table = table_in_force(date(2025, 6, 1))
    assert table["constants"]["seniority_daily"] == 94_000 and 94_000 * 30 == 2_820_000


def test_the_table_in_force_follows_its_effective_date_and_1405_is_provisional() -> None:
    assert table_in_force(date(2026, 3, 20))["jalali_from"] == "1404/01/01"
    in_1405 = table_in_force(date(2026, 3, 21))
    assert in_1405["jalali_from"] == "1405/01/01" and in_1405["provisional"] and in_1405["status"] == "provisional"
    assert in_1405["provisional_why"]["fa"] and in_1405["provisional_why"]["en"]
    assert not table_in_force(date(2025, 6, 1))["provisional"]
    with pytest.raises(ValueError):
        table_in_force(date(2020, 1, 1))


def test_the_tax_brackets_are_progressive() -> None:
    brackets = table_in_force(date(2025, 6, 1))["tax_brackets"]
    assert progressive_tax(Fraction(240_000_000), brackets) == 0
    assert progressive_tax(Fraction(300_000_000), brackets) == 6_000_000
    assert progressive_tax(Fraction(1_000_000_000), brackets) == (
        6_000_000 + 12_000_000 + 24_000_000 + Fraction(166_666_667 * 25, 100) + Fraction(333_333_333 * 30, 100))
    # 1403: 10% of 45M + 15% of 105M + 20% of 130M + 30% of 100M on 500M.
    brackets_1403 = table_in_force(date(2024, 6, 1))["tax_brackets"]
    assert progressive_tax(Fraction(500_000_000), brackets_1403) == 4_500_000 + 15_750_000 + 26_000_000 + 30_000_000


def test_every_figure_of_every_year_has_a_source() -> None:
    data = payroll_data()
    assert [t["jalali_from"] for t in data["tables"]] == ["1403/01/01", "1404/01/01", "1405/01/01"]
    for table in data["tables"]:
        assert set(table["constants"]) | {"tax_brackets"} == set(table["sources"])
        assert all(str(source).strip() for source in table["sources"].values())
        assert table["tax_brackets"][-1]["up_to"] is None
        assert table["provisional"] == (table["status"] == "provisional") == bool(table["provisional_why"])
        for constant in ("overtime_factor", "night_factor", "shift_with_night", "employee_insurance_rate"):
            assert "مادهٔ" in table["sources"][constant]


def test_every_formula_evaluates_and_names_only_known_things() -> None:
    data = payroll_data()
    codes = [f["code"] for f in data["formulas"]]
    assert len(codes) == len(set(codes)) <= 100
    assert {"base_pay", "seniority_pay", "housing_allowance", "grocery_allowance", "child_allowance", "overtime_pay",
            "night_pay", "shift_pay", "friday_pay", "holiday_pay", "eydi", "employee_insurance", "employer_insurance",
            "unemployment_insurance", "income_tax", "loan_installment", "advance", "net_pay", "eydi_accrual",
            "sanavat_accrual"} <= set(codes)
    json.dumps(data)


def test_bad_records_are_refused_by_field() -> None:
    for record, field in (({"daily_wage": 0}, "daily_wage"), ({"daily_wage": 1, "absent_days": 32}, "absent_days"),
                          ({"daily_wage": 1, "married": 2}, "married"), ({"daily_wage": 1, "shift": "x"}, "shift"),
                          ({"daily_wage": 1, "bonus": 5}, "bonus"), ({"daily_wage": -5}, "daily_wage")):
        with pytest.raises(PayrollInputError) as refused:
            payslip(record, 1404, 1)
        assert refused.value.field == field
    with pytest.raises(PayrollInputError):
        month_facts(1404, 13)


@pytest.mark.parametrize("expression", ["__import__('os')", "daily_wage.real", "[1][0]", "open('x')", "2 ** 9"])
def test_a_formula_cannot_run_code(expression: str) -> None:
    with pytest.raises(ValueError):
        evaluate(expression, {"daily_wage": Fraction(1)}, [])
