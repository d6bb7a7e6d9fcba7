"""Arriving mid-year (AR-5): opening balances from an Excel template into the books. An upload is
first previewed — every row checked against the business's own chart (balances_sheet.py), each
row shown with its account's Persian name, problems named by row in Persian and English, and
nothing written; the import runs the same checks and, only if there is no problem, writes all
rows in one transaction (else none). A second import is refused."""

from __future__ import annotations

import base64
import binascii
import sqlite3
import uuid
from typing import Any

import jdatetime

from services.archival.balances_sheet import Chart, Reading, read_sheet, template_bytes
from services.archival.books import read_only
from services.archival.businesses import Businesses
from services.archival.domain import LIVE
from shared.kernel.clock import PlatformClock
from shared.kernel.errors import DomainError
from shared.kernel.i18n import TEHRAN, persian_digits
from shared.kernel.ids import parse_id
from shared.tenant_books import TenantBooks, detail_accounts, posting_accounts

TABLE = """CREATE TABLE IF NOT EXISTS opening_balances (
    account_code TEXT NOT NULL, detail_code TEXT NOT NULL DEFAULT '',
    debit INTEGER NOT NULL CHECK (debit >= 0), credit INTEGER NOT NULL CHECK (credit >= 0),
    as_of TEXT NOT NULL, as_of_date TEXT NOT NULL, imported_at TEXT NOT NULL, imported_by TEXT NOT NULL,
    PRIMARY KEY (account_code, detail_code))"""


def chart_of(books: sqlite3.Connection) -> Chart:
    """The business's chart as its books hold it; an empty one for books seeded without a
    chart (or with a table of another shape), which refuses every row."""
    try:
        posting = posting_accounts(books)
        other = {str(code): str(level) for code, level in
                 books.execute("SELECT code, level FROM accounts WHERE level <> 'subsidiary'")} if posting else {}
        details = detail_accounts(books)
        has_groups = books.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'detail_groups'"
                                   ).fetchone() is not None
        names = {str(c): (str(fa), str(en)) for c, fa, en in
                 books.execute("SELECT code, name_fa, name_en FROM detail_groups")} if has_groups else {}
    except sqlite3.OperationalError:  # an accounts table without levels: no chart provisioning made
        return Chart(posting={})
    return Chart(posting=posting, other_levels=other, details=details, group_names=names)


def _date(day: jdatetime.date) -> dict[str, str]:
    text = day.strftime("%Y/%m/%d")
    return {"jalali": persian_digits(text), "jalali_latin": text, "iso": day.togregorian().isoformat()}


class OpeningBalances:
    def __init__(self, businesses: Businesses, *, books: TenantBooks, clock: PlatformClock) -> None:
        self.businesses, self.books, self.clock = businesses, books, clock

    def _today(self) -> jdatetime.date:
        return jdatetime.date.fromgregorian(date=self.clock.now().astimezone(TEHRAN).date())

    def template(self) -> str:
        """The template; its example as-of date is the first day of this Jalali year."""
        return base64.b64encode(template_bytes(f"{self._today().year}/01/01")).decode()

    def _business_books(self, tenant_id: object, user_id: str, roles: list[str]) -> uuid.UUID:
        tid = parse_id(tenant_id)
        business = self.businesses.get(tid)
        if business is None:
            raise DomainError("not_found" if "support" in roles else "forbidden")
        business.check_may_see(user_id, roles)
        if business.state not in LIVE or not self.books.exists(tid):
            raise DomainError("tenant_deleted" if business.state in ("purging", "purged") else "no_books")
        return tid

    @staticmethod
    def _content(content_b64: str) -> bytes:
        try:
            return base64.b64decode(content_b64, validate=True)
        except (binascii.Error, ValueError, TypeError):
            raise DomainError("invalid_workbook") from None

    def _read(self, books: sqlite3.Connection, content: bytes, as_of: object) -> tuple[Reading, Chart]:
        chart = chart_of(books)
        return read_sheet(content, chart, today=self._today(), as_of=as_of), chart

    @staticmethod
    def _already(books: sqlite3.Connection) -> bool:
        exists = books.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'opening_balances'"
                               ).fetchone() is not None
        return exists and books.execute("SELECT 1 FROM opening_balances LIMIT 1").fetchone() is not None

    def preview(self, tenant_id: object, user_id: str, roles: list[str], content_b64: str,
                as_of: object = None) -> dict[str, Any]:
        """What an import of this upload would write, row by row with the accounts' names, and
        every problem; nothing is written."""
        tid = self._business_books(tenant_id, user_id, roles)
        content = self._content(content_b64)
        with read_only(self.books, tid) as books:  # a preview writes nothing, and locks nothing
            reading, chart = self._read(books, content, as_of)
            already = self._already(books)
        rows = []
        for line in reading.lines:
            account = chart.posting.get(line.account_code)
            detail = chart.details.get(line.detail_code) if line.detail_code else None
            rows.append({"row": line.row, "account_code": line.account_code,
                         "account_name": account.name if account else None,
                         "account_name_en": account.name_en if account else None,
                         "detail_code": line.detail_code or None, "detail_name": detail.name if detail else None,
                         "debit": line.debit, "credit": line.credit})
        return {"importable": not reading.problems and not already, "already_imported": already,
                "as_of": _date(reading.as_of) if reading.as_of else None, "rows": rows,
                "total_debit": reading.total_debit, "total_credit": reading.total_credit,
                "problems": reading.problems, "warnings": reading.warnings}

    def import_workbook(self, tenant_id: object, user_id: str, roles: list[str], content_b64: str,
                        as_of: object = None) -> dict[str, Any]:
        tid = self._business_books(tenant_id, user_id, roles)
        content = self._content(content_b64)
        with self.books.open(tid) as books:  # one transaction: all rows or none
            reading, _ = self._read(books, content, as_of)
            if reading.problems:
                raise DomainError("invalid_opening_balances", problems=reading.problems)
            if self._already(books):
                raise DomainError("opening_balances_exist")
            old_shape = [c for (_, c, *_) in books.execute("PRAGMA table_info(opening_balances)")]
            if old_shape and "as_of" not in old_shape:  # an empty table of the first release's shape
                books.execute("DROP TABLE opening_balances")
            books.execute(TABLE)
            assert reading.as_of is not None
            at, as_of_text = self.clock.now().isoformat(), reading.as_of.strftime("%Y/%m/%d")
            books.executemany("INSERT INTO opening_balances VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                              [(line.account_code, line.detail_code, line.debit, line.credit, as_of_text,
                                reading.as_of.togregorian().isoformat(), at, user_id) for line in reading.lines])
        return {"imported_rows": len(reading.lines), "total_debit": reading.total_debit,
                "total_credit": reading.total_credit, "as_of": _date(reading.as_of), "warnings": reading.warnings}
