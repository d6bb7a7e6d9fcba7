"""Floating detail ledgers (تفصیلی شناور) in the business's books, seeded with the chart (PR-2).

A detail (a customer, a bank account, a cost centre, a project, a branch) is defined once, in
its detail group, and floats: any معین that takes its group can carry it, so a person who is
both a customer and a supplier keeps one code in حساب‌های دریافتنی and in حساب‌های پرداختنی.
Which معین takes which groups comes from the chart's data file (`details`: a posting names one
detail of one of these groups; `optional_details`: it may also name one of these).

Tables (the books' schema, created where the chart is seeded; archival treats them generically):
  detail_groups(code, number, name_fa, name_en, chart_version)
  account_detail_groups(account_code → accounts, group_code → detail_groups, required)
  details(code, group_code → detail_groups, name_fa, name_en, source, active)
A detail's code is its group's number followed by five digits (500001 = the head office, the
first detail of «شعب»). `source` says what made a detail (unique): `chart:<code>` or `organization:<id>`
(TE-1: each organization tenancy adds becomes a branch detail, idempotently).

Every write is keyed (CREATE … IF NOT EXISTS, INSERT OR IGNORE / REPLACE), so redoing the
chart step or redelivering an organization leaves the books as doing it once would."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from typing import Any

from services.provisioning.catalogue import Chart, chart_for

DETAIL_SCHEMA = """
CREATE TABLE IF NOT EXISTS detail_groups (
    code TEXT PRIMARY KEY, number INTEGER NOT NULL UNIQUE CHECK (number BETWEEN 1 AND 9),
    name_fa TEXT NOT NULL, name_en TEXT NOT NULL, chart_version TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS account_detail_groups (
    account_code TEXT NOT NULL REFERENCES accounts(code), group_code TEXT NOT NULL REFERENCES detail_groups(code),
    required INTEGER NOT NULL CHECK (required IN (0, 1)), PRIMARY KEY (account_code, group_code));
CREATE TABLE IF NOT EXISTS details (
    code TEXT PRIMARY KEY, group_code TEXT NOT NULL REFERENCES detail_groups(code),
    name_fa TEXT NOT NULL, name_en TEXT NOT NULL, source TEXT UNIQUE, active INTEGER NOT NULL DEFAULT 1)
"""
BRANCHES = "branches"
SEQUENCE_DIGITS = 5  # 99,999 details a group


def detail_problems(chart: Chart) -> list[str]:
    """Why the chart's detail ledgers are unsound, or []: groups with unique codes and numbers,
    every account's groups defined, a group not both required and optional on one account,
    seeded details in a defined group with a code of their group's number and unique, and
    the inter-branch accounts taking the branches group."""
    problems: list[str] = []
    codes = [g.code for g in chart.detail_groups]
    numbers = [g.number for g in chart.detail_groups]
    if len(set(codes)) != len(codes) or len(set(numbers)) != len(numbers):
        problems.append("detail groups: codes and numbers must be unique")
    known = {g.code: g for g in chart.detail_groups}
    for account in chart.accounts:
        for group in (*account.details, *account.optional_details):
            if group not in known:
                problems.append(f"{account.code}: unknown detail group {group!r}")
        if set(account.details) & set(account.optional_details):
            problems.append(f"{account.code}: a detail group both required and optional")
    seen: set[str] = set()
    for detail in chart.details:
        of = known.get(detail.group)
        if of is None:
            problems.append(f"detail {detail.code}: unknown group {detail.group!r}")
        elif not (detail.code.isdigit() and len(detail.code) == 1 + SEQUENCE_DIGITS
                  and detail.code.startswith(str(of.number))):
            problems.append(f"detail {detail.code}: a code is its group's number ({of.number}) and 5 digits")
        if detail.code in seen:
            problems.append(f"detail {detail.code}: code used twice")
        seen.add(detail.code)
    if chart.detail_groups and not any(BRANCHES in a.details for a in chart.accounts):
        problems.append("no posting account takes the branches group (حساب جاری شعب / دفتر مرکزی)")
    return problems


def create_detail_schema(books: sqlite3.Connection) -> None:
    for statement in filter(str.strip, DETAIL_SCHEMA.split(";")):
        books.execute(statement)


def seed_details(books: sqlite3.Connection, chart: Chart,
                 branches: Iterable[tuple[str, str]] = ()) -> dict[str, Any]:
    """The chart's detail groups, which معین takes which, its seeded details (the head office,
    default cost centres) and a detail for each organization already known ((id, name) pairs).
    Runs after the accounts are in (the mappings reference them)."""
    create_detail_schema(books)
    _put_groups(books, chart, "REPLACE")
    books.executemany(
        "INSERT OR REPLACE INTO account_detail_groups (account_code, group_code, required) VALUES (?, ?, ?)",
        [(a.code, group, int(required)) for a in chart.accounts
         for required, groups in ((True, a.details), (False, a.optional_details)) for group in groups])
    # A seeded detail the business renamed since keeps its name: IGNORE, not REPLACE.
    books.executemany(
        "INSERT OR IGNORE INTO details (code, group_code, name_fa, name_en, source) VALUES (?, ?, ?, ?, ?)",
        [(d.code, d.group, d.fa, d.en, f"chart:{d.code}") for d in chart.details])
    for organization_id, name in branches:
        _branch_detail(books, organization_id, name)
    return {"detail_groups": len(chart.detail_groups), "details": len(chart.details)}


def add_branch_detail(books: sqlite3.Connection, business_type: str, organization_id: str,
                      name: str) -> str:
    """The detail of an organization tenancy added (TE-1) in the «شعب» group, the code it has.
    Books seeded before detail ledgers existed get the detail tables and groups first."""
    chart = chart_for(business_type)
    if not _has_table(books, "detail_groups") or \
            books.execute("SELECT 1 FROM detail_groups WHERE code = ?", (BRANCHES,)).fetchone() is None:
        create_detail_schema(books)
        _put_groups(books, chart, "IGNORE")
        books.executemany(
            "INSERT OR IGNORE INTO details (code, group_code, name_fa, name_en, source) VALUES (?, ?, ?, ?, ?)",
            [(d.code, d.group, d.fa, d.en, f"chart:{d.code}") for d in chart.details if d.group == BRANCHES])
    return _branch_detail(books, organization_id, name)


def _branch_detail(books: sqlite3.Connection, organization_id: str, name: str) -> str:
    source = f"organization:{organization_id}"
    row = books.execute("SELECT code FROM details WHERE source = ?", (source,)).fetchone()
    if row is not None:
        return str(row[0])  # delivered before: the same detail, not a second one
    number = books.execute("SELECT number FROM detail_groups WHERE code = ?", (BRANCHES,)).fetchone()[0]
    first = int(number) * 10 ** SEQUENCE_DIGITS
    last = books.execute("SELECT MAX(CAST(code AS INTEGER)) FROM details WHERE group_code = ?",
                         (BRANCHES,)).fetchone()[0]
    code = str(max(int(last or first), first) + 1)
    books.execute("INSERT INTO details (code, group_code, name_fa, name_en, source) VALUES (?, ?, ?, ?, ?)",
                  (code, BRANCHES, name, name, source))
    return code


def branch_detail_codes(books: sqlite3.Connection) -> dict[str, tuple[str, str]]:
    """source → (detail code, Persian name) of every branch detail in the books: `chart:<code>`
    for the head office the chart seeds, `organization:<id>` for each organization (TE-1)."""
    if not _has_table(books, "details"):
        return {}  # books seeded before detail ledgers (chart 1405.1)
    return {str(source): (str(code), str(name)) for code, name, source in books.execute(
        "SELECT code, name_fa, source FROM details WHERE group_code = ? ORDER BY code", (BRANCHES,))}


def _put_groups(books: sqlite3.Connection, chart: Chart, conflict: str) -> None:
    books.executemany(
        f"INSERT OR {conflict} INTO detail_groups (code, number, name_fa, name_en, chart_version) "
        "VALUES (?, ?, ?, ?, ?)",
        [(g.code, g.number, g.fa, g.en, chart.version) for g in chart.detail_groups])


def _has_table(books: sqlite3.Connection, name: str) -> bool:
    found = books.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)).fetchone()
    return found is not None
