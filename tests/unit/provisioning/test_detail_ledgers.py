"""Floating detail ledgers (تفصیلی شناور) in the business's books (PR-2), the branch detail an
organization becomes (TE-1), and `shared.tenant_books.posting_accounts`, the read the
opening-balance import validates against. Books are SQLite in memory with foreign keys on, as
TenantBooks opens them; the application runs on the POPO store (tests/support/provisioning)."""

from __future__ import annotations

import sqlite3
import uuid
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

import pytest

from services.provisioning import books as seeding
from services.provisioning import policies
from services.provisioning.application import NotProvisionedYet, ProvisioningApplication
from services.provisioning.catalogue import chart_for
from services.provisioning.charts import add_branch_detail
from shared.events.tenancy import OrganizationAddedV1
from shared.kernel.store import AlreadyHandled
from shared.tenant_books import DetailAccount, PostingAccount, detail_accounts, posting_accounts
from tests.support.provisioning import Hook, MemoryBooks, provisioning_app
from tests.support.provisioning_orders import inbound, payment, purged

GROUPS = [("persons", 1, "اشخاص"), ("banks", 2, "بانک‌ها"), ("cost_centres", 3, "مراکز هزینه"),
          ("projects", 4, "پروژه‌ها"), ("branches", 5, "شعب")]


@pytest.fixture
def books() -> Iterator[sqlite3.Connection]:
    connection = sqlite3.connect(":memory:", isolation_level=None)
    connection.execute("PRAGMA foreign_keys = ON")
    seeding.create_schema(connection)
    yield connection
    connection.close()


def rows(books: sqlite3.Connection, sql: str) -> list[tuple[object, ...]]:
    return list(books.execute(sql).fetchall())


def organization(tenant_id: uuid.UUID, name: str = "شعبهٔ تبریز", kind: Any = "branch",
                 organization_id: uuid.UUID | None = None) -> OrganizationAddedV1:
    return OrganizationAddedV1(organization_id=organization_id or uuid.uuid4(), tenant_id=tenant_id, name=name,
                               kind=kind, added_by_user_id=uuid.uuid4(), organizations_count=1, max_organizations=3)


# -- seeding -------------------------------------------------------------------------------------

def test_the_chart_seeds_the_detail_groups_and_which_account_takes_which(books: sqlite3.Connection) -> None:
    facts = seeding.seed_chart(books, "trading")
    assert facts == {"type": "trading", "version": "1405.2", "accounts": len(chart_for("trading").accounts),
                     "detail_groups": 5, "details": 4}
    assert rows(books, "SELECT code, number, name_fa FROM detail_groups ORDER BY number") == GROUPS
    taken = defaultdict(list)
    for code, group, required in rows(books, "SELECT account_code, group_code, required FROM account_detail_groups "
                                             "ORDER BY account_code, required DESC, group_code"):
        taken[code].append((group, required))
    assert taken["10301"] == [("persons", 1)]  # customers
    assert taken["10104"] == [("banks", 1)]  # bank current accounts
    assert taken["10303"] == [("banks", 1), ("persons", 0)]  # cheques in collection: the bank, and the drawer
    assert taken["80101"] == [("cost_centres", 1), ("projects", 0)]  # administrative salaries
    assert taken["10701"] == taken["30801"] == [("branches", 1)]  # inter-branch
    assert "10101" not in taken  # rial cash takes no detail
    # the head office and three cost centres come with the chart; the 6-digit code starts with the group's number
    assert rows(books, "SELECT code, group_code, name_fa, source FROM details ORDER BY code") == [
        ("300001", "cost_centres", "اداری و عمومی", "chart:300001"),
        ("300002", "cost_centres", "فروش و توزیع", "chart:300002"),
        ("300003", "cost_centres", "انبار", "chart:300003"), ("500001", "branches", "دفتر مرکزی", "chart:500001")]
    assert rows(books, "PRAGMA foreign_key_check") == []


