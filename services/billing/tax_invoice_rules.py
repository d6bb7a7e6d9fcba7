"""The taxpayer system's rules (سامانه مؤدیان), pure: the 22-character tax id, VAT by date, and
an invoice's payload (header, one line per item with its service id). Sources and what could
not be confirmed: docs/providers-research.md §4. No I/O but reading the data file once."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from typing import Any

DATA = Path(__file__).with_name("data") / "einvoice.json"
# Invoice subject (ins): an original, a corrective (اصلاحی), a cancelling (ابطالی) invoice.
ORIGINAL, CORRECTIVE, CANCELLING = 1, 2, 3
TYPE_WITH_BUYER, TYPE_WITHOUT_BUYER = 1, 2  # inty
PATTERN_SALE = 1  # inp
BUYER_PERSON, BUYER_LEGAL = 1, 2  # tob
SETTLED_IN_CASH = 1  # setm: paid online before the invoice is issued
_MEMORY_ID_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")

# Verhoeff's tables (dihedral group D5), as every public client of the system uses them.
_D = ((0, 1, 2, 3, 4, 5, 6, 7, 8, 9), (1, 2, 3, 4, 0, 6, 7, 8, 9, 5), (2, 3, 4, 0, 1, 7, 8, 9, 5, 6),
      (3, 4, 0, 1, 2, 8, 9, 5, 6, 7), (4, 0, 1, 2, 3, 9, 5, 6, 7, 8), (5, 9, 8, 7, 6, 0, 4, 3, 2, 1),
      (6, 5, 9, 8, 7, 1, 0, 4, 3, 2), (7, 6, 5, 9, 8, 2, 1, 0, 4, 3), (8, 7, 6, 5, 9, 3, 2, 1, 0, 4),
      (9, 8, 7, 6, 5, 4, 3, 2, 1, 0))
_P = ((0, 1, 2, 3, 4, 5, 6, 7, 8, 9), (1, 5, 7, 6, 2, 8, 3, 0, 9, 4), (5, 8, 0, 3, 7, 9, 6, 1, 4, 2),
      (8, 9, 1, 6, 0, 4, 3, 5, 2, 7), (9, 4, 5, 3, 1, 2, 6, 8, 7, 0), (4, 2, 8, 6, 5, 7, 3, 9, 0, 1),
      (2, 7, 9, 3, 8, 0, 6, 4, 1, 5), (7, 0, 4, 6, 9, 1, 3, 2, 5, 8))
_INV = (0, 4, 3, 2, 1, 5, 6, 7, 8, 9)


def verhoeff_digit(number: str) -> int:
    check = 0
    for i, digit in enumerate(reversed(number)):
        check = _D[check][_P[(i + 1) % 8][int(digit)]]
    return _INV[check]


def verhoeff_valid(number: str) -> bool:
    check = 0
    for i, digit in enumerate(reversed(number)):
        check = _D[check][_P[i % 8][int(digit)]]
    return check == 0


def check_memory_id(memory_id: str) -> str:
    """The 6-character memory id (شناسه یکتای حافظه مالیاتی) the system assigned the vendor."""
    if len(memory_id) != 6 or not set(memory_id) <= _MEMORY_ID_CHARS:
        raise ValueError("the memory id is 6 capital letters or digits")
    return memory_id


def days_since_epoch(issued_at: datetime) -> int:
    return int(issued_at.timestamp()) // 86400


def tax_id(memory_id: str, issued_at: datetime, serial: int) -> str:
    """Memory id (6) + days since 1970-01-01 UTC in hex (5) + the serial in hex (10) + a
    Verhoeff digit (1) computed over the decimal form: each letter of the memory id as its
    ASCII code, the days padded to 6 digits, the serial to 12."""
    check_memory_id(memory_id)
    if not 1 <= serial < 16**10:
        raise ValueError("the serial is 1 … 16^10 - 1")
    days = days_since_epoch(issued_at)
    decimal = "".join(c if c.isdigit() else str(ord(c)) for c in memory_id) + f"{days:06d}" + f"{serial:012d}"
    return f"{memory_id}{days:05X}{serial:010X}{verhoeff_digit(decimal)}"


def tax_id_valid(value: str) -> bool:
    """Format and check digit (what the system's error 0301 names, but duplicates)."""
    if len(value) != 22 or not set(value[:6]) <= _MEMORY_ID_CHARS:
        return False
    try:
        days, serial = int(value[6:11], 16), int(value[11:21], 16)
    except ValueError:
        return False
    decimal = "".join(c if c.isdigit() else str(ord(c)) for c in value[:6]) + f"{days:06d}" + f"{serial:012d}"
    return value[21:].isdigit() and verhoeff_valid(decimal + value[21])


@cache
def _data() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(DATA.read_text(encoding="utf-8"))
    return loaded


def vat_percent_on(day: date) -> int:
    """The VAT rate (tax and levy together, as the invoice's vra carries it) of a sale's day."""
    rate = None
    for period in _data()["vat_rates"]["periods"]:
        if date.fromisoformat(period["from"]) <= day:
            rate = int(period["percent"])
    if rate is None:
        raise ValueError(f"no VAT rate known for {day}")
    return rate


def service_id(item: str) -> str:
    return str(_data()["service_ids"]["products"][item])


def buyer_fields(buyer: dict[str, Any] | None) -> dict[str, Any]:
    """inty, tob, bid, tinb, bpc for a buyer identity (shared/http/billing.py BuyerIdentity);
    None: a person buying for themselves without giving an id: a type-2 invoice."""
    if buyer is None:
        return {"inty": TYPE_WITHOUT_BUYER, "tob": None, "bid": None, "tinb": None, "bpc": None}
    if buyer["kind"] == "legal":
        return {"inty": TYPE_WITH_BUYER, "tob": BUYER_LEGAL, "bid": buyer["legal_id"],
                "tinb": buyer["economic_code"], "bpc": buyer.get("postal_code")}
    return {"inty": TYPE_WITH_BUYER, "tob": BUYER_PERSON, "bid": buyer["national_code"],
            "tinb": buyer.get("economic_code") or buyer["national_code"], "bpc": buyer.get("postal_code")}


def invoice_lines(lines: list[dict[str, Any]], vat_percent: int) -> list[dict[str, Any]]:
    """One body line per invoice line: quantity, unit fee, before/after discount, VAT per line
    (integer rials, half a rial up), the line's total."""
    body = []
    for line in lines:
        before = int(line["quantity"]) * int(line["unit_price_rials"])
        vat = (before * vat_percent + 50) // 100
        body.append({"sstid": service_id(line["item"]), "sstt": line["description"][:400], "am": line["quantity"],
                     "mu": None, "fee": line["unit_price_rials"], "prdis": before, "dis": 0, "adis": before,
                     "vra": vat_percent, "vam": vat, "odt": None, "odr": None, "odam": None, "olt": None,
                     "olr": None, "olam": None, "tsstam": before + vat})
    return body


def payload(*, memory_id: str, seller_tin: str, serial: int, issued_at: datetime, buyer: dict[str, Any] | None,
            lines: list[dict[str, Any]], subject: int = ORIGINAL, refers_to: str | None = None,
            sold_on: date | None = None) -> dict[str, Any]:
    """The invoice as the system reads it: header, body, payments. A cancelling invoice repeats
    the original's lines and names it in irtaxid; the VAT rate is that of the original's day."""
    if subject != ORIGINAL and refers_to is None:
        raise ValueError("a corrective or cancelling invoice names the original's tax id")
    body = invoice_lines(lines, vat_percent_on(sold_on or issued_at.astimezone(UTC).date()))
    before, vat = sum(b["prdis"] for b in body), sum(b["vam"] for b in body)
    header = {"taxid": tax_id(memory_id, issued_at, serial), "indatim": int(issued_at.timestamp() * 1000),
              "indati2m": int(issued_at.timestamp() * 1000), "inno": f"{serial:010d}", "irtaxid": refers_to,
              "inp": PATTERN_SALE, "ins": subject, "tins": seller_tin, **buyer_fields(buyer), "sbc": None,
              "bbc": None, "ft": None, "bpn": None, "scln": None, "scc": None, "crn": None, "billid": None,
              "tprdis": before, "tdis": 0, "tadis": before, "tvam": vat, "todam": 0, "tbill": before + vat,
              "setm": SETTLED_IN_CASH, "cap": before + vat, "insp": None, "tvop": None, "tax17": None}
    return {"header": header, "body": body, "payments": []}
