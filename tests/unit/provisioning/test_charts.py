"""The default charts of accounts (PR-2): real trees, unique codes, natures that fit their
groups and ledgers, every ledger with posting accounts (معین), each business type's own
accounts, and the accounts an Iranian accountant looks for on the first day: returned cheques
and protested notes, retentions both ways, VAT under its legal name with a settlement account,
the inter-branch accounts of TE-1, and 603 named for what it holds."""

from __future__ import annotations

from dataclasses import replace

import pytest

from services.provisioning.catalogue import BUSINESS_TYPES, Account, Detail, chart_for, chart_problems
from services.provisioning.charts import detail_problems

STANDARD_GROUPS = ["دارایی‌های جاری", "دارایی‌های غیرجاری", "بدهی‌های جاری", "بدهی‌های غیرجاری", "حقوق مالکانه",
                   "درآمدها", "بهای تمام‌شده", "هزینه‌ها", "حساب‌های انتظامی"]
PURCHASABLE = ["service", "manufacturing", "trading"]


def _by_fa(business_type: str) -> dict[str, Account]:
    return {a.fa: a for a in chart_for(business_type).accounts}


def _names(business_type: str) -> set[str]:
    return set(_by_fa(business_type))


@pytest.mark.parametrize("business_type", BUSINESS_TYPES)
def test_each_chart_is_a_sound_tree(business_type: str) -> None:
    chart = chart_for(business_type)
    assert chart.business_type == business_type and chart.version == "1405.2"
    assert chart_problems(chart.accounts) == []
    assert detail_problems(chart) == []
    assert [a.fa for a in chart.accounts if a.level == "group"] == STANDARD_GROUPS
    natures = {a.code: a.nature for a in chart.accounts if a.level == "group"}
    assert natures == {"1": "debit", "2": "debit", "3": "credit", "4": "credit", "5": "credit", "6": "credit",
                       "7": "debit", "8": "debit", "9": "either"}


@pytest.mark.parametrize("business_type", BUSINESS_TYPES)
def test_every_posting_account_sits_under_a_ledger_with_a_five_digit_code(business_type: str) -> None:
    accounts = chart_for(business_type).accounts
    by_code = {a.code: a for a in accounts}
    for account in accounts:
        assert len(account.code) == {"group": 1, "ledger": 3, "subsidiary": 5}[account.level], account
        if account.level == "subsidiary":
            assert account.parent is not None and by_code[account.parent].level == "ledger"
    ledgers = {a.code for a in accounts if a.level == "ledger"}
    assert ledgers == {a.parent for a in accounts if a.level == "subsidiary"}  # no ledger without a معین


@pytest.mark.parametrize("business_type", PURCHASABLE)
def test_the_purchasable_charts_are_complete(business_type: str) -> None:
    accounts = chart_for(business_type).accounts
    assert len(accounts) >= 100
    assert sum(a.level == "subsidiary" for a in accounts) >= 100
    # every chart closes the books the same way
    assert {"صندوق ریالی", "حساب‌های دریافتنی تجاری – مشتریان", "مالیات و عوارض ارزش افزودهٔ فروش",
            "سرمایهٔ ثبت‌شده", "سود (زیان) انباشته", "استهلاک انباشتهٔ ساختمان"} <= _names(business_type)


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


@pytest.mark.parametrize("business_type", BUSINESS_TYPES)
def test_returned_cheques_and_protested_notes_are_receivables_of_a_person(business_type: str) -> None:
    accounts = _by_fa(business_type)
    for name in ("چک‌های برگشتی", "اسناد واخواستی"):
        account = accounts[name]
        # a receivable: debit, under دریافتنی‌های تجاری (103), and followed per drawer (اشخاص)
        assert account.nature == "debit" and account.parent == "103" and not account.contra
        assert account.details == ("persons",)


@pytest.mark.parametrize("business_type", PURCHASABLE)
def test_retentions_run_both_ways(business_type: str) -> None:
    accounts = _by_fa(business_type)
    # ours, held by the clients we work for: receivable (debit) under 103
    ours = ["سپرده‌های حسن انجام کار پرداختی (نزد کارفرمایان)", "سپرده‌های بیمهٔ پرداختی (نزد کارفرمایان، مادهٔ ۳۸)"]
    # those we withhold from our contractors: payable (credit) under 301
    theirs = ["سپرده‌های حسن انجام کار دریافتی (از پیمانکاران)", "سپرده‌های بیمهٔ دریافتی (از پیمانکاران، مادهٔ ۳۸)"]
    for name in ours:
        assert (accounts[name].nature, accounts[name].parent) == ("debit", "103")
    for name in theirs:
        assert (accounts[name].nature, accounts[name].parent) == ("credit", "301")
    for name in ours + theirs:
        assert accounts[name].details == ("persons",) and accounts[name].optional_details == ("projects",)


@pytest.mark.parametrize("business_type", BUSINESS_TYPES)
def test_vat_carries_its_legal_name_and_settles_in_one_account(business_type: str) -> None:
    accounts = _by_fa(business_type)
    purchases = accounts["مالیات و عوارض ارزش افزودهٔ خرید (اعتبار مالیاتی)"]
    sales = accounts["مالیات و عوارض ارزش افزودهٔ فروش"]
    settlement = accounts["حساب تسویهٔ مالیات و عوارض ارزش افزوده"]
    assert purchases.nature == "debit" and purchases.code.startswith("104")
    assert sales.nature == "credit" and sales.code.startswith("302")
    # the period's net is payable (credit) or refundable (debit): the settlement account swings
    assert settlement.nature == "either" and settlement.code.startswith("302")
    assert not any("مالیات بر ارزش افزوده" in name for name in accounts)  # the old name is gone