def test_seeding_again_changes_nothing(books: sqlite3.Connection) -> None:
    seeding.seed_chart(books, "manufacturing", (("org-1", "انبار مرکزی کرج"),))
    tables = ("accounts", "detail_groups", "account_detail_groups", "details")
    before = {t: rows(books, f"SELECT * FROM {t} ORDER BY 1, 2") for t in tables}
    books.execute("UPDATE details SET name_fa = 'ستاد تهران' WHERE code = '500001'")  # the business renamed it
    seeding.seed_chart(books, "manufacturing", (("org-1", "انبار مرکزی کرج"),))  # a step redone after a crash
    after = {t: rows(books, f"SELECT * FROM {t} ORDER BY 1, 2") for t in tables}
    assert after["details"] == [(*r[:2], "ستاد تهران", *r[3:]) if r[0] == "500001" else r for r in before["details"]]
    assert {t: after[t] for t in tables if t != "details"} == {t: before[t] for t in tables if t != "details"}


def test_each_organization_becomes_the_next_branch_detail_once(books: sqlite3.Connection) -> None:
    seeding.seed_chart(books, "service", (("org-tabriz", "شعبهٔ تبریز"),))
    # 500001 is the head office, so the first organization is 500002 and the next 500003
    assert add_branch_detail(books, "service", "org-tabriz", "شعبهٔ تبریز") == "500002"  # redelivered: the same
    assert add_branch_detail(books, "service", "org-shiraz", "شعبهٔ شیراز") == "500003"
    assert add_branch_detail(books, "service", "org-shiraz", "شعبهٔ شیراز") == "500003"
    assert rows(books, "SELECT code, name_fa, source FROM details WHERE group_code = 'branches' ORDER BY code") == [
        ("500001", "دفتر مرکزی", "chart:500001"), ("500002", "شعبهٔ تبریز", "organization:org-tabriz"),
        ("500003", "شعبهٔ شیراز", "organization:org-shiraz")]


def test_books_seeded_before_detail_ledgers_get_them_with_their_first_branch(books: sqlite3.Connection) -> None:
    chart = chart_for("trading")  # books from chart 1405.1: accounts only
    books.executemany("INSERT INTO accounts (code, parent_code, level, name_fa, name_en, nature, contra, "
                      "chart_version) VALUES (?, ?, ?, ?, ?, ?, ?, '1405.1')",
                      [(a.code, a.parent, a.level, a.fa, a.en, a.nature, int(a.contra)) for a in chart.accounts])
    assert all(p.detail_groups == () for p in posting_accounts(books).values())
    assert detail_accounts(books) == {}
    assert add_branch_detail(books, "trading", "org-1", "شعبهٔ اصفهان") == "500002"
    assert detail_accounts(books) == {"500001": DetailAccount("branches", "دفتر مرکزی", "Head office"),
                                      "500002": DetailAccount("branches", "شعبهٔ اصفهان", "شعبهٔ اصفهان")}


# -- posting_accounts: what an import or a voucher may post to -------------------------------------

def test_posting_accounts_are_the_subsidiary_accounts_only(books: sqlite3.Connection) -> None:
    assert posting_accounts(books) == {}  # no chart yet
    seeding.seed_chart(books, "trading")
    accounts = posting_accounts(books)
    assert len(accounts) == sum(a.level == "subsidiary" for a in chart_for("trading").accounts)
    # the group (1) and the ledger (103) are not there: a balance on them would count twice (AR-5)
    assert "1" not in accounts and "103" not in accounts
    assert accounts["10301"] == PostingAccount(
        name="حساب‌های دریافتنی تجاری – مشتریان", nature="debit", detail_groups=("persons",),
        name_en="Accounts receivable – customers", optional_detail_groups=(), contra=False, ledger="103")
    assert accounts["20201"].contra and accounts["20201"].nature == "credit"  # accumulated depreciation
    assert accounts["30209"].nature == "either" and accounts["30209"].detail_groups == ()  # VAT settlement


class Rejected(Exception):
    pass


def post(accounts: dict[str, PostingAccount], details: dict[str, DetailAccount],
         voucher: list[tuple[str, str | None, int, int]], balances: defaultdict[str, int]) -> None:
    """A voucher of (account, detail, debit, credit) lines, checked as the books would check it."""
    if sum(line[2] for line in voucher) != sum(line[3] for line in voucher):
        raise Rejected("debit ≠ credit")
    for code, detail, debit, credit in voucher:
        account = accounts.get(code)
        if account is None:
            raise Rejected(f"{code}: not a posting account")
        if account.detail_groups and (detail not in details or details[detail].group not in account.detail_groups):
            raise Rejected(f"{code}: needs a detail of {account.detail_groups}")
        balances[code] += debit - credit


