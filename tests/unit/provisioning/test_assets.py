"""Asset categories (ماهیت اموال) with depreciation method and rate (PR-7)."""

from __future__ import annotations

from services.provisioning.catalogue import BUSINESS_TYPES, asset_categories, chart_for


def test_the_common_categories_are_there_with_a_method_and_a_rate() -> None:
    categories = {c["code"]: c for c in asset_categories()}
    assert {"buildings_concrete_steel", "passenger_vehicles", "machinery", "furniture", "computers", "tools"
            } <= set(categories)
    assert len(categories) == len(asset_categories())
    for category in categories.values():
        assert category["fa"] and category["en"]
        if category["method"] == "declining_balance":
            assert 0 < category["rate_percent"] <= 100 and category["useful_life_years"] is None
        elif category["method"] == "straight_line":
            assert 0 < category["useful_life_years"] <= 50 and category["rate_percent"] is None
        else:
            assert category["method"] == "none" and category["code"] == "land"  # land is not depreciated
    assert categories["computers"]["useful_life_years"] == 3


def test_each_category_posts_to_an_asset_account_in_every_purchasable_chart() -> None:
    for business_type in BUSINESS_TYPES[:3]:
        accounts = {a.code: a for a in chart_for(business_type).accounts}
        for category in asset_categories():
            account = accounts[category["account"]]
            assert account.level == "subsidiary" and account.code.startswith("2") and not account.contra
