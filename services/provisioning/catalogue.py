"""What a purchase seeds into a business's books, read from the versioned data files under
data/: the default charts of accounts by business type (PR-2), payroll's formulas and tables
(PR-6) and the asset categories (PR-7). Pure: files in, values out."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent / "data"
BUSINESS_TYPES = ("service", "manufacturing", "trading", "educational")
NATURES = ("debit", "credit", "either")
OPPOSITE = {"debit": "credit", "credit": "debit"}


@dataclass(frozen=True)
class Account:
    code: str
    parent: str | None
    level: str  # group | ledger | subsidiary (گروه، کل، معین)
    fa: str
    en: str
    nature: str  # debit | credit | either
    contra: bool  # a contra account (e.g. accumulated depreciation) runs against its group
    # Floating detail ledgers (تفصیلی شناور, services/provisioning/charts.py): a posting to this
    # معین names one detail of one of `details` (required when any), and may name one of `optional_details`.
    details: tuple[str, ...] = ()
    optional_details: tuple[str, ...] = ()


@dataclass(frozen=True)
class DetailGroup:
    code: str  # persons | banks | cost_centres | projects | branches
    number: int  # the first digit of its details' codes
    fa: str
    en: str


@dataclass(frozen=True)
class Detail:
    code: str
    group: str
    fa: str
    en: str


@dataclass(frozen=True)
class Chart:
    business_type: str
    version: str
    title_fa: str
    title_en: str
    accounts: tuple[Account, ...]
    detail_groups: tuple[DetailGroup, ...] = ()
    details: tuple[Detail, ...] = ()  # seeded with the chart (the head office, default cost centres)


@cache
def chart_for(business_type: str) -> Chart:
    if business_type not in BUSINESS_TYPES:
        raise ValueError(f"no default chart for business type {business_type!r}")
    data = json.loads((DATA / "charts" / f"{business_type}.json").read_text(encoding="utf-8"))
    return Chart(data["business_type"], data["version"], data["title"]["fa"], data["title"]["en"],
                 tuple(flatten(data)),
                 tuple(DetailGroup(g["code"], int(g["number"]), g["fa"], g["en"])
                       for g in data.get("detail_groups", ())),
                 tuple(Detail(d["code"], d["group"], d["fa"], d["en"]) for d in data.get("details", ())))


def flatten(data: dict[str, Any]) -> list[Account]:
    """The tree (groups → ledgers → subsidiary accounts) as rows, parents before children."""
    rows: list[Account] = []
    for group in data["groups"]:
        rows.append(_account(group, None, "group"))
        for ledger in group["ledgers"]:
            rows.append(_account(ledger, group["code"], "ledger"))
            rows.extend(_account(account, ledger["code"], "subsidiary") for account in ledger["accounts"])
    return rows


def _account(node: dict[str, Any], parent: str | None, level: str) -> Account:
    return Account(node["code"], parent, level, node["fa"], node["en"], node["nature"], bool(node.get("contra")),
                   tuple(node.get("details", ())), tuple(node.get("optional_details", ())))


def chart_problems(accounts: tuple[Account, ...] | list[Account]) -> list[str]:
    """Why a chart is not a sound tree, or [] when it is: unique codes, every child's code
    extends its parent's, levels nest, every ledger has posting accounts (معین) under it, and
    each nature fits its group and its ledger — the group's own, or "either" for an account
    that can swing, or the opposite only on a declared contra account."""
    problems: list[str] = []
    by_code: dict[str, Account] = {}
    for account in accounts:
        if account.code in by_code:
            problems.append(f"{account.code}: code used twice")
        by_code[account.code] = account
        if not account.code.isdigit():
            problems.append(f"{account.code}: a code is digits only")
        if account.nature not in NATURES:
            problems.append(f"{account.code}: unknown nature {account.nature!r}")
        if not account.fa.strip() or not account.en.strip():
            problems.append(f"{account.code}: needs a Persian and an English name")
    expected_parent_level = {"group": None, "ledger": "group", "subsidiary": "ledger"}
    for account in accounts:
        parent = by_code.get(account.parent) if account.parent else None
        if account.level not in expected_parent_level:
            problems.append(f"{account.code}: unknown level {account.level!r}")
            continue
        if (parent.level if parent else None) != expected_parent_level[account.level]:
            wanted = expected_parent_level[account.level]
            problems.append(f"{account.code}: a {account.level} must sit under a {wanted}")
        if parent is not None and not (account.code.startswith(parent.code) and len(account.code) > len(parent.code)):
            problems.append(f"{account.code}: code must extend its parent's code {parent.code}")
        group = _group_of(account, by_code)
        if group is not None and not _nature_fits(account, group):
            problems.append(f"{account.code}: nature {account.nature} does not fit group {group.code} "
                            f"({group.nature}){' and it is not marked contra' if not account.contra else ''}")
        if account.level == "subsidiary" and parent is not None and not _fits_ledger(account, parent):
            problems.append(f"{account.code}: nature {account.nature} does not fit its ledger {parent.code} "
                            f"({parent.nature})")
        if account.level != "subsidiary" and (account.details or account.optional_details):
            problems.append(f"{account.code}: only a posting account (معین) takes detail ledgers")
    parents = {a.parent for a in accounts if a.level == "subsidiary"}
    problems.extend(f"{a.code}: a ledger without posting accounts (معین)" for a in accounts
                    if a.level == "ledger" and a.code not in parents)
    return problems


def _fits_ledger(account: Account, ledger: Account) -> bool:
    """A معین runs with its کل, or swings, or is a contra account inside a ledger that is not."""
    if "either" in (account.nature, ledger.nature) or account.nature == ledger.nature:
        return True
    return account.contra and not ledger.contra and account.nature == OPPOSITE[ledger.nature]


def _group_of(account: Account, by_code: dict[str, Account]) -> Account | None:
    node: Account | None = account
    while node is not None and node.level != "group":
        node = by_code.get(node.parent) if node.parent else None
    return node


def _nature_fits(account: Account, group: Account) -> bool:
    if group.nature == "either" or account.nature == "either" or account is group:
        return True  # memorandum accounts and their counterparts; swing accounts
    if account.contra:
        return account.nature == OPPOSITE[group.nature]
    return account.nature == group.nature


@cache
def payroll_data() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((DATA / "payroll.json").read_text(encoding="utf-8"))
    return data


@cache
def asset_categories() -> tuple[dict[str, Any], ...]:
    data = json.loads((DATA / "asset_categories.json").read_text(encoding="utf-8"))
    return tuple(data["categories"])


def asset_categories_version() -> str:
    return str(json.loads((DATA / "asset_categories.json").read_text(encoding="utf-8"))["version"])
