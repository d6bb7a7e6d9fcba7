"""Asset categories (ماهیت اموال) with their accounts, depreciation method and rate (PR-7), and
their seeding into a business's books."""

from __future__ import annotations

import json
import sqlite3

from services.provisioning.books import create_schema, seed_asset_categories
from services.provisioning.catalogue import BUSINESS_TYPES, asset_categories, chart_for
from services.provisioning.depreciation import table

PURCHASABLE = BUSINESS_TYPES[:3]  # service, manufacturing, trading; the educational edition has no fixed assets


def test_the_common_categories_are_there_with_a_method_and_a_rate() -> None:
    categories = {c["code"]: c for c in asset_categories()}
    assert {"buildings_concrete_steel", "buildings_other", "passenger_vehicles", "pickups_taxis", "machinery",
            "furniture", "computers", "tools", "software"} <= set(categories)
    assert len(categories) == len(asset_categories())
    for category in categories.values():
        assert category["fa"] and category["en"]
        if category["method"] == "declining_balance":
            assert 0 < category["rate_percent"] <= 100 and category["useful_life_years"] is None
        elif category["method"] == "straight_line":
            assert 0 < category["useful_life_years"] <= 50 and category["rate_percent"] is None
        else:
            assert category["method"] == "none" and category["code"] == "land"  # land is not depreciated
    # The 1395 table as far as it could be confirmed (docs/books-assets.md):
    assert categories["computers"]["useful_life_years"] == 3
    assert categories["buildings_concrete_steel"]["useful_life_years"] == 25
    assert categories["buildings_other"]["rate_percent"] == 7
    assert categories["passenger_vehicles"]["useful_life_years"] == 6
    assert categories["pickups_taxis"]["useful_life_years"] == 4


def test_every_figure_names_its_source_and_an_unconfirmed_one_says_why() -> None:
    sources = table()["sources"]
    for category in asset_categories():
        assert category["sources"] and set(category["sources"]) <= set(sources), category["code"]
        assert category["table"]["fa"]
        if category["provisional"]:
            assert category["provisional_why"], category["code"]
    for rule in table()["rules"].values():
        assert set(rule["sources"]) <= set(sources) and rule["fa"] and rule["en"]
        assert not rule["provisional"] or rule["why"]
    for source in sources.values():
        assert source["fa"] and (source.get("url") or source.get("urls"))


def test_each_category_posts_to_its_cost_accumulated_and_expense_accounts_in_every_purchasable_chart() -> None:
    for business_type in PURCHASABLE:
        accounts = {a.code: a for a in chart_for(business_type).accounts}
        for category in asset_categories():
            cost = accounts[category["account"]]
            assert cost.level == "subsidiary" and cost.code.startswith("2") and not cost.contra
            assert cost.nature == "debit"
            if category["method"] == "none":
                assert category["accumulated_account"] is None and category["expense_account"] is None
                continue
            accumulated = accounts[category["accumulated_account"]]
            assert accumulated.level == "subsidiary" and accumulated.contra and accumulated.nature == "credit"
            assert (accumulated.parent or "")[:1] == (cost.parent or "")[:1] == "2"  # both non-current assets
            expense = category.get("expense_account_by_chart", {}).get(business_type, category["expense_account"])
            assert accounts[expense].level == "subsidiary" and accounts[expense].nature == "debit"
            assert expense[0] in "78", (category["code"], business_type, expense)  # costs or expenses
            assert "استهلاک" in accounts[expense].fa


def test_an_intangible_is_amortised_against_the_intangibles_own_contra_account() -> None:
    software = next(c for c in asset_categories() if c["code"] == "software")
    accounts = {a.code: a for a in chart_for("service").accounts}
    assert accounts[software["account"]].parent == accounts[software["accumulated_account"]].parent == "203"


def test_seeding_writes_the_accounts_method_and_provenance_and_redoing_it_changes_nothing() -> None:
    books = sqlite3.connect(":memory:")
    create_schema(books)
    first = seed_asset_categories(books)
    again = seed_asset_categories(books)
    assert first == again and first["categories"] == [c["code"] for c in asset_categories()]
    row = books.execute("SELECT account_code, accumulated_account_code, expense_account_code, method, rate_percent, "
                        "useful_life_years, provisional, source FROM asset_categories WHERE code = 'buildings_other'"
                        ).fetchone()
    assert row[:7] == ("20102", "20201", "80111", "declining_balance", 7, None, 1)
    source = json.loads(row[7])
    assert source["why"] and "group" in source["table"] and "circular_200_95_78" in source["sources"]
    assert books.execute("SELECT count(*) FROM asset_categories").fetchone() == (len(asset_categories()),)


def test_books_seeded_before_the_accounts_were_added_get_them_on_the_next_seeding() -> None:
    # A business provisioned with the earlier asset_categories table (one account column) that
    # buys the add-on again, or whose backup is restored: the new columns are added, not lost.
    books = sqlite3.connect(":memory:")
    books.execute("CREATE TABLE asset_categories (code TEXT PRIMARY KEY, name_fa TEXT NOT NULL, name_en TEXT NOT NULL, "
                  "account_code TEXT NOT NULL, method TEXT NOT NULL, rate_percent INTEGER, useful_life_years INTEGER)")
    books.execute("INSERT INTO asset_categories VALUES ('computers', 'رایانه', 'Computers', '20107', "
                  "'straight_line', NULL, 3)")
    seed_asset_categories(books)
    assert books.execute("SELECT accumulated_account_code, expense_account_code FROM asset_categories "
                         "WHERE code = 'computers'").fetchone() == ("20206", "80111")
