"""What a customer typed → a checked purchase (BI-1, X-3): kinds, products, periods, business
names and types; Persian or Arabic-Indic digits accepted wherever a number is typed."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Mapping
from typing import Any

from eventsourcing.persistence import IntegrityError, OperationalError

from services.billing.catalog import SOLD, Catalog
from shared.kernel.errors import DomainError
from shared.kernel.mobile import to_latin_digits
from shared.kernel.text import plain_line

CUSTOMER_KINDS = ("new", "renewal", "add_on", "limits")  # "restore" comes from archival (AR-3)
BUSINESS_TYPES = ("service", "manufacturing", "trading")  # "educational" only through BI-4
ADD_ONS = ("payroll", "fixed_assets")
# What the store raises when another request changed the aggregate first (PostgreSQL may
# surface it as an aborted pipeline).
Conflict = (IntegrityError, OperationalError)


def as_uuid(value: object) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise DomainError("not_found") from None


def idempotency_key(key: object) -> str | None:
    if key in (None, ""):
        return None
    if not isinstance(key, str) or not 1 <= len(key) <= 100 or not key.isprintable():
        raise DomainError("invalid_idempotency_key")
    return key


def number(value: object, field: str, low: int, high: int) -> int:
    """An integer typed as a number or as digits in any script; never a float or a bool."""
    if isinstance(value, (bool, float)):
        raise DomainError("invalid_number", field=field)
    text = to_latin_digits(value.strip()) if isinstance(value, str) else value
    try:
        parsed = int(text) if isinstance(text, (int, str)) and str(text).isascii() else None
    except ValueError:
        parsed = None
    if parsed is None or not low <= parsed <= high:
        raise DomainError("invalid_number", field=field, low=low, high=high)
    return parsed


def business_name(value: object) -> str:
    name = plain_line(value, max_length=200)
    if name is None:
        raise DomainError("invalid_business_name")
    return name


def fingerprint(*parts: object) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def purchase_from(body: Mapping[str, Any], catalog: Catalog, kind: str | None = None) -> dict[str, Any]:
    """The purchase an order body describes; for renewal, add-on and limits the business's
    name and type come from billing's account of it, filled in by the application."""
    kind = kind or str(body.get("kind", "new"))
    if kind not in CUSTOMER_KINDS:
        raise DomainError("invalid_order_kind", allowed=list(CUSTOMER_KINDS))
    raw_products = body.get("products") or []
    if not isinstance(raw_products, (list, tuple)) or not all(isinstance(p, str) for p in raw_products):
        raise DomainError("invalid_products", allowed=list(SOLD))
    products = list(raw_products)
    if "educational" in products:
        raise DomainError("educational_requires_application")
    if any(p not in SOLD for p in products) or len(set(products)) != len(products):
        raise DomainError("invalid_products", allowed=list(SOLD))
    months = number(body.get("period_months", 12), "period_months", 1, 36)
    catalog.check_period(months)
    extra_orgs = number(body.get("extra_organizations", 0), "extra_organizations", 0, 1000)
    extra_users = number(body.get("extra_concurrent_users", 0), "extra_concurrent_users", 0, 1000)
    if kind == "limits":
        if products or not (extra_orgs or extra_users):
            raise DomainError("invalid_products", hint="a limits order buys extra organizations or users only")
    elif extra_orgs or extra_users:
        raise DomainError("invalid_products", hint="extra organizations or users are a limits order")
    elif kind == "new" and "accounting" not in products:
        raise DomainError("accounting_required")  # payroll and fixed assets extend the suite (PR-1)
    elif kind == "add_on" and (not products or any(p not in ADD_ONS for p in products)):
        raise DomainError("invalid_products", allowed=list(ADD_ONS))
    elif not products:
        raise DomainError("invalid_products", allowed=list(SOLD))
    purchase: dict[str, Any] = {"kind": kind, "products": products, "period_months": months,
                                "extra_organizations": extra_orgs, "extra_concurrent_users": extra_users}
    if kind == "new":
        if body.get("business_type") not in BUSINESS_TYPES:
            raise DomainError("invalid_business_type", allowed=list(BUSINESS_TYPES))
        purchase |= {"business_name": business_name(body.get("business_name")),
                     "business_type": body["business_type"]}
    return purchase


def tenant_named(body: Mapping[str, Any]) -> uuid.UUID:
    try:
        return uuid.UUID(str(body.get("tenant_id")))
    except ValueError:
        raise DomainError("business_not_found") from None
