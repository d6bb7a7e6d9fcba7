"""Books seeded before payroll 1405.2 (issue #18): what a business's books hold is theirs, so
nothing here rewrites a row without the admin asking, and what changes is recorded.

- **Rate tables: upcast on read.** A yearly table is law, not the business's history, yet it
  is read from the books (the business may have typed its own figures). A table of the 1405.1
  shape is read in the 1405.2 shape: ``seniority_daily`` from ``seniority_monthly`` ÷ 30, and
  a constant the current formulas need but the row lacks is taken from the data file's table
  of the same year. A figure the platform itself seeded wrongly (``SEEDED_ERRORS``: 1404's
  پایه سنوات as 2,800,000 rials a month; the official figure is 2,820,000) is read as the
  official one. Every such reading is returned as a correction (stored value, value used, why,
  source), so the payslip says so. The stored row is never changed; a figure the business
  typed itself (any other value) is used as typed.
- **Formulas: an explicit upgrade.** The formulas are the business's rules for its payslips;
  those of 1405.1 pro-rate monthly allowances by 30 (×31/30 in a 31-day month) and know
  nothing of عیدی, shifts or leave. They are not replaced behind the business's back: a
  preview with them is refused (``payroll_formulas_outdated``) and the admin asks for the
  upgrade, which keeps the old formulas in ``payroll_formulas_history`` and is recorded as the
  aggregate's ``PayrollUpgraded`` event."""

from __future__ import annotations

import sqlite3
from fractions import Fraction
from typing import Any

from services.provisioning.books import put_formulas
from services.provisioning.catalogue import payroll_data

# (version that seeded it, constant, the wrong value, first table it was wrong in) → the
# current constant that replaces it, and the factor from that constant to the wrong one's unit.
SEEDED_ERRORS: tuple[dict[str, Any], ...] = (
    {"version": "1405.1", "constant": "seniority_monthly", "value": 2_800_000, "from": "1404/01/01",
     "replaced_by": "seniority_daily", "days": 30,
     "why": {"fa": "پایهٔ سنوات ۱۴۰۴ در نسخهٔ ۱۴۰۵٫۱ به اشتباه ۲٬۸۰۰٬۰۰۰ ریال در ماه ثبت شده بود؛ رقم رسمی "
                   "۲٬۸۲۰٬۰۰۰ ریال در ماه (۹۴٬۰۰۰ ریال در روز) است و همین به کار رفت. ردیف دفاتر دست نخورده است.",
             "en": "1404's seniority base was seeded by version 1405.1 as 2,800,000 rials a month by mistake; the "
                   "official figure, 2,820,000 a month (94,000 a day), was used. The row in the books is unchanged."}},
)
FILLED_WHY = {"fa": "این رقم در جدول دفاتر (نسخهٔ پیشین) نبود و از جدول همان سال در نسخهٔ {version} خوانده شد.",
              "en": "The books' table (an earlier version) lacks this figure; it was read from the same year's "
                    "table of version {version}."}


def _current_table(jalali_from: str, data: dict[str, Any]) -> dict[str, Any] | None:
    return next((t for t in data["tables"] if t["jalali_from"] == jalali_from), None)


def upcast_table(table: dict[str, Any], data: dict[str, Any] | None = None) -> tuple[dict[str, Any], list[Any]]:
    """The table as the current formulas read it, and the corrections made on the way."""
    data = data or payroll_data()
    constants = dict(table["constants"])
    current = _current_table(table["jalali_from"], data)
    corrections: list[dict[str, Any]] = []
    for error in SEEDED_ERRORS:
        stored = constants.get(error["constant"])
        if stored is None or table["jalali_from"] < error["from"] or Fraction(str(stored)) != error["value"]:
            continue
        official = (current or {}).get("constants", {}).get(error["replaced_by"])
        if official is None:
            continue  # no official figure for that year in the data file: the books' figure stands
        constants[error["replaced_by"]] = official
        constants[error["constant"]] = Fraction(str(official)) * error["days"]
        corrections.append({"constant": error["replaced_by"], "stored": {error["constant"]: stored},
                            "used": official, "why": error["why"],
                            "source": (current or {}).get("sources", {}).get(error["replaced_by"])})
    if "seniority_monthly" in constants and "seniority_daily" not in constants:  # the 1405.1 shape
        constants["seniority_daily"] = str(Fraction(str(constants["seniority_monthly"])) / 30)
    if current is not None:
        for name, value in current["constants"].items():
            if name not in constants:
                constants[name] = value
                corrections.append({"constant": name, "stored": None, "used": value,
                                    "why": {k: v.format(version=data["version"]) for k, v in FILLED_WHY.items()},
                                    "source": current.get("sources", {}).get(name)})
    constants = {k: (str(v) if isinstance(v, Fraction) else v) for k, v in constants.items()}
    return {**table, "constants": constants}, corrections


def formulas_version(books: sqlite3.Connection) -> str | None:
    """The version of the payroll formulas in the books (None before payroll was seeded)."""
    row = books.execute("SELECT MIN(version), MAX(version) FROM payroll_formulas").fetchone()
    return None if row is None or row[0] is None else str(row[1] if row[0] == row[1] else row[0])


HISTORY = """CREATE TABLE IF NOT EXISTS payroll_formulas_history (
    code TEXT NOT NULL, position INTEGER NOT NULL, name_fa TEXT NOT NULL, name_en TEXT NOT NULL, kind TEXT NOT NULL,
    insurable INTEGER NOT NULL, expression TEXT NOT NULL, version TEXT NOT NULL, replaced_at TEXT NOT NULL,
    replaced_by_version TEXT NOT NULL, PRIMARY KEY (code, version))"""


def upgrade_formulas(books: sqlite3.Connection, at: str) -> dict[str, Any] | None:
    """Replace older formulas with the current version's, keeping the old ones in
    ``payroll_formulas_history``; None when they are current already (so a retry is harmless).
    The yearly tables are left as they are: they are upcast on read."""
    data = payroll_data()
    before = formulas_version(books)
    if before is None or before == data["version"]:
        return None
    old = {code: expression for code, expression in books.execute("SELECT code, expression FROM payroll_formulas")}
    books.execute(HISTORY)
    books.execute(
        "INSERT OR IGNORE INTO payroll_formulas_history SELECT code, position, name_fa, name_en, kind, insurable, "
        "expression, version, ?, ? FROM payroll_formulas", (at, data["version"]))
    books.execute("DELETE FROM payroll_formulas")
    put_formulas(books, data)
    new = {f["code"]: f["expression"] for f in data["formulas"]}
    return {"from_version": before, "to_version": data["version"],
            "added": sorted(set(new) - set(old)), "removed": sorted(set(old) - set(new)),
            "changed": sorted(code for code in set(old) & set(new) if old[code] != new[code])}