def test_a_worked_month_keeps_every_balance_on_its_nature(books: sqlite3.Connection) -> None:
    """A trading company's month, by hand (rials; VAT at 10% for the example only: the chart stores no rate):
      1. capital paid into the bank                    Dr 10104 bank 300,000,000   / Cr 50101 capital 300,000,000
      2. a credit sale to شرکت البرز (100001)           Dr 10301 220,000,000 / Cr 60101 200,000,000, 30205 20,000,000
      3. it pays with a cheque, deposited for collection  Dr 10302 / Cr 10301; Dr 10303 / Cr 10302 (220,000,000)
      4. the cheque bounces                             Dr 10305 returned cheques 220,000,000 / Cr 10303
      5. purchases from فروشگاه مهر (100002)             Dr 70101 80,000,000, 10403 8,000,000 / Cr 30101 88,000,000
      6. the VAT period closes                          Dr 30205 20,000,000 / Cr 30209; Dr 30209 8,000,000 / Cr 10403
         → 30209 holds 20,000,000 − 8,000,000 = 12,000,000 credit: payable to the tax office
      7. the head office funds the Tabriz branch        Dr 10701 (500002) 50,000,000 / Cr 10104 50,000,000
    Balances: debit 10104 250M + 10305 220M + 70101 80M + 10701 50M = 600,000,000;
              credit 50101 300M + 60101 200M + 30101 88M + 30209 12M = 600,000,000."""
    seeding.seed_chart(books, "trading", (("org-tabriz", "شعبهٔ تبریز"),))
    books.executemany("INSERT INTO details (code, group_code, name_fa, name_en) VALUES (?, ?, ?, ?)",
                      [("100001", "persons", "شرکت البرز", "Alborz Co."), ("100002", "persons", "فروشگاه مهر", "Mehr"),
                       ("200001", "banks", "بانک ملت – جاری ۱۲۳۴", "Bank Mellat current 1234")])
    accounts, details = posting_accounts(books), detail_accounts(books)
    balances: defaultdict[str, int] = defaultdict(int)
    vouchers: list[list[tuple[str, str | None, int, int]]] = [
        [("10104", "200001", 300_000_000, 0), ("50101", None, 0, 300_000_000)],
        [("10301", "100001", 220_000_000, 0), ("60101", None, 0, 200_000_000), ("30205", None, 0, 20_000_000)],
        [("10302", "100001", 220_000_000, 0), ("10301", "100001", 0, 220_000_000)],
        [("10303", "200001", 220_000_000, 0), ("10302", "100001", 0, 220_000_000)],
        [("10305", "100001", 220_000_000, 0), ("10303", "200001", 0, 220_000_000)],
        [("70101", None, 80_000_000, 0), ("10403", None, 8_000_000, 0), ("30101", "100002", 0, 88_000_000)],
        [("30205", None, 20_000_000, 0), ("30209", None, 0, 20_000_000)],
        [("30209", None, 8_000_000, 0), ("10403", None, 0, 8_000_000)],
        [("10701", "500002", 50_000_000, 0), ("10104", "200001", 0, 50_000_000)],
    ]
    for voucher in vouchers:
        post(accounts, details, voucher, balances)
    left = {code: amount for code, amount in balances.items() if amount}
    assert left == {"10104": 250_000_000, "10305": 220_000_000, "70101": 80_000_000, "10701": 50_000_000,
                    "50101": -300_000_000, "60101": -200_000_000, "30101": -88_000_000, "30209": -12_000_000}
    for code, amount in left.items():
        side = "debit" if amount > 0 else "credit"
        assert accounts[code].nature in (side, "either"), (code, amount)
    assert sum(a for a in left.values() if a > 0) == -sum(a for a in left.values() if a < 0) == 600_000_000


