"""Arriving mid-year (AR-5): opening balances from an Excel template into the books. Any
problem in the upload is answered row by row (balances_sheet.py) and nothing is imported,
else all rows go in one transaction; a second import is refused."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from services.archival.balances_sheet import read_rows, template_bytes
from services.archival.businesses import Businesses
from services.archival.domain import LIVE
from shared.kernel.clock import PlatformClock
from shared.kernel.errors import DomainError
from shared.kernel.ids import parse_id
from shared.tenant_books import TenantBooks


class OpeningBalances:
    def __init__(self, businesses: Businesses, *, books: TenantBooks, clock: PlatformClock) -> None:
        self.businesses, self.books, self.clock = businesses, books, clock

    def template(self) -> str:
        return base64.b64encode(template_bytes()).decode()

    def import_workbook(self, tenant_id: object, user_id: str, roles: list[str], content_b64: str) -> dict[str, Any]:
        tid = parse_id(tenant_id)
        business = self.businesses.get(tid)
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
