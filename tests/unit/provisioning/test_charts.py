"""The default charts of accounts (PR-2): real trees, unique codes, natures that fit their
groups, and each business type's own accounts."""

from __future__ import annotations

from dataclasses import replace

import pytest

from services.provisioning.catalogue import BUSINESS_TYPES, chart_for, chart_problems

STANDARD_GROUPS = ["دارایی‌های جاری", "دارایی‌های غیرجاری", "بدهی‌های جاری", "بدهی‌های غیرجاری", "حقوق مالکانه",
                   "درآمدها", "بهای تمام‌شده", "هزینه‌ها", "حساب‌های انتظامی"]


@pytest.mark.parametrize("business_type", BUSINESS_TYPES)
def test_each_chart_is_a_sound_tree(business_type: str) -> None:
    chart = chart_for(business_type)
    assert chart.business_type == business_type and chart.version
    assert chart_problems(chart.accounts) == []
    assert [a.fa for a in chart.accounts if a.level == "group"] == STANDARD_GROUPS
    natures = {a.code: a.nature for a in chart.accounts if a.level == "group"}
    assert natures == {"1": "debit", "2": "debit", "3": "credit", "4": "credit", "5": "credit", "6": "credit",
                       "7": "debit", "8": "debit", "9": "either"}


@pytest.mark.parametrize("business_type", ["service", "manufacturing", "trading"])
def test_the_purchasable_charts_are_complete(business_type: str) -> None:
    accounts = chart_for(business_type).accounts
    assert len(accounts) >= 100
    assert sum(a.level == "subsidiary" for a in accounts) >= 100
    names = {a.fa for a in accounts}
    # every chart closes the books the same way
    assert {"صندوق ریالی", "حساب‌های دریافتنی تجاری – مشتریان", "مالیات بر ارزش افزودهٔ فروش",
            "سرمایهٔ ثبت‌شده", "سود (زیان) انباشته", "استهلاک انباشتهٔ ساختمان"} <= names


def _names(business_type: str) -> set[str]:
    return {a.fa for a in chart_for(business_type).accounts}


def test_manufacturing_has_materials_work_in_progress_finished_goods_and_overhead() -> None:
    assert {"مواد اولیه", "کالای در جریان ساخت", "کالای ساخته‌شده", "سربار ساخت", "سربار جذب‌شده",
            "بهای تمام‌شدهٔ کالای فروش‌رفته"} <= _names("manufacturing")
    assert "موجودی کالای تجاری" not in _names("manufacturing")


def test_trading_has_merchandise_purchases_sales_and_cost_of_goods_sold() -> None:
    assert {"موجودی کالای تجاری", "خرید کالا", "فروش کالا", "برگشت از خرید", "بهای تمام‌شدهٔ کالای فروش‌رفته"
            } <= _names("trading")
    assert "سربار ساخت" not in _names("trading")


def test_service_has_service_revenue_and_cost_of_services() -> None:
    assert {"درآمد ارائهٔ خدمات", "بهای تمام‌شدهٔ خدمات ارائه‌شده", "هزینهٔ پیمانکاران فرعی"} <= _names("service")
    assert not {"مواد اولیه", "موجودی کالای تجاری"} & _names("service")


def test_contra_accounts_are_declared_and_run_against_their_group() -> None:
    accounts = {a.en: a for a in chart_for("trading").accounts}
    depreciation = accounts["Accumulated depreciation – buildings"]
    assert depreciation.contra and depreciation.nature == "credit" and depreciation.code.startswith("2")
    assert accounts["Sales returns"].contra and accounts["Sales returns"].nature == "debit"


def test_the_checker_finds_each_kind_of_fault() -> None:
    accounts = list(chart_for("service").accounts)
    cash = next(i for i, a in enumerate(accounts) if a.code == "10101")
    undeclared = [*accounts[:cash], replace(accounts[cash], nature="credit"), *accounts[cash + 1:]]
    assert any("not marked contra" in p for p in chart_problems(undeclared))
    assert any("used twice" in p for p in chart_problems([*accounts, accounts[cash]]))
    moved = [*accounts, replace(accounts[cash], code="20199", parent="101")]
    assert any("extend its parent" in p for p in chart_problems(moved))
    orphan = [*accounts, replace(accounts[cash], code="99901", parent="999")]
    assert any("must sit under" in p for p in chart_problems(orphan))
