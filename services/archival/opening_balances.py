# mypy: disable-error-code="misc"
"""Arriving mid-year (AR-5): opening balances from an Excel template into the books. Every
row is checked (the account exists, amounts are whole non-negative rials, Persian digits
welcome) and debits must equal credits; any problem is answered row by row in Persian and
English and nothing is imported, else all rows go in one transaction."""

from __future__ import annotations

import base64
import binascii
import io
import zipfile
from typing import TYPE_CHECKING, Any

from openpyxl import Workbook, load_workbook

from services.archival.domain import LIVE
from shared.kernel.errors import DomainError
from shared.kernel.mobile import to_latin_digits

if TYPE_CHECKING:
    from services.archival.application import ArchivalApplication

HEADERS = ("کد حساب / account code", "بدهکار (ریال) / debit (rials)", "بستانکار (ریال) / credit (rials)")
MAX_ROWS = 20_000
PROBLEMS: dict[str, tuple[str, str]] = {
    "missing_account_code": ("کد حساب خالی است.", "The account code is empty."),
    "unknown_account": ("این کد حساب در سرفصل حساب‌ها نیست.", "No account has this code in the chart of accounts."),
    "not_a_number": ("مبلغ باید عدد باشد.", "The amount must be a number."),
    "not_whole_rials": ("مبلغ باید ریال کامل و بدون اعشار باشد.", "The amount must be whole rials, no decimals."),
    "negative_amount": ("مبلغ نمی‌تواند منفی باشد.", "The amount cannot be negative."),
    "no_amount": ("ردیف نه بدهکار دارد نه بستانکار.", "The row has neither a debit nor a credit."),
    "both_sides": ("یک ردیف نمی‌تواند هم بدهکار و هم بستانکار باشد.", "A row cannot have both a debit and a credit."),
    "duplicate_account": ("این حساب در ردیف دیگری هم آمده است.", "This account appears in another row too."),
    "not_balanced": ("جمع بدهکار با جمع بستانکار برابر نیست.", "Total debits do not equal total credits."),
    "no_rows": ("فایل هیچ ردیفی ندارد.", "The file has no rows."),
    "too_many_rows": ("تعداد ردیف‌ها بیش از حد مجاز است.", "The file has too many rows."),
}


def problem(row: int, column: str, code: str, **extra: Any) -> dict[str, Any]:
    fa, en = PROBLEMS[code]
    return {"row": row, "column": column, "problem": code, "message": {"fa": fa, "en": en}, **extra}


def template_bytes() -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "opening_balances"
    sheet.sheet_view.rightToLeft = True
    sheet.append(HEADERS)
    sheet.append(["1101", 1_000_000, 0])  # an example row: delete it before filling in
    sheet.append(["3101", 0, 1_000_000])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _amount(value: Any, row: int, column: str, problems: list[dict[str, Any]]) -> int:
    if value is None or (isinstance(value, str) and not value.strip()):
        return 0
    if isinstance(value, bool):
        problems.append(problem(row, column, "not_a_number"))
        return 0
    if isinstance(value, float):
        if not value.is_integer():
            problems.append(problem(row, column, "not_whole_rials"))
            return 0
        value = int(value)
    if isinstance(value, str):
        text = to_latin_digits(value).strip().replace(",", "").replace("٬", "").replace("،", "").replace(" ", "")
        if "." in text or "/" in text:
            problems.append(problem(row, column, "not_whole_rials"))
            return 0
        try:
            value = int(text)
        except ValueError:
            problems.append(problem(row, column, "not_a_number"))
            return 0
    if not isinstance(value, int):
        problems.append(problem(row, column, "not_a_number"))
        return 0
    if value < 0:
        problems.append(problem(row, column, "negative_amount"))
        return 0
    return value


