"""The opening-balances workbook (AR-5), pure: the template, and the rows of an upload checked
one by one (the account exists, amounts are whole non-negative rials, Persian digits and
separators welcome, one side per row, no account twice) with debits equal to credits; every
problem named by row in Persian and English."""

from __future__ import annotations

import io
import zipfile
from typing import Any

from openpyxl import Workbook, load_workbook

from shared.kernel.errors import DomainError
from shared.kernel.mobile import to_latin_digits

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