def test_a_voucher_that_misses_the_rules_is_refused(books: sqlite3.Connection) -> None:
    seeding.seed_chart(books, "trading")
    books.execute("INSERT INTO details (code, group_code, name_fa, name_en) VALUES "
                  "('200001', 'banks', 'بانک ملی', 'Bank Melli')")
    accounts, details = posting_accounts(books), detail_accounts(books)
    balances: defaultdict[str, int] = defaultdict(int)
    with pytest.raises(Rejected, match="103: not a posting account"):  # a ledger
        post(accounts, details, [("103", None, 10, 0), ("60101", None, 0, 10)], balances)
    with pytest.raises(Rejected, match="10301: needs a detail"):  # a customer without the customer
        post(accounts, details, [("10301", None, 10, 0), ("60101", None, 0, 10)], balances)
    with pytest.raises(Rejected, match="10301: needs a detail"):  # a bank is not a person
        post(accounts, details, [("10301", "200001", 10, 0), ("60101", None, 0, 10)], balances)
    with pytest.raises(Rejected, match="debit ≠ credit"):
        post(accounts, details, [("10104", "200001", 10, 0), ("60101", None, 0, 9)], balances)
    assert balances == {}


# -- the application: OrganizationAdded → a branch detail ------------------------------------------

def branch_rows(app: ProvisioningApplication, tenant_id: uuid.UUID) -> list[tuple[object, ...]]:
    assert isinstance(app.books, MemoryBooks)
    return app.books.rows(tenant_id, "SELECT code, name_fa FROM details WHERE group_code = 'branches' ORDER BY code")


def test_an_organization_added_becomes_a_branch_detail_once() -> None:
    app = provisioning_app()
    paid = payment()
    policies.handle(app, inbound(paid))
    added = organization(paid.tenant_id)
    delivery = inbound(added)
    policies.handle(app, delivery)
    assert branch_rows(app, paid.tenant_id) == [("500001", "دفتر مرکزی"), ("500002", "شعبهٔ تبریز")]
    with pytest.raises(AlreadyHandled):
        policies.handle(app, delivery)  # the same delivery again
    policies.handle(app, inbound(added))  # the same organization in another envelope
    assert branch_rows(app, paid.tenant_id) == [("500001", "دفتر مرکزی"), ("500002", "شعبهٔ تبریز")]
    policies.handle(app, inbound(organization(paid.tenant_id, "انبار قم", "warehouse")))
    assert branch_rows(app, paid.tenant_id)[-1] == ("500003", "انبار قم")
    found = app.records.find(paid.tenant_id)
    assert found is not None and [b.kind for b in found.branches.values()] == ["branch", "warehouse"]


def test_an_organization_before_the_chart_is_seeded_with_it() -> None:
    paid = payment()
    hook = Hook(fail_after="books_created")
    app = provisioning_app(after_step=hook)
    delivery = inbound(paid)
    with pytest.raises(RuntimeError):
        policies.handle(app, delivery)  # the worker died with the books created, the chart not yet seeded
    policies.handle(app, inbound(organization(paid.tenant_id, "دفتر دوم مشهد", "office")))
    hook.fail_after = None
    policies.handle(app, delivery)  # the redelivery finishes the order; the chart comes with the branch
    assert branch_rows(app, paid.tenant_id) == [("500001", "دفتر مرکزی"), ("500002", "دفتر دوم مشهد")]


def test_an_organization_of_a_business_not_provisioned_yet_is_delivered_again() -> None:
    app = provisioning_app()
    delivery = inbound(organization(uuid.uuid4()))
    with pytest.raises(NotProvisionedYet):
        policies.handle(app, delivery)
    assert not app.has_handled(delivery.envelope.event_id)  # so the inbox's retry is not refused


def test_an_organization_after_the_purge_writes_nothing() -> None:
    app = provisioning_app()
    paid = payment()
    policies.handle(app, inbound(paid))
    policies.handle(app, inbound(purged(paid.tenant_id)))
    late = inbound(organization(paid.tenant_id))
    policies.handle(app, late)
    assert app.has_handled(late.envelope.event_id)
    assert branch_rows(app, paid.tenant_id) == [("500001", "دفتر مرکزی")]