@pytest.mark.parametrize("business_type", BUSINESS_TYPES)
def test_inter_branch_accounts_take_the_branch_detail(business_type: str) -> None:
    accounts = {a.code: a for a in chart_for(business_type).accounts}
    # in the head office's books: what each branch owes it (debit); in a branch's: what it owes the head office
    assert (accounts["107"].fa, accounts["10701"].fa, accounts["10701"].nature) == (
        "حساب جاری شعب", "حساب جاری شعب", "debit")
    assert (accounts["308"].fa, accounts["30801"].fa, accounts["30801"].nature) == (
        "حساب جاری دفتر مرکزی", "حساب جاری دفتر مرکزی", "credit")
    assert accounts["10701"].details == accounts["30801"].details == ("branches",)
    details = chart_for(business_type).details
    assert Detail("500001", "branches", "دفتر مرکزی", "Head office") in details


@pytest.mark.parametrize("business_type", PURCHASABLE)
def test_ledger_603_is_named_for_the_income_it_holds(business_type: str) -> None:
    accounts = {a.code: a for a in chart_for(business_type).accounts}
    ledger = accounts["603"]
    # credit by nature and holding only income (interest, gains, rent, sundry income; FX swings):
    # it no longer says «درآمدها و هزینه‌های», which would put expenses under a credit ledger
    assert (ledger.fa, ledger.en, ledger.nature) == ("سایر درآمدهای غیرعملیاتی", "Other non-operating income", "credit")
    children = [a for a in accounts.values() if a.parent == "603"]
    assert children and all(a.nature in ("credit", "either") for a in children)
    # and no revenue account anywhere is named an expense unless it runs against its group
    assert not [a.code for a in accounts.values()
                if a.code.startswith("6") and "هزینه" in a.fa and not a.contra and a.nature != "either"]


@pytest.mark.parametrize("business_type", BUSINESS_TYPES)
def test_the_usual_accounts_take_the_usual_detail_groups(business_type: str) -> None:
    by_en = {a.en: a for a in chart_for(business_type).accounts}
    customers = by_en.get("Accounts receivable – customers") or by_en["Accounts receivable"]
    suppliers = by_en.get("Accounts payable – suppliers") or by_en["Accounts payable"]
    bank = by_en.get("Bank – current accounts") or by_en["Bank"]
    assert customers.details == suppliers.details == ("persons",)
    assert bank.details == ("banks",)
    salaries = by_en.get("Administrative salaries and wages") or by_en["Salaries and wages"]
    # expenses by cost centre; required in the purchasable charts, optional in the teaching one
    assert "cost_centres" in (salaries.optional_details if business_type == "educational" else salaries.details)
    for account in chart_for(business_type).accounts:
        if account.code.startswith(("5", "6")) and account.en not in ("Partners' current accounts", "Drawings"):
            assert account.details == (), account  # equity and revenue post without a required detail


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
    # a ledger with no معین under it: nothing could ever be posted to it
    empty = [*accounts, Account("108", "1", "ledger", "دفتر خالی", "Empty ledger", "debit", False)]
    assert chart_problems(empty) == ["108: a ledger without posting accounts (معین)"]
    # 30503 (deferred interest) runs against its credit ledger 305 only because it is declared contra
    deferred = next(i for i, a in enumerate(accounts) if a.code == "30503")
    assert chart_problems([*accounts[:deferred], replace(accounts[deferred], contra=False),
                           *accounts[deferred + 1:]]) != []
    # a detail group on a ledger: تفصیلی hangs under a معین only
    ledger = next(i for i, a in enumerate(accounts) if a.code == "101")
    assert any("only a posting account" in p for p in chart_problems(
        [*accounts[:ledger], replace(accounts[ledger], details=("banks",)), *accounts[ledger + 1:]]))


def test_the_detail_checker_finds_each_kind_of_fault() -> None:
    chart = chart_for("trading")
    customers = next(i for i, a in enumerate(chart.accounts) if a.code == "10301")
    accounts = list(chart.accounts)
    unknown = replace(chart, accounts=(*accounts[:customers], replace(accounts[customers], details=("people",)),
                                       *accounts[customers + 1:]))
    assert detail_problems(unknown) == ["10301: unknown detail group 'people'"]
    both = replace(chart, accounts=(*accounts[:customers], replace(accounts[customers], optional_details=("persons",)),
                                    *accounts[customers + 1:]))
    assert detail_problems(both) == ["10301: a detail group both required and optional"]
    wrong_code = replace(chart, details=(*chart.details, Detail("400001", "branches", "شعبهٔ تبریز", "Tabriz")))
    assert detail_problems(wrong_code) == ["detail 400001: a code is its group's number (5) and 5 digits"]
    twice = replace(chart, details=(*chart.details, chart.details[0]))
    assert detail_problems(twice) == ["detail 500001: code used twice"]
    no_branches = replace(chart, accounts=tuple(replace(a, details=()) if a.code in ("10701", "30801") else a
                                                for a in chart.accounts))
    assert detail_problems(no_branches) == ["no posting account takes the branches group (حساب جاری شعب / دفتر مرکزی)"]
