"""Each provisioning step's work in the business's own books (shared.tenant_books). Every
step runs in one books transaction and writes keyed rows (CREATE … IF NOT EXISTS, INSERT OR
REPLACE / IGNORE), so redoing a step — after a crash, or by a concurrent worker — leaves the
books exactly as doing it once would. The step's event is recorded only after it committed.

These tables are the books' schema; archival exports and restores them generically."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from typing import Any

from services.provisioning.catalogue import asset_categories, chart_for, payroll_data
from services.provisioning.charts import seed_details

SCHEMA = """
CREATE TABLE IF NOT EXISTS accounts (
    code TEXT PRIMARY KEY, parent_code TEXT REFERENCES accounts(code), level TEXT NOT NULL,
    name_fa TEXT NOT NULL, name_en TEXT NOT NULL, nature TEXT NOT NULL CHECK (nature IN ('debit','credit','either')),
    contra INTEGER NOT NULL DEFAULT 0, chart_version TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS modules (module TEXT PRIMARY KEY, active_until TEXT NOT NULL, source_id TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS payroll_formulas (
    code TEXT PRIMARY KEY, position INTEGER NOT NULL, name_fa TEXT NOT NULL, name_en TEXT NOT NULL,
    kind TEXT NOT NULL, insurable INTEGER NOT NULL, expression TEXT NOT NULL, version TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS payroll_tables (
    effective_from TEXT PRIMARY KEY, jalali_from TEXT NOT NULL, status TEXT NOT NULL, source TEXT NOT NULL,
    constants TEXT NOT NULL, tax_brackets TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS asset_categories (
    code TEXT PRIMARY KEY, name_fa TEXT NOT NULL, name_en TEXT NOT NULL, account_code TEXT NOT NULL,
    method TEXT NOT NULL, rate_percent INTEGER, useful_life_years INTEGER, accumulated_account_code TEXT,
    expense_account_code TEXT, expense_accounts_by_chart TEXT, provisional INTEGER NOT NULL DEFAULT 0, source TEXT);
CREATE TABLE IF NOT EXISTS members (user_id TEXT PRIMARY KEY, role TEXT NOT NULL, seated_at TEXT NOT NULL);
"""


def create_schema(books: sqlite3.Connection) -> dict[str, Any]:
    for statement in filter(str.strip, SCHEMA.split(";")):
        books.execute(statement)
    return {}


def seed_chart(books: sqlite3.Connection, business_type: str,
               branches: tuple[tuple[str, str], ...] = ()) -> dict[str, Any]:
    """The chart's accounts, then its floating detail ledgers (charts.py) with a branch detail
    for each organization already added, as (organization id, name)."""
    chart = chart_for(business_type)
    books.executemany(
        "INSERT OR REPLACE INTO accounts (code, parent_code, level, name_fa, name_en, nature, contra, chart_version) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [(a.code, a.parent, a.level, a.fa, a.en, a.nature, int(a.contra), chart.version) for a in chart.accounts])
    details = seed_details(books, chart, branches)
    return {"type": chart.business_type, "version": chart.version, "accounts": len(chart.accounts), **details}


def activate_modules(books: sqlite3.Connection, modules: tuple[str, ...], active_until: datetime,
                     source_id: str) -> dict[str, Any]:
    for module in modules:
        row = books.execute("SELECT active_until FROM modules WHERE module = ?", (module,)).fetchone()
        until = max(active_until.isoformat(), row[0]) if row else active_until.isoformat()  # ISO UTC sorts
        books.execute("INSERT OR REPLACE INTO modules (module, active_until, source_id) VALUES (?, ?, ?)",
                      (module, until, source_id))
    return {"modules": list(modules), "active_until": active_until.isoformat()}


def put_formulas(books: sqlite3.Connection, data: dict[str, Any]) -> None:
    """The payroll formulas of ``data`` (the payroll data file) in the books, at its version."""
    books.executemany(
        "INSERT OR REPLACE INTO payroll_formulas (code, position, name_fa, name_en, kind, insurable, expression, "
        "version) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [(f["code"], i, f["fa"], f["en"], f["kind"], int(f["insurable"]), f["expression"], data["version"])
         for i, f in enumerate(data["formulas"])])


def seed_payroll(books: sqlite3.Connection) -> dict[str, Any]:
    data = payroll_data()
    put_formulas(books, data)
    books.executemany(
        "INSERT OR REPLACE INTO payroll_tables (effective_from, jalali_from, status, source, constants, tax_brackets) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        [(t["effective_from"], t["jalali_from"], t["status"], _table_source(t), json.dumps(t["constants"]),
          json.dumps(t["tax_brackets"])) for t in data["tables"]])
    return {"version": data["version"], "formulas": [f["code"] for f in data["formulas"]]}


def _table_source(table: dict[str, Any]) -> str:
    """The table's sources as the books keep them (payroll_tables.source): its summary, each
    figure's source and, for a provisional year, why (services/provisioning/payslip.py reads it)."""
    return json.dumps({"summary": table["source"], "figures": table.get("sources", {}),
                       "provisional_why": table.get("provisional_why")}, ensure_ascii=False)


# Columns asset_categories gained with its accounts and sources (#18, PR-7): books seeded earlier
# (or restored from an earlier backup) get them when the categories are seeded again.
_ASSET_CATEGORY_COLUMNS = {"accumulated_account_code": "TEXT", "expense_account_code": "TEXT",
                           "expense_accounts_by_chart": "TEXT", "provisional": "INTEGER NOT NULL DEFAULT 0",
                           "source": "TEXT"}


def seed_asset_categories(books: sqlite3.Connection) -> dict[str, Any]:
    """Each category with its cost, accumulated-depreciation and expense accounts (the expense
    account per chart where a factory or a service firm charges it to cost), its method and rate
    from the Article 149 table, and where each figure came from (data/asset_categories.json)."""
    have = {row[1] for row in books.execute("PRAGMA table_info(asset_categories)")}
    for column, kind in _ASSET_CATEGORY_COLUMNS.items():
        if column not in have:
            books.execute(f"ALTER TABLE asset_categories ADD COLUMN {column} {kind}")
    categories = asset_categories()
    books.executemany(
        "INSERT OR REPLACE INTO asset_categories (code, name_fa, name_en, account_code, method, rate_percent, "
        "useful_life_years, accumulated_account_code, expense_account_code, expense_accounts_by_chart, provisional, "
        "source) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(c["code"], c["fa"], c["en"], c["account"], c["method"], c["rate_percent"], c["useful_life_years"],
          c.get("accumulated_account"), c.get("expense_account"),
          json.dumps(c.get("expense_account_by_chart", {}), sort_keys=True), int(bool(c.get("provisional"))),
          json.dumps({"table": c.get("table"), "sources": c.get("sources", []), "why": c.get("provisional_why")},
                     ensure_ascii=False, sort_keys=True))
         for c in categories])
    return {"categories": [c["code"] for c in categories]}


def seat_admin(books: sqlite3.Connection, admin_user_id: str, seats: int, now: datetime) -> dict[str, Any]:
    books.execute("INSERT OR IGNORE INTO members (user_id, role, seated_at) VALUES (?, 'admin', ?)",
                  (admin_user_id, now.isoformat()))
    put_setting(books, "seats", str(seats))
    return {"admin_user_id": admin_user_id, "seats": seats}


def put_setting(books: sqlite3.Connection, key: str, value: str) -> None:
    books.execute("INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)", (key, value))


def setting(books: sqlite3.Connection, key: str) -> str | None:
    row = books.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
    return str(row[0]) if row else None