def read_rows(content: bytes, known_accounts: set[str] | None) -> list[tuple[str, int, int]]:
    """The checked rows, or DomainError("invalid_opening_balances", problems=[...])."""
    try:
        sheet = load_workbook(io.BytesIO(content), read_only=True, data_only=True).worksheets[0]
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, IndexError):
        raise DomainError("invalid_workbook") from None
    problems: list[dict[str, Any]] = []
    rows: list[tuple[str, int, int]] = []
    seen: dict[str, int] = {}
    for number, cells in enumerate(sheet.iter_rows(min_row=2, max_col=3, values_only=True), start=2):
        if all(c is None or (isinstance(c, str) and not c.strip()) for c in cells):
            continue
        if len(rows) >= MAX_ROWS:
            raise DomainError("invalid_opening_balances", problems=[problem(number, "", "too_many_rows")])
        raw_code, debit_cell, credit_cell = [*cells, None, None, None][:3]
        code = to_latin_digits(str(int(raw_code) if isinstance(raw_code, float) and raw_code.is_integer()
                                   else raw_code if raw_code is not None else "")).strip()
        before = len(problems)
        if not code:
            problems.append(problem(number, "account_code", "missing_account_code"))
        elif known_accounts is not None and code not in known_accounts:
            problems.append(problem(number, "account_code", "unknown_account", account_code=code))
        elif code in seen:
            problems.append(problem(number, "account_code", "duplicate_account", first_row=seen[code]))
        debit = _amount(debit_cell, number, "debit", problems)
        credit = _amount(credit_cell, number, "credit", problems)
        if len(problems) == before:
            if debit and credit:
                problems.append(problem(number, "", "both_sides"))
            elif not debit and not credit:
                problems.append(problem(number, "", "no_amount"))
        seen.setdefault(code, number)
        rows.append((code, debit, credit))
    if not rows and not problems:
        problems.append(problem(0, "", "no_rows"))
    if not problems and sum(r[1] for r in rows) != sum(r[2] for r in rows):
        problems.append(problem(0, "", "not_balanced", total_debit=sum(r[1] for r in rows),
                                total_credit=sum(r[2] for r in rows)))
    if problems:
        raise DomainError("invalid_opening_balances", problems=problems)
    return rows


class OpeningBalances:
    def opening_balances_template(self: ArchivalApplication) -> str:
        return base64.b64encode(template_bytes()).decode()

    def import_opening_balances(self: ArchivalApplication, tenant_id: object, user_id: str, roles: list[str],
                                content_b64: str) -> dict[str, Any]:
        from services.archival.application import parse_id

        tid = parse_id(tenant_id)
        business = self._business(tid)
        if business is None:
            raise DomainError("not_found" if "support" in roles else "forbidden")
        business.check_may_see(user_id, roles)
        if business.state not in LIVE or not self.books.exists(tid):
            raise DomainError("tenant_deleted" if business.state in ("purging", "purged") else "no_books")
        try:
            content = base64.b64decode(content_b64, validate=True)
        except (binascii.Error, ValueError, TypeError):
            raise DomainError("invalid_workbook") from None
        with self.books.open(tid) as books:  # one transaction: all rows or none
            has_accounts = books.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='accounts'"
                                         ).fetchone() is not None
            known = {str(c) for (c,) in books.execute("SELECT code FROM accounts")} if has_accounts else None
            rows = read_rows(content, known)
            books.execute("CREATE TABLE IF NOT EXISTS opening_balances (account_code TEXT PRIMARY KEY, "
                          "debit INTEGER NOT NULL CHECK (debit >= 0), credit INTEGER NOT NULL CHECK (credit >= 0), "
                          "imported_at TEXT NOT NULL, imported_by TEXT NOT NULL)")
            if books.execute("SELECT 1 FROM opening_balances LIMIT 1").fetchone() is not None:
                raise DomainError("opening_balances_exist")
            at = self.clock.now().isoformat()
            books.executemany("INSERT INTO opening_balances VALUES (?, ?, ?, ?, ?)",
                              [(code, debit, credit, at, user_id) for code, debit, credit in rows])
        return {"imported_rows": len(rows), "total_debit": sum(r[1] for r in rows),
                "total_credit": sum(r[2] for r in rows)}
